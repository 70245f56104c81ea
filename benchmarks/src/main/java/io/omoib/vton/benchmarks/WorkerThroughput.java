package io.omoib.vton.benchmarks;

import io.omoib.vton.protocol.RequestJson;
import io.omoib.vton.pipeline.CatVTONPipeline;
import io.omoib.vton.pipeline.TryOnParameters;
import io.omoib.vton.preprocess.ClothType;
import io.omoib.vton.preprocess.Input;
import io.omoib.vton.s3.AwsSettings;
import io.omoib.vton.s3.S3TestServer;
import io.omoib.vton.s3.SqsCompletionNotifier;
import io.omoib.vton.s3.SqsWorker;
import io.omoib.vton.service.TryOnRequest;
import io.omoib.vton.service.TryOnResult;
import io.omoib.vton.service.TryOnService;
import io.omoib.vton.source.ImageSource;
import io.omoib.vton.source.ImageSources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;

/**
 * Queue-driven throughput: jobs per second through {@link SqsWorker}s, and the worker path's per-job
 * overhead against a direct pipeline run. ElasticMQ and S3Proxy run in this JVM on 127.0.0.1; each
 * worker has its own pipeline, service (S3 sink, SQS notices) and SQS worker, as a separate process
 * would. A job is an overall try-on (768x1024, 15 steps) whose four JPEG inputs are read from S3.
 *
 * <pre>java -Dai.djl.offline=true -Dai.djl.pytorch.graph_optimizer=false -cp benchmarks/target/benchmarks.jar \
 *     io.omoib.vton.benchmarks.WorkerThroughput [MODELS [JOBS [ROUNDS]]]</pre>
 *
 * MODELS is a comma-separated list of bundled models (default {@code toy,mini}); JOBS per measurement
 * (default 48 for toy, 8 for mini); ROUNDS default 3. Per round and model it measures, interleaved:
 * direct (the same JOBS submitted at once to a {@link TryOnService} on the same pipeline, inputs as
 * JPEG bytes in memory, no store: a job's work without queue and S3), one worker, two workers, three
 * workers (time from sending JOBS messages to the last completion notice). Prints the medians, jobs/s
 * against one worker, and the overhead of the worker path: one worker's seconds per job over the
 * direct path's, minus 1.
 */
public final class WorkerThroughput {
    private static final AtomicInteger QUEUES = new AtomicInteger();

    private WorkerThroughput() {
    }

    public static void main(String[] args) throws Exception {
        String[] models = args.length > 0 ? args[0].split(",") : new String[] {"toy", "mini"};
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        PreprocessWork inputs = PreprocessWork.synthetic();
        SQSRestServer elasticMq = SQSRestServerBuilder.withInterface("127.0.0.1").withDynamicPort().start();
        String endpoint = "http://127.0.0.1:" + elasticMq.waitUntilStarted().localAddress().getPort() + "/000000000000/";
        try (S3TestServer s3Server = new S3TestServer();
             AwsSettings aws = s3Server.settings().bucket("results").inputs("inputs").queueUrl(endpoint + "unused").build()) {
            aws.s3().createBucket(b -> b.bucket("results"));
            aws.s3().createBucket(b -> b.bucket("inputs"));
            for (int i = 0; i < PreprocessWork.NAMES.length; i++) {
                String key = PreprocessWork.NAMES[i] + ".jpg";
                aws.s3().putObject(b -> b.bucket("inputs").key(key), RequestBody.fromBytes(inputs.encoded(i)));
            }
            System.out.printf(Locale.ROOT, "%-6s %-10s %10s %10s %8s%n", "model", "path", "s/job", "jobs/s", "vs 1w");
            for (String model : models) {
                int jobs = args.length > 1 ? Integer.parseInt(args[1]) : model.equals("toy") ? 48 : 8;
                String[] names = {"direct", "1 worker", "2 workers", "3 workers"};
                double[][] seconds = new double[names.length][rounds];
                List<CatVTONPipeline> pipelines = new ArrayList<>();
                try {
                    for (int w = 0; w < 3; w++) {
                        pipelines.add(CatVTONPipeline.builder().modelDirectory(PipelineWork.bundledModel(model)).build());
                    }
                    viaWorkers(aws, pipelines.subList(0, 1), Math.max(4, jobs / 4)); // warm-up
                    direct(pipelines.get(0), inputs, Math.max(4, jobs / 4));
                    for (int round = 0; round < rounds; round++) {
                        seconds[0][round] = direct(pipelines.get(0), inputs, jobs);
                        for (int w = 1; w <= 3; w++) {
                            seconds[w][round] = viaWorkers(aws, pipelines.subList(0, w), jobs);
                        }
                    }
                } finally {
                    pipelines.forEach(CatVTONPipeline::close);
                }
                double oneWorker = median(seconds[1]);
                for (int c = 0; c < names.length; c++) {
                    double m = median(seconds[c]);
                    System.out.printf(Locale.ROOT, "%-6s %-10s %10.3f %10.2f %8.2f%n", model, names[c], m / jobs, jobs / m,
                            c == 0 ? Double.NaN : oneWorker / m);
                }
                System.out.printf(Locale.ROOT, "%-6s worker path overhead per job vs direct: %+.1f %% (rounds: %s vs %s s)%n",
                        model, (oneWorker / median(seconds[0]) - 1) * 100, Arrays.toString(seconds[1]),
                        Arrays.toString(seconds[0]));
            }
        } finally {
            elasticMq.stopAndWait();
        }
    }

    /**
     * @return seconds for the same jobs submitted in-process to a {@link TryOnService} on the same
     *     pipeline, inputs as bytes in memory, no store: the work of a job without queue and S3
     */
    private static double direct(CatVTONPipeline pipeline, PreprocessWork inputs, int jobs) throws Exception {
        try (TryOnService service = TryOnService.builder().pipeline(pipeline).queueCapacity(jobs).build()) {
            long start = System.nanoTime();
            List<CompletableFuture<TryOnResult>> results = new ArrayList<>();
            for (int i = 0; i < jobs; i++) {
                TryOnRequest.Builder request = TryOnRequest.builder().clothType(ClothType.OVERALL)
                        .parameters(TryOnParameters.builder().steps(15).build());
                for (int k = 0; k < PreprocessWork.NAMES.length; k++) {
                    request.image(Input.values()[k], ImageSource.of(inputs.encoded(k), PreprocessWork.NAMES[k]));
                }
                results.add(service.submit(request.build()));
            }
            for (CompletableFuture<TryOnResult> result : results) {
                result.get();
            }
            return (System.nanoTime() - start) / 1e9;
        }
    }

    /** @return seconds from sending {@code jobs} messages to the last completion notice, with one worker per pipeline */
    private static double viaWorkers(AwsSettings aws, List<CatVTONPipeline> pipelines, int jobs)
            throws Exception {
        SqsClient sqs = aws.sqs();
        int n = QUEUES.incrementAndGet();
        String requests = sqs.createQueue(b -> b.queueName("requests-" + n)).queueUrl();
        String notices = sqs.createQueue(b -> b.queueName("notices-" + n)).queueUrl();
        ImageSources sources = aws.addS3Sources(ImageSources.builder(), 16 << 20).build();
        List<TryOnService> services = new ArrayList<>();
        List<SqsWorker> workers = new ArrayList<>();
        try {
            for (CatVTONPipeline pipeline : pipelines) {
                TryOnService service = TryOnService.builder().pipeline(pipeline).queueCapacity(2)
                        .sink(aws.resultSink().orElseThrow()).notifier(new SqsCompletionNotifier(sqs, notices)).build();
                services.add(service);
                workers.add(SqsWorker.builder().queue(sqs, requests).service(service).sources(sources)
                        .waitTime(Duration.ofSeconds(1)).start());
            }
            long start = System.nanoTime();
            for (int first = 0; first < jobs; first += 10) {
                List<SendMessageBatchRequestEntry> batch = new ArrayList<>();
                for (int i = first; i < Math.min(jobs, first + 10); i++) {
                    batch.add(SendMessageBatchRequestEntry.builder().id("j" + i).messageBody(job(n, i)).build());
                }
                sqs.sendMessageBatch(b -> b.queueUrl(requests).entries(batch));
            }
            int done = 0;
            while (done < jobs) {
                var messages = sqs.receiveMessage(b -> b.queueUrl(notices).maxNumberOfMessages(10).waitTimeSeconds(5)).messages();
                for (var m : messages) {
                    sqs.deleteMessage(b -> b.queueUrl(notices).receiptHandle(m.receiptHandle()));
                }
                done += messages.size();
            }
            return (System.nanoTime() - start) / 1e9;
        } finally {
            workers.forEach(w -> w.close(Duration.ofSeconds(30)));
            services.forEach(TryOnService::close);
        }
    }

    private static String job(int queue, int i) {
        return new RequestJson(ClothType.OVERALL).userId("bench-" + queue).timestamp(Integer.toString(i))
                .url(Input.PERSON, "s3://inputs/person.jpg").url(Input.MASK, "s3://inputs/mask.jpg")
                .url(Input.UPPER, "s3://inputs/upper.jpg").url(Input.LOWER, "s3://inputs/lower.jpg")
                .steps(15).toJson();
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}

package io.omoib.vton.examples;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.omoib.vton.pipeline.CatVTONPipeline;
import io.omoib.vton.pipeline.TryOnParameters;
import io.omoib.vton.s3.AwsSettings;
import io.omoib.vton.s3.SqsWorker;
import io.omoib.vton.service.ProgressListener;
import io.omoib.vton.service.TryOnService;
import io.omoib.vton.source.ImageSources;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/** {@code vton worker}: runs try-ons from an SQS queue, results to S3, until SIGTERM. */
@Command(name = "worker", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs try-ons from an SQS queue: each message is an /invocations JSON body; the result goes to "
                + "VTON_S3_BUCKET and its notice to VTON_SQS_QUEUE_URL, then the message is deleted.",
                "SIGTERM (or Ctrl-C) stops receiving, returns unstarted messages to the queue, lets the running "
                        + "job finish for up to 25 s, then exits 0."})
final class WorkerCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerCommand.class);

    /** This command's picocli spec, injected by picocli (its output streams and usage). */
    @Spec
    CommandSpec spec;

    /** The model options ({@code --model}, {@code --device}, {@code --dtype}, {@code --threads}, {@code --tf32}). */
    @Mixin
    ModelOptions model;

    /** {@code --queue-url}: The queue to take requests from. */
    @Option(names = "--queue-url", paramLabel = "URL", defaultValue = "${env:VTON_SQS_REQUEST_QUEUE_URL}",
            description = "The queue to take requests from (default: VTON_SQS_REQUEST_QUEUE_URL).")
    String queueUrl;

    /** {@code --port}: Serve GET /ping and GET /metrics on this port (0 picks a free one; default: none). */
    @Option(names = "--port", paramLabel = "P",
            description = "Serve GET /ping and GET /metrics on this port (0 picks a free one; default: none).")
    Integer port;

    /** {@code --host}: Address for --port. */
    @Option(names = "--host", paramLabel = "ADDRESS", defaultValue = "0.0.0.0",
            description = "Address for --port (default: ${DEFAULT-VALUE}).")
    String host;

    /**
     * {@code --visibility-timeout}: Seconds a received message stays hidden from other workers; renewed every
     * third of it while its job runs.
     */
    @Option(names = "--visibility-timeout", paramLabel = "SECONDS", defaultValue = "${env:VTON_VISIBILITY_TIMEOUT:-60}",
            description = "Seconds a received message stays hidden from other workers; renewed every third of it "
                    + "while its job runs (default: VTON_VISIBILITY_TIMEOUT, else 60; now ${DEFAULT-VALUE}).")
    int visibilitySeconds;

    /** {@code --wait-time}: Long-poll wait of one receive, 1-20 s. */
    @Option(names = "--wait-time", paramLabel = "SECONDS", defaultValue = "10",
            description = "Long-poll wait of one receive, 1-20 s (default: ${DEFAULT-VALUE}).")
    int waitSeconds;

    /** {@code --retry-delay}: Seconds before a job that failed for a transient reason is delivered again. */
    @Option(names = "--retry-delay", paramLabel = "SECONDS", defaultValue = "10",
            description = "Seconds before a job that failed for a transient reason is delivered again (default: ${DEFAULT-VALUE}).")
    int retryDelaySeconds;

    /** {@code --timeout}: Deadline of one job from its receipt, fetching and storing included. */
    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "${env:VTON_TIMEOUT:-900}",
            description = "Deadline of one job from its receipt, fetching and storing included "
                    + "(default: VTON_TIMEOUT, else 900; now ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    /** {@code --prefetch}: Messages whose inputs are fetched and prepared while a job runs. */
    @Option(names = "--prefetch", paramLabel = "N", defaultValue = "1",
            description = "Messages whose inputs are fetched and prepared while a job runs (default: ${DEFAULT-VALUE}).")
    int prefetch;

    /**
     * {@code --warm-up}: Run one short try-on at each of the model's sizes before taking jobs and before /ping
     * answers 200.
     */
    @Option(names = "--warm-up", negatable = true, defaultValue = "${env:VTON_WARM_UP:-true}", fallbackValue = "true",
            description = "Run one short try-on at each of the model's sizes before taking jobs and before /ping answers 200 "
                    + "(default: VTON_WARM_UP, else on; --no-warm-up turns it off).")
    boolean warmUp;

    /** Released by SIGTERM or SIGINT; tests release it themselves. */
    final CountDownLatch stop = new CountDownLatch(1);

    @Override
    public Integer call() throws Exception {
        Map<String, String> env = System.getenv();
        PrintWriter out = spec.commandLine().getOut();
        if (queueUrl == null || queueUrl.isBlank()) {
            throw new BadInputException("--queue-url", "no request queue: pass --queue-url or set VTON_SQS_REQUEST_QUEUE_URL");
        }
        if (timeoutSeconds < 1 || timeoutSeconds > 43_200) {
            throw new BadInputException("--timeout", "--timeout must be 1 to 43200 seconds, got " + timeoutSeconds);
        }
        if (prefetch < 0 || prefetch > 16) {
            throw new BadInputException("--prefetch", "--prefetch must be 0 to 16, got " + prefetch);
        }
        TryOnParameters defaults = ServeCommand.defaults(env);
        AwsSettings.Builder settings;
        try {
            settings = AwsSettings.from(env, System.getProperties()).requestQueueUrl(queueUrl.strip());
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--queue-url", e.getMessage());
        }
        try (AwsSettings aws = settings.build()) {
            if (aws.bucket().isEmpty()) {
                throw new BadInputException("VTON_S3_BUCKET", "a worker stores its results in S3: set VTON_S3_BUCKET");
            }
            ImageSources sources = Environment.sources(env, aws, false);
            // one registry for the worker, its service and the server's GET /metrics
            PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            SqsWorker.Builder worker = SqsWorker.builder()
                    .meterRegistry(meters)
                    .queue(aws.sqs(), aws.requestQueueUrl().orElseThrow())
                    .sources(sources)
                    .defaults(defaults)
                    .timeout(Duration.ofSeconds(timeoutSeconds))
                    .capacity(1 + prefetch)
                    .progress(new RunningLines(out));
            try {
                worker.visibilityTimeout(Duration.ofSeconds(visibilitySeconds))
                        .waitTime(Duration.ofSeconds(waitSeconds))
                        .retryDelay(Duration.ofSeconds(retryDelaySeconds));
            } catch (IllegalArgumentException e) {
                throw new BadInputException(null, e.getMessage());
            }
            aws.sqsNotifier().ifPresent(worker::failureNotices);
            InferenceServer server = port == null ? null : InferenceServer.builder().host(host).port(port)
                    .sources(sources).invocations(false).meterRegistry(meters).start();
            Signal.handle(new Signal("TERM"), signal -> stop.countDown());
            Signal.handle(new Signal("INT"), signal -> stop.countDown());
            if (server != null) {
                out.println("health and metrics on http://" + host + ":" + server.port());
                out.flush();
            }
            LOG.info("allocator: {}", NativeAllocator.describe());
            try (CatVTONPipeline pipeline = warmedUp(model.pipeline(ServeCommand.modelDirectory(model)).build(), out);
                 TryOnService service = service(pipeline, aws, defaults, meters);
                 SqsWorker running = worker.service(service).start()) {
                if (server != null) {
                    server.ready(service, running);
                }
                out.println("ready: model " + pipeline.artifact().name() + " (" + pipeline.variant().id() + "), queue "
                        + queueUrl.strip() + ", results to s3://" + aws.bucket().orElseThrow());
                out.flush();
                stop.await();
                out.println("stopping: returning unstarted messages, finishing the running job for up to 25 s");
                out.flush();
                running.close(Duration.ofSeconds(25));
            } finally {
                if (server != null) {
                    server.shutdown(Duration.ZERO);
                }
            }
        }
        out.println("stopped");
        out.flush();
        return 0;
    }

    /** {@return the pipeline, warmed up unless {@code --no-warm-up}; closed if the warm-up fails} */
    private CatVTONPipeline warmedUp(CatVTONPipeline pipeline, PrintWriter out) {
        model.dtypeNote().ifPresent(note -> LOG.info(note));
        ModelOptions.weightsWarning(pipeline.artifact()).ifPresent(LOG::warn);
        if (warmUp) {
            try {
                ServeCommand.warmUp(pipeline, out);
            } catch (RuntimeException e) {
                pipeline.close();
                throw e;
            }
        }
        return pipeline;
    }

    private TryOnService service(CatVTONPipeline pipeline, AwsSettings aws, TryOnParameters defaults,
                                 MeterRegistry meters) {
        TryOnService.Builder service = TryOnService.builder().pipeline(pipeline).queueCapacity(1 + prefetch)
                .defaults(defaults).sink(aws.resultSink().orElseThrow()).meterRegistry(meters);
        aws.notifier().ifPresent(service::notifier);
        return service.build();
    }

    /** Prints {@code job ID running} once per job, when its first step is done. */
    private static final class RunningLines implements ProgressListener {
        private final PrintWriter out;
        private final Set<String> running = ConcurrentHashMap.newKeySet();

        RunningLines(PrintWriter out) {
            this.out = out;
        }

        @Override
        public void onProgress(Event event) {
            if (event.stage() == Stage.RUNNING && running.add(event.requestId())) {
                synchronized (out) {
                    out.println("job " + event.requestId() + " running");
                    out.flush();
                }
            } else if (event.stage() == Stage.DONE) {
                running.remove(event.requestId());
            }
        }
    }
}

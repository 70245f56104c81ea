package io.omoib.vton.benchmarks;

import io.omoib.vton.pipeline.CatVTONPipeline;
import io.omoib.vton.pipeline.TryOnParameters;
import io.omoib.vton.preprocess.ClothType;
import io.omoib.vton.service.QueueFullException;
import io.omoib.vton.service.TryOnRequest;
import io.omoib.vton.service.TryOnResult;
import io.omoib.vton.service.TryOnService;
import io.omoib.vton.source.ImageSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * {@link TryOnService} throughput, in try-ons per second, with 8 threads submitting overall try-ons
 * (768x1024, 15 steps, guidance 2.5, eta 1) from JPEG bytes, so that each request is decoded and
 * prepared too. Three configurations run interleaved in each round: {@code maxBatch 1},
 * {@code maxBatch 4} (modules still per request, bit-exact), and {@code maxBatch 4 fused} (the
 * modules see the whole batch: {@code bitExactBatches(false)}).
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.omoib.vton.benchmarks.ServiceThroughput [MODELS [REQUESTS [ROUNDS]]]</pre>
 *
 * MODELS is a comma-separated list of bundled models (default {@code toy,mini}); REQUESTS per round
 * and configuration (default 48 for toy, 16 for mini); ROUNDS default 3. Run from the repository root.
 * Prints the median try-ons/s of each configuration and its ratio to {@code maxBatch 1}.
 */
public final class ServiceThroughput {
    private static final int SUBMITTERS = 8;

    private ServiceThroughput() {
    }

    public static void main(String[] args) throws Exception {
        String[] models = args.length > 0 ? args[0].split(",") : new String[] {"toy", "mini"};
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        PreprocessWork inputs = PreprocessWork.synthetic();
        System.out.printf(Locale.ROOT, "%-6s %-18s %10s %10s %8s%n", "model", "configuration", "try-ons/s",
                "p50 ms", "vs b1");
        for (String model : models) {
            int requests = args.length > 1 ? Integer.parseInt(args[1]) : model.equals("toy") ? 48 : 16;
            String[] names = {"maxBatch 1", "maxBatch 4", "maxBatch 4 fused"};
            double[][] rates = new double[names.length][rounds];
            double[][] p50 = new double[names.length][rounds];
            try (CatVTONPipeline exact = CatVTONPipeline.builder().modelDirectory(PipelineWork.bundledModel(model)).build();
                 CatVTONPipeline fused = CatVTONPipeline.builder().modelDirectory(PipelineWork.bundledModel(model))
                         .bitExactBatches(false).build()) {
                run(exact, 1, inputs, Math.max(8, requests / 4));
                for (int round = 0; round < rounds; round++) {
                    for (int c = 0; c < names.length; c++) {
                        double[] r = run(c == 2 ? fused : exact, c == 0 ? 1 : 4, inputs, requests);
                        rates[c][round] = r[0];
                        p50[c][round] = r[1];
                    }
                }
            }
            double base = median(rates[0]);
            for (int c = 0; c < names.length; c++) {
                System.out.printf(Locale.ROOT, "%-6s %-18s %10.2f %10.0f %8.2f%n", model, names[c], median(rates[c]),
                        median(p50[c]), median(rates[c]) / base);
            }
        }
    }

    /** @return try-ons per second and median latency in ms for one configuration */
    private static double[] run(CatVTONPipeline pipeline, int maxBatch, PreprocessWork inputs, int requests)
            throws Exception {
        TryOnParameters parameters = TryOnParameters.builder().steps(PipelineWork.STEPS).build();
        try (TryOnService service = TryOnService.builder().pipeline(pipeline).maxBatch(maxBatch)
                .maxWait(Duration.ofMillis(50)).queueCapacity(SUBMITTERS * 2).build()) {
            ExecutorService submitters = Executors.newFixedThreadPool(SUBMITTERS);
            long started = System.nanoTime();
            List<Future<List<Long>>> done = new ArrayList<>();
            for (int t = 0; t < SUBMITTERS; t++) {
                int share = requests / SUBMITTERS + (t < requests % SUBMITTERS ? 1 : 0);
                int first = t * 1000;
                done.add(submitters.submit(() -> {
                    List<Long> latencies = new ArrayList<>();
                    for (int i = 0; i < share; i++) {
                        TryOnRequest request = TryOnRequest.builder()
                                .person(ImageSource.of(inputs.encoded(0), "person"))
                                .mask(ImageSource.of(inputs.encoded(1), "mask"))
                                .upper(ImageSource.of(inputs.encoded(2), "upper"))
                                .lower(ImageSource.of(inputs.encoded(3), "lower"))
                                .clothType(ClothType.OVERALL)
                                .parameters(parameters.toBuilder().seed(first + i).build())
                                .build();
                        // each submitter waits for its own result: a closed loop of 8 clients
                        CompletableFuture<TryOnResult> result = submit(service, request);
                        latencies.add(result.get(10, TimeUnit.MINUTES).timings().total());
                    }
                    return latencies;
                }));
            }
            List<Long> latencies = new ArrayList<>();
            for (Future<List<Long>> f : done) {
                latencies.addAll(f.get());
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            submitters.shutdown();
            long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
            return new double[] {requests / seconds, sorted[sorted.length / 2] / 1e6};
        }
    }

    private static CompletableFuture<TryOnResult> submit(TryOnService service, TryOnRequest request) {
        while (true) {
            try {
                return service.submit(request);
            } catch (QueueFullException e) {
                Thread.onSpinWait();
            }
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return (sorted[(sorted.length - 1) / 2] + sorted[sorted.length / 2]) / 2;
    }
}

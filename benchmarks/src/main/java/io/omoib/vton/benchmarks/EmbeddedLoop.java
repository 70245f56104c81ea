package io.omoib.vton.benchmarks;

import com.sun.management.OperatingSystemMXBean;
import io.omoib.vton.pipeline.CatVTONPipeline;
import io.omoib.vton.pipeline.TryOnParameters;
import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.preprocess.Masks;
import io.omoib.vton.preprocess.TryOnImages;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * An embedder's loop: {@code pipeline.run} RUNS times in a row on prepared images, after a warm-up,
 * as a service calling the library would; {@code benchmarks/compare/cpu_runtime.py} runs it alone and
 * beside a CPU hog, with each thread setting.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.omoib.vton.benchmarks.EmbeddedLoop MODEL_DIR PREPARED_DIR RUNS STEPS [THREADS]</pre>
 *
 * PREPARED_DIR holds {@code person.png}, {@code mask.png} and {@code garment.png} at one of the model's
 * sizes ({@code vton preprocess} writes them). Prints one line:
 * {@code median MS p90 MS p99 MS max MS cpu_per_wall X threads N} (p99 is the 99th of 100 sorted runs,
 * nearest rank; cpu_per_wall is the process's CPU time over the loop's wall time).
 */
public final class EmbeddedLoop {
    private EmbeddedLoop() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 4 || args.length > 5) {
            System.err.println("usage: EmbeddedLoop MODEL_DIR PREPARED_DIR RUNS STEPS [THREADS]");
            System.exit(2);
        }
        ImageCodec codec = ImageCodec.defaults();
        Path prepared = Path.of(args[1]);
        TryOnImages images = TryOnImages.of(codec.decode(prepared.resolve("person.png")),
                Masks.toGray(codec.decode(prepared.resolve("mask.png"))), codec.decode(prepared.resolve("garment.png")));
        int runs = Integer.parseInt(args[2]);
        TryOnParameters parameters = TryOnParameters.builder().steps(Integer.parseInt(args[3])).build();
        CatVTONPipeline.Builder builder = CatVTONPipeline.builder().modelDirectory(Path.of(args[0]));
        if (args.length == 5) {
            builder.threads(Integer.parseInt(args[4]));
        }
        OperatingSystemMXBean os = ManagementFactory.getPlatformMXBean(OperatingSystemMXBean.class);
        try (CatVTONPipeline pipeline = builder.build()) {
            pipeline.warmUp();
            pipeline.run(images, parameters);
            double[] millis = new double[runs];
            long cpuBefore = os.getProcessCpuTime();
            long wallBefore = System.nanoTime();
            for (int i = 0; i < runs; i++) {
                long start = System.nanoTime();
                pipeline.run(images, parameters);
                millis[i] = (System.nanoTime() - start) / 1e6;
            }
            double cpuPerWall = (double) (os.getProcessCpuTime() - cpuBefore) / (System.nanoTime() - wallBefore);
            Arrays.sort(millis);
            System.out.printf(Locale.ROOT, "median %.1f p90 %.1f p99 %.1f max %.1f cpu_per_wall %.2f threads %d%n",
                    percentile(millis, 0.5), percentile(millis, 0.9), percentile(millis, 0.99), millis[runs - 1],
                    cpuPerWall, pipeline.threads());
        }
    }

    /** Nearest rank: the smallest value with at least {@code p} of the runs at or below it. */
    private static double percentile(double[] sorted, double p) {
        return sorted[Math.max(0, (int) Math.ceil(p * sorted.length) - 1)];
    }
}

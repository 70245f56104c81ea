package io.omoib.vton.benchmarks;

import io.omoib.vton.pipeline.CatVTONPipeline;
import io.omoib.vton.pipeline.PipelineInput;
import io.omoib.vton.pipeline.StepListener;
import io.omoib.vton.pipeline.TryOnParameters;
import io.omoib.vton.preprocess.ClothType;
import io.omoib.vton.preprocess.Garments;
import io.omoib.vton.preprocess.RgbImage;
import io.omoib.vton.preprocess.TryOnImages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Time and peak memory of one configuration, for {@code benchmarks/scaling.sh}, which runs each in a
 * JVM of its own so that the peak resident memory ({@code VmHWM}) is that configuration's.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.omoib.vton.benchmarks.ScalingTiming MODEL_DIR WIDTH HEIGHT BATCH STEPS ITERATIONS</pre>
 *
 * Prints {@code ms} (median wall time of a batch after one warm-up run), {@code ms_per_image} and
 * {@code peak_mib}.
 */
public final class ScalingTiming {
    private ScalingTiming() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 6) {
            System.err.println("usage: ScalingTiming MODEL_DIR WIDTH HEIGHT BATCH STEPS ITERATIONS");
            System.exit(2);
        }
        int width = Integer.parseInt(args[1]);
        int height = Integer.parseInt(args[2]);
        int batch = Integer.parseInt(args[3]);
        int steps = Integer.parseInt(args[4]);
        int iterations = Integer.parseInt(args[5]);
        TryOnImages prepared = TryOnImages.prepare(RgbImage.filled(1200, 1600, 90, 120, 150),
                RgbImage.filled(1200, 1600, 255, 255, 255), Garments.upper(RgbImage.filled(900, 1100, 200, 20, 20)),
                ClothType.UPPER, width, height);
        List<PipelineInput> inputs = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
            inputs.add(new PipelineInput(prepared, TryOnParameters.builder().steps(steps).seed(42 + i).build()));
        }
        try (CatVTONPipeline pipeline = CatVTONPipeline.builder().modelDirectory(Path.of(args[0])).build()) {
            pipeline.runBatch(inputs, StepListener.NONE);
            double[] ms = new double[iterations];
            for (int i = 0; i < iterations; i++) {
                long started = System.nanoTime();
                pipeline.runBatch(inputs, StepListener.NONE);
                ms[i] = (System.nanoTime() - started) / 1e6;
            }
            Arrays.sort(ms);
            double median = (ms[(iterations - 1) / 2] + ms[iterations / 2]) / 2;
            System.out.printf(Locale.ROOT, "ms %.1f%nms_per_image %.1f%npeak_mib %d%n", median, median / batch,
                    peakKib() / 1024);
        }
    }

    private static long peakKib() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}

package io.omoib.vton.benchmarks;

import io.omoib.vton.pipeline.RunTimings;
import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.preprocess.TryOnImages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.ToLongFunction;

/**
 * The Java side of {@code benchmarks/compare/pipeline.sh}: times whole try-ons with a model, the same
 * work {@code pipeline_python.py} times with the Python reference.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.omoib.vton.benchmarks.PipelineTiming MODEL_DIR INPUT_DIR ITERATIONS</pre>
 *
 * INPUT_DIR holds the JPEGs of {@code make_inputs.py}; they are prepared for a 768x1024 overall try-on
 * and, if not there yet, written as {@code prepared_person.png}, {@code prepared_mask.png} and
 * {@code prepared_garment.png} for the Python side. Prints medians over ITERATIONS runs after a JIT
 * warm-up (three runs and three seconds at least): {@code total MS}, {@code modules MS} and
 * {@code overhead X} (total / modules).
 */
public final class PipelineTiming {
    private PipelineTiming() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: PipelineTiming MODEL_DIR INPUT_DIR ITERATIONS");
            System.exit(2);
        }
        Path inputs = Path.of(args[1]);
        TryOnImages prepared = PreprocessWork.fromFolder(inputs).prepare();
        writeOnce(inputs.resolve("prepared_person.png"), ImageCodec.defaults().encodePng(prepared.person()));
        writeOnce(inputs.resolve("prepared_mask.png"), ImageCodec.defaults().encodePng(prepared.mask()));
        writeOnce(inputs.resolve("prepared_garment.png"), ImageCodec.defaults().encodePng(prepared.garment()));

        int iterations = Integer.parseInt(args[2]);
        PipelineWork work = new PipelineWork(Path.of(args[0]), prepared, 1);
        try {
            // Warm up the JIT: at least three runs and three seconds.
            long warmUntil = System.nanoTime() + 3_000_000_000L;
            for (int i = 0; i < 3 || System.nanoTime() < warmUntil; i++) {
                work.run();
            }
            RunTimings[] runs = new RunTimings[iterations];
            for (int i = 0; i < iterations; i++) {
                work.run();
                runs[i] = work.lastTimings();
            }
            System.out.printf(Locale.ROOT, "total %.1f%n", median(runs, RunTimings::total));
            System.out.printf(Locale.ROOT, "modules %.1f%n", median(runs, RunTimings::modules));
            double[] overheads = Arrays.stream(runs).mapToDouble(RunTimings::overhead).sorted().toArray();
            System.out.printf(Locale.ROOT, "overhead %.4f%n", overheads[overheads.length / 2]);
        } finally {
            work.close();
        }
    }

    private static double median(RunTimings[] runs, ToLongFunction<RunTimings> part) {
        long[] values = Arrays.stream(runs).mapToLong(part).sorted().toArray();
        return (values[(values.length - 1) / 2] + values[values.length / 2]) / 2e6;
    }

    private static void writeOnce(Path file, byte[] png) throws IOException {
        if (!Files.exists(file)) {
            Files.write(file, png);
        }
    }
}

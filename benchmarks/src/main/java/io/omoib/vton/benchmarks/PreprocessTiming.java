package io.omoib.vton.benchmarks;

import io.omoib.vton.preprocess.Resize;
import io.omoib.vton.preprocess.RgbImage;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * The Java side of {@code benchmarks/compare/preprocess.sh}: times the same work as
 * {@code preprocess_pillow.py} in one process and prints the same lines.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.omoib.vton.benchmarks.PreprocessTiming DIR ITERATIONS</pre>
 *
 * Prints {@code prepare MS}, {@code lanczos MS} (medians over ITERATIONS after a JIT warm-up) and
 * {@code digest HEX} of the prepared images.
 */
public final class PreprocessTiming {
    private static final int WARMUP = 40;

    private PreprocessTiming() {
    }

    public static void main(String[] args) {
        if (args.length != 2) {
            System.err.println("usage: PreprocessTiming INPUT_DIR ITERATIONS");
            System.exit(2);
        }
        PreprocessWork work = PreprocessWork.fromFolder(Path.of(args[0]));
        int iterations = Integer.parseInt(args[1]);
        RgbImage person = work.decodedPerson();
        System.out.printf(Locale.ROOT, "prepare %.3f%n", medianMillis(work::prepare, iterations));
        System.out.printf(Locale.ROOT, "lanczos %.3f%n",
                medianMillis(() -> Resize.lanczos(person, 768, 1024), iterations));
        System.out.println("digest " + PreprocessWork.digest(work.prepare()));
    }

    private static double medianMillis(Runnable task, int iterations) {
        for (int i = 0; i < WARMUP; i++) {
            task.run();
        }
        long[] nanos = new long[iterations];
        for (int i = 0; i < iterations; i++) {
            long start = System.nanoTime();
            task.run();
            nanos[i] = System.nanoTime() - start;
        }
        Arrays.sort(nanos);
        return (nanos[(iterations - 1) / 2] + nanos[iterations / 2]) / 2e6;
    }
}

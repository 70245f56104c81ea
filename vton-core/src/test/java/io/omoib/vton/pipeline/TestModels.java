package io.omoib.vton.pipeline;

import io.omoib.vton.preprocess.GrayImage;
import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.preprocess.Masks;
import io.omoib.vton.preprocess.RgbImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** The bundled toy and mini artifacts and the golden files made by {@code tools/fixtures/make_pipeline_golden.py}. */
public final class TestModels {
    private TestModels() {
    }

    /** The repository root: the nearest parent holding {@code models/}. */
    public static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("models"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("no models/ folder above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }

    public static Path toy() {
        return repositoryRoot().resolve("models/toy-catvton");
    }

    public static Path mini() {
        return repositoryRoot().resolve("models/mini-catvton");
    }

    /**
     * Copies the toy artifact, to be changed by a test.
     *
     * @param target a folder that does not exist yet
     * @return {@code target}, holding the copy
     */
    public static Path copyOfToy(Path target) throws IOException {
        try (Stream<Path> files = Files.walk(toy())) {
            for (Path source : (Iterable<Path>) files::iterator) {
                Path dest = target.resolve(toy().relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(dest);
                } else {
                    Files.copy(source, dest);
                }
            }
        }
        return target;
    }

    public static RgbImage rgb(String goldenFile) {
        return ImageCodec.defaults().decode(bytes(goldenFile), goldenFile);
    }

    public static GrayImage gray(String goldenFile) {
        return Masks.toGray(rgb(goldenFile));
    }

    private static byte[] bytes(String goldenFile) {
        try (InputStream in = TestModels.class.getResourceAsStream("/golden/" + goldenFile)) {
            if (in == null) {
                throw new IllegalStateException("missing golden file " + goldenFile + "; run tools/fixtures/make_pipeline_golden.py or tools/fixtures/make_catvton_golden.py");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Largest and mean absolute sample difference. */
    public static double[] difference(RgbImage a, RgbImage b) {
        byte[] x = a.toByteArray();
        byte[] y = b.toByteArray();
        if (x.length != y.length) {
            throw new AssertionError(a + " and " + b + " differ in size");
        }
        int max = 0;
        long sum = 0;
        for (int i = 0; i < x.length; i++) {
            int d = Math.abs((x[i] & 0xFF) - (y[i] & 0xFF));
            max = Math.max(max, d);
            sum += d;
        }
        return new double[] {max, (double) sum / x.length};
    }
}

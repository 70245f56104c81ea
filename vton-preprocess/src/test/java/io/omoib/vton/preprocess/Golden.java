package io.omoib.vton.preprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * Reads the Pillow golden files written by {@code tools/fixtures/make_preprocess_golden.py}, straight from the PNG
 * samples (independent of {@link ImageCodec}), and compares images with a useful failure message.
 */
final class Golden {
    private Golden() {
    }

    /** The cases of {@code golden/cases.txt}, each split into its fields. */
    static List<String[]> cases(String operation) {
        try (InputStream in = open("cases.txt")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(line -> !line.startsWith("#"))
                    .map(line -> line.split(" "))
                    .filter(fields -> fields[0].equals(operation))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static RgbImage rgb(String name) {
        Raster raster = read(name).getRaster();
        assertThat(raster.getNumBands()).as("bands of %s", name).isEqualTo(3);
        int[] samples = raster.getPixels(0, 0, raster.getWidth(), raster.getHeight(), (int[]) null);
        byte[] bytes = new byte[samples.length];
        for (int i = 0; i < samples.length; i++) {
            bytes[i] = (byte) samples[i];
        }
        return RgbImage.of(raster.getWidth(), raster.getHeight(), bytes);
    }

    static GrayImage gray(String name) {
        Raster raster = read(name).getRaster();
        assertThat(raster.getNumBands()).as("bands of %s", name).isEqualTo(1);
        int[] samples = raster.getPixels(0, 0, raster.getWidth(), raster.getHeight(), (int[]) null);
        byte[] bytes = new byte[samples.length];
        for (int i = 0; i < samples.length; i++) {
            bytes[i] = (byte) samples[i];
        }
        return GrayImage.of(raster.getWidth(), raster.getHeight(), bytes);
    }

    /** Asserts equal size and every sample equal, reporting the first difference and the largest one. */
    static void assertSame(RgbImage actual, RgbImage expected, String what) {
        assertSamples(actual.width(), actual.height(), actual.toByteArray(),
                expected.width(), expected.height(), expected.toByteArray(), 3, what);
    }

    static void assertSame(GrayImage actual, GrayImage expected, String what) {
        assertSamples(actual.width(), actual.height(), actual.toByteArray(),
                expected.width(), expected.height(), expected.toByteArray(), 1, what);
    }

    private static void assertSamples(int aw, int ah, byte[] a, int ew, int eh, byte[] e, int channels,
                                      String what) {
        assertThat(aw + "x" + ah).as("size of %s", what).isEqualTo(ew + "x" + eh);
        if (Arrays.equals(a, e)) {
            return;
        }
        int first = Arrays.mismatch(a, e);
        int maxDiff = 0;
        int count = 0;
        for (int i = 0; i < a.length; i++) {
            int d = Math.abs((a[i] & 0xFF) - (e[i] & 0xFF));
            maxDiff = Math.max(maxDiff, d);
            count += d > 0 ? 1 : 0;
        }
        int pixel = first / channels;
        fail("%s differs from Pillow in %d samples (max difference %d); first at x=%d y=%d channel %d: %d vs %d",
                what, count, maxDiff, pixel % aw, pixel / aw, first % channels, a[first] & 0xFF, e[first] & 0xFF);
    }

    private static BufferedImage read(String name) {
        try (InputStream in = open(name)) {
            return ImageIO.read(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static InputStream open(String name) {
        InputStream in = Golden.class.getResourceAsStream("/golden/" + name);
        if (in == null) {
            throw new IllegalStateException("missing golden file " + name + "; run tools/fixtures/make_preprocess_golden.py");
        }
        return in;
    }
}

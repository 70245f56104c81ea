package io.omoib.vton.preprocess;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The files written by {@code tools/fixtures/make_codec_fixtures.py} under {@code src/test/resources/codec}:
 * encoded inputs and, for each, {@code NAME.ppm} with the RGB pixels Pillow 9.4 decodes from it.
 */
final class CodecFixtures {
    private CodecFixtures() {}

    /** @return the bytes of {@code codec/<file>} */
    static byte[] bytes(String file) {
        try (InputStream in = CodecFixtures.class.getResourceAsStream("/codec/" + file)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture codec/" + file + "; run tools/fixtures/make_codec_fixtures.py");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return Pillow's pixels for {@code codec/<file>}, read from the matching binary PPM */
    static RgbImage expected(String file) {
        byte[] ppm = bytes(file.substring(0, file.lastIndexOf('.')) + ".ppm");
        // Header "P6\n<w> <h>\n255\n": four whitespace-separated fields, then the samples.
        String[] fields = new String[4];
        int pos = 0;
        for (int f = 0; f < 4; f++) {
            int start = pos;
            while (!Character.isWhitespace(ppm[pos])) {
                pos++;
            }
            fields[f] = new String(ppm, start, pos - start, StandardCharsets.US_ASCII);
            pos++;
        }
        if (!fields[0].equals("P6") || !fields[3].equals("255")) {
            throw new IllegalArgumentException(file + ": not an 8-bit binary PPM");
        }
        int w = Integer.parseInt(fields[1]);
        int h = Integer.parseInt(fields[2]);
        return RgbImage.of(w, h, Arrays.copyOfRange(ppm, pos, ppm.length));
    }

    /** @return the largest difference between corresponding samples; the images must be the same size */
    static int maxAbsDiff(RgbImage a, RgbImage b) {
        requireSameSize(a, b);
        byte[] x = a.pixels();
        byte[] y = b.pixels();
        int max = 0;
        for (int i = 0; i < x.length; i++) {
            max = Math.max(max, Math.abs((x[i] & 0xFF) - (y[i] & 0xFF)));
        }
        return max;
    }

    /** @return the mean absolute difference per sample; the images must be the same size */
    static double meanAbsDiff(RgbImage a, RgbImage b) {
        requireSameSize(a, b);
        byte[] x = a.pixels();
        byte[] y = b.pixels();
        long sum = 0;
        for (int i = 0; i < x.length; i++) {
            sum += Math.abs((x[i] & 0xFF) - (y[i] & 0xFF));
        }
        return (double) sum / x.length;
    }

    private static void requireSameSize(RgbImage a, RgbImage b) {
        if (a.width() != b.width() || a.height() != b.height()) {
            throw new AssertionError("sizes differ: " + a + " vs " + b);
        }
    }
}

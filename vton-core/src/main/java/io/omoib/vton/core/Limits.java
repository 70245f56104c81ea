package io.omoib.vton.core;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/** Reading streams within a byte limit. */
final class Limits {
    private Limits() {
    }

    /**
     * @param in the stream, read to its end but never past {@code max + 1} bytes
     * @param max the most bytes accepted
     * @param source what to name in the error
     * @throws ImageSourceException with {@link ImageSourceException.Kind#TOO_LARGE} beyond {@code max}
     */
    static byte[] readAtMost(InputStream in, long max, String source) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[64 << 10];
        long total = 0;
        for (int n; (n = in.read(buffer)) >= 0; ) {
            total += n;
            if (total > max) {
                throw tooLarge(source, max);
            }
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    static ImageSourceException tooLarge(String source, long max) {
        return new ImageSourceException(ImageSourceException.Kind.TOO_LARGE, source,
                "larger than the limit of " + mib(max) + "; send a smaller image or raise the limit", null);
    }

    static String mib(long bytes) {
        return bytes % (1 << 20) == 0 ? (bytes >> 20) + " MiB" : bytes + " bytes";
    }
}

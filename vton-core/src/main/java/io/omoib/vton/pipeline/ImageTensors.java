package io.omoib.vton.pipeline;

import io.omoib.vton.preprocess.GrayImage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import io.omoib.vton.preprocess.RgbImage;

/**
 * Pixels to model inputs and model outputs to pixels, computed in Java with exactly the float32
 * operations the reference applies with tensors (each IEEE operation rounds the same way in Java and
 * in PyTorch), in one pass instead of a chain of full-size tensor operations.
 */
final class ImageTensors {
    /** {@code v / 127.5f - 1f} for every 8-bit value, as {@code image.float() / 127.5 - 1}. */
    private static final float[] UNIT = new float[256];

    static {
        for (int v = 0; v < 256; v++) {
            UNIT[v] = v / 127.5f - 1f;
        }
    }

    private ImageTensors() {
    }

    /**
     * Writes an image as {@code [3,H,W]} in {@code [-1, 1]}, zeroed where the mask is at least 128
     * when a mask is given ({@code image * (mask < 0.5)}: a negative value times 0 stays -0.0, as in
     * PyTorch).
     *
     * @param out destination, {@code offset + 3 * H * W} long at least
     * @param mask the binary mask, or null for no masking
     */
    static void unitChw(RgbImage image, GrayImage mask, FloatBuffer out, int offset) {
        byte[] rgb = image.toByteArray();
        byte[] keep = mask == null ? null : mask.toByteArray();
        int plane = image.width() * image.height();
        for (int i = 0; i < plane; i++) {
            float factor = keep == null || (keep[i] & 0xFF) < 128 ? 1f : 0f;
            out.put(offset + i, UNIT[rgb[3 * i] & 0xFF] * factor);
            out.put(offset + plane + i, UNIT[rgb[3 * i + 1] & 0xFF] * factor);
            out.put(offset + 2 * plane + i, UNIT[rgb[3 * i + 2] & 0xFF] * factor);
        }
    }

    /**
     * Writes the mask at latent resolution, {@code [1,H/8,W/8]}: 1 where the pixel at
     * {@code (8i, 8j)} is at least 128 (nearest-neighbour downsampling).
     */
    static void latentMask(GrayImage mask, FloatBuffer out, int offset) {
        int h = mask.height() / 8;
        int w = mask.width() / 8;
        for (int i = 0; i < h; i++) {
            for (int j = 0; j < w; j++) {
                out.put(offset + i * w + j, mask.value(8 * j, 8 * i) >= 128 ? 1f : 0f);
            }
        }
    }

    /**
     * Direct buffers for a pipeline's inputs, kept from run to run. A direct buffer's memory returns
     * only when the garbage collector finds the buffer unreachable, which a small, quiet heap does
     * rarely: a fresh 19 MiB pair per 768x1024 run made resident memory creep between collections.
     * Not thread safe: the pipeline's runs are serialised, and the tensors made from a run's views
     * are closed when the run ends, before the next run writes here.
     */
    static final class Buffers {
        private final ByteBuffer[] slots;

        /**
         * Makes room for a run's buffers, allocated when first asked for.
         *
         * @param count how many buffers a run needs at once
         */
        Buffers(int count) {
            slots = new ByteBuffer[count];
        }

        /**
         * {@return a native-order view of exactly {@code floats} floats, which the engine reads without a copy}
         *
         * @param slot which buffer, 0 to count - 1
         * @param floats how many floats the run needs there
         */
        ByteBuffer floats(int slot, int floats) {
            int bytes = Math.multiplyExact(floats, Float.BYTES);
            if (slots[slot] == null || slots[slot].capacity() < bytes) {
                slots[slot] = ByteBuffer.allocateDirect(bytes);
            }
            return slots[slot].slice(0, bytes).order(ByteOrder.nativeOrder());
        }
    }

    /**
     * Turns decoder output {@code [3,H,W]} into pixels as CatVTON does:
     * {@code round_half_even(clamp(x / 2 + 0.5, 0, 1) * 255)}.
     *
     * @return the image, or null if a value is NaN or infinite
     */
    static RgbImage toImage(float[] chw, int offset, int width, int height) {
        int plane = width * height;
        byte[] rgb = new byte[plane * 3];
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < plane; i++) {
                float x = chw[offset + c * plane + i];
                if (!Float.isFinite(x)) {
                    return null;
                }
                float unit = Math.min(Math.max(x / 2f + 0.5f, 0f), 1f);
                rgb[3 * i + c] = (byte) (int) Math.rint(unit * 255f);
            }
        }
        return RgbImage.of(width, height, rgb);
    }
}

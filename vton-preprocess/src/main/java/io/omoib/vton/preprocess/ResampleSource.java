package io.omoib.vton.preprocess;

import java.util.Arrays;

/**
 * What {@link LanczosResampler} reads: 8-bit samples of a {@code width x height} image with 1 or 3
 * channels, delivered a block of rows at a time. Besides a window of a packed image (which is how a
 * crop costs nothing), a source can convert or compose on the fly, so that preparing a mask or an
 * outfit never materialises the full-size gray image or the stacked garments.
 */
abstract class ResampleSource {
    /** Width in pixels. */
    final int width;
    /** Height in pixels. */
    final int height;
    /** Samples per pixel: 1 (gray) or 3 (RGB, interleaved). */
    final int channels;

    private ResampleSource(int width, int height, int channels) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        this.width = width;
        this.height = height;
        this.channels = channels;
    }

    /**
     * Writes rows {@code [y0, y0 + count)} to {@code dst}, row {@code y0 + r} at {@code r * width * channels}.
     */
    abstract void readRows(int y0, int count, byte[] dst);

    /**
     * The array rows can be read from in place, row {@code y} at {@link #rowOffset(int)}, rows
     * {@link #rowStride()} apart; null when they must be copied with {@link #readRows}.
     */
    byte[] inPlace() {
        return null;
    }

    /** {@return where row {@code y} starts in {@link #inPlace()}; only when that is not null} */
    int rowOffset(int y) {
        throw new UnsupportedOperationException();
    }

    /** {@return the distance between rows in {@link #inPlace()}, in bytes; only when that is not null} */
    int rowStride() {
        throw new UnsupportedOperationException();
    }

    /** {@return the samples, {@code width * height * channels} bytes} */
    final byte[] toArray() {
        byte[] all = new byte[width * height * channels];
        readRows(0, height, all);
        return all;
    }

    /** The whole of an RGB image. */
    static ResampleSource of(RgbImage image) {
        return window(image, 0, 0, image.width(), image.height());
    }

    /** The whole of a gray image. */
    static ResampleSource of(GrayImage image) {
        return new Window(image.pixels(), image.width(), 1, 0, 0, image.width(), image.height());
    }

    /** A rectangle of an RGB image, read in place. */
    static ResampleSource window(RgbImage image, int left, int top, int width, int height) {
        return new Window(image.pixels(), image.width(), 3, left, top, width, height);
    }

    /** A rectangle of a gray image, read in place. */
    static ResampleSource window(GrayImage image, int left, int top, int width, int height) {
        return new Window(image.pixels(), image.width(), 1, left, top, width, height);
    }

    /** A rectangle of an RGB image converted to gray as {@link Masks#toGray} does, row by row. */
    static ResampleSource grayOf(RgbImage image, int left, int top, int width, int height) {
        return new GrayWindow(image, left, top, width, height);
    }

    /**
     * The upper image stacked over the lower one on white, {@code max(w1, w2)} wide and
     * {@code h1 + h2} high, each centred horizontally (left edge at {@code (W - w) / 2}).
     */
    static ResampleSource stacked(RgbImage upper, RgbImage lower) {
        long height = (long) upper.height() + lower.height();
        if (height > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("garments too tall to stack: " + height + " rows");
        }
        RgbImage.checkLength(Math.max(upper.width(), lower.width()), (int) height, -1);
        return new Stacked(upper, lower, (int) height);
    }

    private static final class Window extends ResampleSource {
        private final byte[] pixels;
        private final int stride;
        private final int origin;

        Window(byte[] pixels, int imageWidth, int channels, int left, int top, int width, int height) {
            super(width, height, channels);
            this.pixels = pixels;
            this.stride = imageWidth * channels;
            this.origin = top * stride + left * channels;
        }

        @Override
        byte[] inPlace() {
            return pixels;
        }

        @Override
        int rowOffset(int y) {
            return origin + y * stride;
        }

        @Override
        int rowStride() {
            return stride;
        }

        @Override
        void readRows(int y0, int count, byte[] dst) {
            int rowLen = width * channels;
            if (rowLen == stride) {
                System.arraycopy(pixels, origin + y0 * stride, dst, 0, count * rowLen);
                return;
            }
            for (int r = 0; r < count; r++) {
                System.arraycopy(pixels, origin + (y0 + r) * stride, dst, r * rowLen, rowLen);
            }
        }
    }

    private static final class GrayWindow extends ResampleSource {
        private final byte[] rgb;
        private final int stride;
        private final int origin;

        GrayWindow(RgbImage image, int left, int top, int width, int height) {
            super(width, height, 1);
            this.rgb = image.pixels();
            this.stride = image.width() * 3;
            this.origin = top * stride + left * 3;
        }

        @Override
        void readRows(int y0, int count, byte[] dst) {
            for (int r = 0; r < count; r++) {
                Masks.toGray(rgb, origin + (y0 + r) * stride, dst, r * width, width);
            }
        }
    }

    private static final class Stacked extends ResampleSource {
        private final RgbImage upper;
        private final RgbImage lower;

        Stacked(RgbImage upper, RgbImage lower, int height) {
            super(Math.max(upper.width(), lower.width()), height, 3);
            this.upper = upper;
            this.lower = lower;
        }

        @Override
        void readRows(int y0, int count, byte[] dst) {
            int rowLen = width * 3;
            for (int r = 0; r < count; r++) {
                int y = y0 + r;
                RgbImage part = y < upper.height() ? upper : lower;
                int partY = y < upper.height() ? y : y - upper.height();
                int partLen = part.width() * 3;
                int left = (width - part.width()) / 2 * 3;
                int o = r * rowLen;
                Arrays.fill(dst, o, o + left, (byte) 0xFF);
                System.arraycopy(part.pixels(), partY * partLen, dst, o + left, partLen);
                Arrays.fill(dst, o + left + partLen, o + rowLen, (byte) 0xFF);
            }
        }
    }
}

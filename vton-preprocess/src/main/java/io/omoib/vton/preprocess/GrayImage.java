package io.omoib.vton.preprocess;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.util.Arrays;
import java.util.Objects;

/**
 * An immutable single-channel 8-bit image, row-major, one byte per pixel: the layout of a Pillow
 * {@code "L"} image. Masks are gray images whose pixels are 0 (keep) or 255 (repaint).
 *
 * <p>Instances never expose their storage, so they can be shared freely between threads.
 */
public final class GrayImage {
    private final int width;
    private final int height;
    private final byte[] luma;

    private GrayImage(int width, int height, byte[] luma) {
        this.width = width;
        this.height = height;
        this.luma = luma;
    }

    /**
     * Copies pixels into a new image.
     *
     * @param width width in pixels, at least 1
     * @param height height in pixels, at least 1
     * @param luma {@code width * height} bytes, row-major
     * @return the image
     * @throws IllegalArgumentException if a size is not positive or {@code luma} has the wrong length
     */
    public static GrayImage of(int width, int height, byte[] luma) {
        Objects.requireNonNull(luma, "luma");
        checkLength(width, height, luma.length);
        return new GrayImage(width, height, luma.clone());
    }

    /**
     * An image of one value.
     *
     * @param width width in pixels, at least 1
     * @param height height in pixels, at least 1
     * @param value 0-255
     * @return the image
     */
    public static GrayImage filled(int width, int height, int value) {
        byte[] luma = new byte[checkLength(width, height, -1)];
        Arrays.fill(luma, (byte) value);
        return new GrayImage(width, height, luma);
    }

    /** Wraps an array this package created and will not touch again; no copy. */
    static GrayImage wrap(int width, int height, byte[] luma) {
        checkLength(width, height, luma.length);
        return new GrayImage(width, height, luma);
    }

    private static int checkLength(int width, int height, int length) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        long needed = (long) width * height;
        if (needed > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("image " + width + "x" + height + " is too large for one array");
        }
        if (length >= 0 && length != needed) {
            throw new IllegalArgumentException(
                    "a " + width + "x" + height + " gray image needs " + needed + " bytes, got " + length);
        }
        return (int) needed;
    }

    /** {@return width in pixels} */
    public int width() {
        return width;
    }

    /** {@return height in pixels} */
    public int height() {
        return height;
    }

    /**
     * One pixel.
     *
     * @param x column, {@code 0 <= x < width}
     * @param y row, {@code 0 <= y < height}
     * @return the value, 0-255
     */
    public int value(int x, int y) {
        Objects.checkIndex(x, width);
        Objects.checkIndex(y, height);
        return luma[y * width + x] & 0xFF;
    }

    /** {@return a copy of the pixels, {@code width * height} bytes, row-major} */
    public byte[] toByteArray() {
        return luma.clone();
    }

    /** The storage itself, for this package's pixel operations, which never write to it. */
    byte[] pixels() {
        return luma;
    }

    /** {@return the same pixels as an RGB image with equal channels} */
    public RgbImage toRgb() {
        byte[] rgb = new byte[luma.length * 3];
        for (int i = 0, o = 0; i < luma.length; i++, o += 3) {
            rgb[o] = rgb[o + 1] = rgb[o + 2] = luma[i];
        }
        return RgbImage.wrap(width, height, rgb);
    }

    /** {@return a new {@link BufferedImage#TYPE_BYTE_GRAY} image with these pixels} */
    public BufferedImage toBufferedImage() {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        byte[] data = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
        System.arraycopy(luma, 0, data, 0, luma.length);
        return image;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GrayImage other
                && width == other.width
                && height == other.height
                && Arrays.equals(luma, other.luma);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * width + height) + Arrays.hashCode(luma);
    }

    @Override
    public String toString() {
        return "GrayImage[" + width + "x" + height + "]";
    }
}

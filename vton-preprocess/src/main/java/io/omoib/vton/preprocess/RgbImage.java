package io.omoib.vton.preprocess;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.util.Arrays;
import java.util.Objects;

/**
 * An immutable 8-bit RGB image: {@code width x height} pixels stored row-major as packed
 * {@code R, G, B} bytes, the layout of a Pillow {@code "RGB"} image or a numpy {@code uint8[H,W,3]}
 * array.
 *
 * <p>Instances never expose their storage: factories copy what they are given and accessors copy
 * what they return, so an image can be shared freely between threads.
 */
public final class RgbImage {
    private final int width;
    private final int height;
    private final byte[] rgb;

    private RgbImage(int width, int height, byte[] rgb) {
        this.width = width;
        this.height = height;
        this.rgb = rgb;
    }

    /**
     * Copies packed pixels into a new image.
     *
     * @param width width in pixels, at least 1
     * @param height height in pixels, at least 1
     * @param rgb {@code width * height * 3} bytes, row-major {@code R, G, B}
     * @return the image
     * @throws IllegalArgumentException if a size is not positive or {@code rgb} has the wrong length
     */
    public static RgbImage of(int width, int height, byte[] rgb) {
        Objects.requireNonNull(rgb, "rgb");
        checkLength(width, height, rgb.length);
        return new RgbImage(width, height, rgb.clone());
    }

    /**
     * An image of one colour.
     *
     * @param width width in pixels, at least 1
     * @param height height in pixels, at least 1
     * @param red red 0-255
     * @param green green 0-255
     * @param blue blue 0-255
     * @return the image
     */
    public static RgbImage filled(int width, int height, int red, int green, int blue) {
        byte[] rgb = new byte[checkLength(width, height, -1)];
        for (int i = 0; i < rgb.length; i += 3) {
            rgb[i] = (byte) red;
            rgb[i + 1] = (byte) green;
            rgb[i + 2] = (byte) blue;
        }
        return new RgbImage(width, height, rgb);
    }

    /**
     * Copies the pixels of a {@link BufferedImage}, dropping alpha without compositing. Use
     * {@link ImageCodec} to decode files, which also applies EXIF orientation and composites alpha.
     *
     * @param image any image ImageIO can convert to sRGB
     * @return the image
     */
    public static RgbImage fromBufferedImage(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        byte[] rgb = new byte[checkLength(w, h, -1)];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            image.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0, o = y * w * 3; x < w; x++, o += 3) {
                int p = row[x];
                rgb[o] = (byte) (p >>> 16);
                rgb[o + 1] = (byte) (p >>> 8);
                rgb[o + 2] = (byte) p;
            }
        }
        return new RgbImage(w, h, rgb);
    }

    /** Wraps an array this package created and will not touch again; no copy. */
    static RgbImage wrap(int width, int height, byte[] rgb) {
        checkLength(width, height, rgb.length);
        return new RgbImage(width, height, rgb);
    }

    /** Returns {@code width * height * 3}, after checking both sizes and, unless negative, {@code length}. */
    static int checkLength(int width, int height, int length) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        long needed = (long) width * height * 3;
        if (needed > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("image " + width + "x" + height + " is too large for one array");
        }
        if (length >= 0 && length != needed) {
            throw new IllegalArgumentException(
                    "a " + width + "x" + height + " RGB image needs " + needed + " bytes, got " + length);
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
     * @return {@code 0xRRGGBB}
     */
    public int rgb(int x, int y) {
        Objects.checkIndex(x, width);
        Objects.checkIndex(y, height);
        int o = (y * width + x) * 3;
        return (rgb[o] & 0xFF) << 16 | (rgb[o + 1] & 0xFF) << 8 | (rgb[o + 2] & 0xFF);
    }

    /** {@return a copy of the packed pixels, {@code width * height * 3} bytes, row-major {@code R, G, B}} */
    public byte[] toByteArray() {
        return rgb.clone();
    }

    /** The storage itself, for this package's pixel operations, which never write to it. */
    byte[] pixels() {
        return rgb;
    }

    /** {@return a new {@link BufferedImage#TYPE_3BYTE_BGR} image with these pixels} */
    public BufferedImage toBufferedImage() {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        byte[] bgr = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < bgr.length; i += 3) {
            bgr[i] = rgb[i + 2];
            bgr[i + 1] = rgb[i + 1];
            bgr[i + 2] = rgb[i];
        }
        return image;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RgbImage other
                && width == other.width
                && height == other.height
                && Arrays.equals(rgb, other.rgb);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * width + height) + Arrays.hashCode(rgb);
    }

    @Override
    public String toString() {
        return "RgbImage[" + width + "x" + height + "]";
    }
}

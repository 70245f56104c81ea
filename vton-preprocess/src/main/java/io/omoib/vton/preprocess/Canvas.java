package io.omoib.vton.preprocess;

/** A mutable RGB drawing surface for composing images, as Pillow's {@code Image.new} + {@code paste}. */
final class Canvas {
    private final int width;
    private final int height;
    private final byte[] rgb;
    private boolean taken;

    private Canvas(int width, int height, byte[] rgb) {
        this.width = width;
        this.height = height;
        this.rgb = rgb;
    }

    /** A canvas filled with white (255, 255, 255). */
    static Canvas white(int width, int height) {
        byte[] rgb = new byte[RgbImage.checkLength(width, height, -1)];
        java.util.Arrays.fill(rgb, (byte) 0xFF);
        return new Canvas(width, height, rgb);
    }

    /**
     * Copies {@code image} with its top-left corner at {@code (left, top)}, clipped to the canvas
     * like Pillow's {@code paste}.
     */
    Canvas paste(RgbImage image, int left, int top) {
        int x0 = Math.max(left, 0);
        int x1 = Math.min(left + image.width(), width);
        int y0 = Math.max(top, 0);
        int y1 = Math.min(top + image.height(), height);
        if (x1 <= x0) {
            return this;
        }
        byte[] src = image.pixels();
        for (int y = y0; y < y1; y++) {
            System.arraycopy(src, ((y - top) * image.width() + (x0 - left)) * 3,
                    rgb, (y * width + x0) * 3, (x1 - x0) * 3);
        }
        return this;
    }

    /** Finishes drawing; the canvas must not be used afterwards. */
    RgbImage toImage() {
        if (taken) {
            throw new IllegalStateException("canvas already turned into an image");
        }
        taken = true;
        return RgbImage.wrap(width, height, rgb);
    }
}

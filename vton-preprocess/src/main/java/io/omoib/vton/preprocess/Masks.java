package io.omoib.vton.preprocess;

/**
 * Mask operations, each bit-identical to the Pillow 9.4 operation it names: gray conversion,
 * thresholding, Gaussian blur and dilation (max filter).
 */
public final class Masks {
    /** The threshold CatVTON's mask processor binarises at: {@code v / 255 >= 0.5}. */
    public static final int DEFAULT_THRESHOLD = 128;

    private static final int BLUR_PASSES = 3;
    /** Terms of the luma formula by channel value; the red table carries the rounding {@code 0x8000}. */
    private static final int[] RED_LUMA = new int[256];
    private static final int[] GREEN_LUMA = new int[256];
    private static final int[] BLUE_LUMA = new int[256];

    static {
        for (int v = 0; v < 256; v++) {
            RED_LUMA[v] = v * 19595 + 0x8000;
            GREEN_LUMA[v] = v * 38470;
            BLUE_LUMA[v] = v * 7471;
        }
    }

    private Masks() {
    }

    /**
     * Pillow's {@code convert("L")}: {@code L = (R*19595 + G*38470 + B*7471 + 0x8000) >> 16}, the
     * ITU-R 601-2 luma in 16-bit fixed point.
     *
     * @param image the RGB image
     * @return its luma
     */
    public static GrayImage toGray(RgbImage image) {
        byte[] luma = new byte[image.width() * image.height()];
        toGray(image.pixels(), 0, luma, 0, luma.length);
        return GrayImage.wrap(image.width(), image.height(), luma);
    }

    /** Converts {@code count} packed RGB pixels from {@code rgb[from]} to luma at {@code luma[to]}. */
    static void toGray(byte[] rgb, int from, byte[] luma, int to, int count) {
        for (int i = 0, p = from; i < count; i++, p += 3) {
            luma[to + i] = (byte) ((RED_LUMA[rgb[p] & 0xFF] + GREEN_LUMA[rgb[p + 1] & 0xFF]
                    + BLUE_LUMA[rgb[p + 2] & 0xFF]) >> 16);
        }
    }

    /**
     * Whether a mask selects any pixel; stops at the first one.
     *
     * @param mask a mask
     * @return true if some pixel is not 0
     */
    static boolean selectsAny(GrayImage mask) {
        for (byte b : mask.pixels()) {
            if (b != 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * Binarises: 255 where the value is at least {@code threshold}, else 0.
     *
     * @param image the gray image
     * @param threshold 0-256; CatVTON uses {@link #DEFAULT_THRESHOLD}
     * @return a mask of 0 and 255
     */
    public static GrayImage threshold(GrayImage image, int threshold) {
        if (threshold < 0 || threshold > 256) {
            throw new IllegalArgumentException("threshold must be within 0-256, got " + threshold);
        }
        byte[] in = image.pixels();
        byte[] out = new byte[in.length];
        for (int i = 0; i < in.length; i++) {
            out[i] = (in[i] & 0xFF) >= threshold ? (byte) 0xFF : 0;
        }
        return GrayImage.wrap(image.width(), image.height(), out);
    }

    /**
     * Counts the pixels a mask selects.
     *
     * @param mask a mask
     * @return the number of pixels that are not 0
     */
    public static long selectedPixels(GrayImage mask) {
        long count = 0;
        for (byte b : mask.pixels()) {
            if (b != 0) {
                count++;
            }
        }
        return count;
    }

    /**
     * Pillow's {@code filter(ImageFilter.GaussianBlur(radius))}: three box blurs per axis whose
     * combined variance matches a Gaussian of standard deviation {@code radius}, computed in the
     * same fixed-point arithmetic. Edges repeat the border pixel.
     *
     * @param image the image
     * @param radius standard deviation in pixels, at least 0
     * @return the blurred image
     */
    public static GrayImage gaussianBlur(GrayImage image, float radius) {
        if (!(radius >= 0) || Float.isInfinite(radius)) {
            throw new IllegalArgumentException("blur radius must be a finite number >= 0, got " + radius);
        }
        // Pillow computes these in float; the same single-precision steps give the same box radius.
        float sigma2 = radius * radius / BLUR_PASSES;
        float bigL = (float) Math.sqrt(12.0 * sigma2 + 1.0);
        float l = (float) Math.floor((bigL - 1.0) / 2.0);
        float a = (2 * l + 1) * (l * (l + 1) - 3 * sigma2);
        a /= 6 * (sigma2 - (l + 1) * (l + 1));
        float boxRadius = l + a;

        int w = image.width();
        int h = image.height();
        byte[] data = image.toByteArray();
        boxBlurRows(data, w, h, boxRadius);
        byte[] transposed = transpose(data, w, h);
        boxBlurRows(transposed, h, w, boxRadius);
        return GrayImage.wrap(w, h, transpose(transposed, h, w));
    }

    /**
     * Pillow's {@code filter(ImageFilter.MaxFilter(size))}: each pixel becomes the maximum of the
     * {@code size x size} window centred on it, the window clipped at the edges. Grows white regions
     * of a mask by {@code size / 2} pixels.
     *
     * @param image the image
     * @param size window side in pixels, odd and at least 1
     * @return the dilated image
     */
    public static GrayImage dilate(GrayImage image, int size) {
        if (size < 1 || size % 2 == 0) {
            throw new IllegalArgumentException("dilation size must be odd and at least 1, got " + size);
        }
        int w = image.width();
        int h = image.height();
        int r = size / 2;
        // A square max is separable: rows first, then columns.
        byte[] rows = new byte[w * h];
        byte[] in = image.pixels();
        for (int y = 0; y < h; y++) {
            int row = y * w;
            for (int x = 0; x < w; x++) {
                int max = 0;
                for (int i = Math.max(x - r, 0), end = Math.min(x + r, w - 1); i <= end; i++) {
                    max = Math.max(max, in[row + i] & 0xFF);
                }
                rows[row + x] = (byte) max;
            }
        }
        byte[] out = new byte[w * h];
        for (int y = 0; y < h; y++) {
            int start = Math.max(y - r, 0);
            int end = Math.min(y + r, h - 1);
            for (int x = 0; x < w; x++) {
                int max = 0;
                for (int j = start; j <= end; j++) {
                    max = Math.max(max, rows[j * w + x] & 0xFF);
                }
                out[y * w + x] = (byte) max;
            }
        }
        return GrayImage.wrap(w, h, out);
    }

    /** Blurs every row in place with {@link #BLUR_PASSES} extended box blurs of a fractional radius. */
    private static void boxBlurRows(byte[] data, int w, int h, float floatRadius) {
        int radius = (int) floatRadius;
        // Weights in 8.24 fixed point, unsigned in Pillow: int arithmetic wraps the same way.
        int ww = (int) (long) ((float) (1 << 24) / (floatRadius * 2 + 1));
        int fw = ((1 << 24) - (radius * 2 + 1) * ww) / 2;
        int edgeA = Math.min(radius + 1, w);
        int edgeB = Math.max(w - radius - 1, 0);
        int[] line = new int[w];
        int[] out = new int[w];
        for (int y = 0; y < h; y++) {
            int row = y * w;
            for (int x = 0; x < w; x++) {
                line[x] = data[row + x] & 0xFF;
            }
            for (int pass = 0; pass < BLUR_PASSES; pass++) {
                boxBlurLine(line, out, radius, edgeA, edgeB, ww, fw);
                int[] t = line;
                line = out;
                out = t;
            }
            for (int x = 0; x < w; x++) {
                data[row + x] = (byte) line[x];
            }
        }
    }

    /**
     * One extended box blur of a line: a running sum over {@code 2 * radius + 1} samples with weight
     * {@code ww} plus the two next samples with weight {@code fw}, indices clamped to the line.
     */
    private static void boxBlurLine(int[] in, int[] out, int radius, int edgeA, int edgeB, int ww, int fw) {
        int last = in.length - 1;
        int acc = in[0] * (radius + 1);
        for (int x = 0; x < edgeA - 1; x++) {
            acc += in[x];
        }
        acc += in[last] * (radius - edgeA + 1);
        for (int x = 0; x <= last; x++) {
            int subtract = Math.max(x - radius - 1, 0);
            int add = Math.min(x + radius, last);
            int far = Math.min(x + radius + 1, last);
            acc += in[add] - in[subtract];
            int bulk = acc * ww + (in[subtract] + in[far]) * fw;
            out[x] = (bulk + (1 << 23)) >>> 24;
        }
    }

    private static byte[] transpose(byte[] data, int w, int h) {
        byte[] out = new byte[data.length];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                out[x * h + y] = data[y * w + x];
            }
        }
        return out;
    }
}

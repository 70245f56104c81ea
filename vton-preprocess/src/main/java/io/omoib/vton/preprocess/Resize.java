package io.omoib.vton.preprocess;

/**
 * Resizing exactly as Pillow 9.4 does with {@code Image.resize(size, Image.LANCZOS)}, plus CatVTON's
 * two framing helpers built on it. Results are bit-identical to Pillow's.
 *
 * <p>The filter is separable: a horizontal pass over the rows the vertical pass needs, then a
 * vertical pass; a pass whose size is unchanged is skipped. Each output sample is a weighted sum of
 * input samples with Lanczos-3 weights (support widened by the scale factor when shrinking),
 * normalised to sum 1, rounded to 22-bit fixed point, accumulated in {@code int}, rounded and
 * clamped to 8 bits after each pass.
 */
public final class Resize {
    /** Fixed-point precision of the weights: 32 bits less 8 for the sample and 2 for overshoot. */
    private static final int PRECISION_BITS = 32 - 8 - 2;
    private static final int HALF = 1 << (PRECISION_BITS - 1);
    private static final double LANCZOS_SUPPORT = 3.0;

    private Resize() {
    }

    /**
     * Resizes with Pillow's {@code Image.LANCZOS} filter.
     *
     * @param image the source
     * @param width target width in pixels, at least 1
     * @param height target height in pixels, at least 1
     * @return the resized image; the same instance when the size is unchanged
     */
    public static RgbImage lanczos(RgbImage image, int width, int height) {
        checkSize(width, height);
        if (width == image.width() && height == image.height()) {
            return image;
        }
        return RgbImage.wrap(width, height,
                resample(image.pixels(), image.width(), image.height(), 3, width, height));
    }

    /**
     * Resizes a single-channel image with Pillow's {@code Image.LANCZOS} filter.
     *
     * @param image the source
     * @param width target width in pixels, at least 1
     * @param height target height in pixels, at least 1
     * @return the resized image; the same instance when the size is unchanged
     */
    public static GrayImage lanczos(GrayImage image, int width, int height) {
        checkSize(width, height);
        if (width == image.width() && height == image.height()) {
            return image;
        }
        return GrayImage.wrap(width, height,
                resample(image.pixels(), image.width(), image.height(), 1, width, height));
    }

    /**
     * CatVTON's {@code resize_and_crop}: crops the largest centred box with the target aspect ratio,
     * then resizes it to exactly {@code width x height} with Lanczos.
     *
     * @param image the source
     * @param width target width in pixels, at least 1
     * @param height target height in pixels, at least 1
     * @return a {@code width x height} image
     */
    public static RgbImage resizeAndCrop(RgbImage image, int width, int height) {
        int[] box = centredCropBox(image.width(), image.height(), width, height);
        return lanczos(crop(image, box), width, height);
    }

    /**
     * {@link #resizeAndCrop(RgbImage, int, int)} for a single-channel image (a mask).
     *
     * @param image the source
     * @param width target width in pixels, at least 1
     * @param height target height in pixels, at least 1
     * @return a {@code width x height} image
     */
    public static GrayImage resizeAndCrop(GrayImage image, int width, int height) {
        int[] box = centredCropBox(image.width(), image.height(), width, height);
        int cw = box[2] - box[0];
        int ch = box[3] - box[1];
        byte[] src = image.pixels();
        byte[] out = new byte[cw * ch];
        for (int y = 0; y < ch; y++) {
            System.arraycopy(src, (box[1] + y) * image.width() + box[0], out, y * cw, cw);
        }
        return lanczos(GrayImage.wrap(cw, ch, out), width, height);
    }

    /**
     * CatVTON's {@code resize_and_padding}: scales the image with Lanczos to fit inside
     * {@code width x height} keeping its aspect ratio, and centres it on a white canvas.
     *
     * @param image the source
     * @param width canvas width in pixels, at least 1
     * @param height canvas height in pixels, at least 1
     * @return a {@code width x height} image
     * @throws IllegalArgumentException if the image is so elongated that it would scale to zero pixels
     */
    public static RgbImage resizeAndPadding(RgbImage image, int width, int height) {
        checkSize(width, height);
        int w = image.width();
        int h = image.height();
        int newW;
        int newH;
        // Python compares the float quotients; so do we, to agree on the boundary cases.
        if ((double) w / h < (double) width / height) {
            newH = height;
            newW = (int) ((long) w * height / h);
        } else {
            newW = width;
            newH = (int) ((long) h * width / w);
        }
        if (newW < 1 || newH < 1) {
            throw new IllegalArgumentException("a " + w + "x" + h + " image is too elongated to fit "
                    + width + "x" + height + ": it would scale to " + newW + "x" + newH
                    + " pixels; crop it to a less extreme aspect ratio");
        }
        RgbImage scaled = lanczos(image, newW, newH);
        return Canvas.white(width, height)
                .paste(scaled, Math.floorDiv(width - newW, 2), Math.floorDiv(height - newH, 2))
                .toImage();
    }

    /** The crop box {@code [left, top, right, bottom]} of CatVTON's {@code resize_and_crop}. */
    private static int[] centredCropBox(int w, int h, int width, int height) {
        checkSize(width, height);
        int newW;
        int newH;
        if ((double) w / h < (double) width / height) {
            newW = w;
            newH = (int) ((long) w * height / width);
        } else {
            newH = h;
            newW = (int) ((long) h * width / height);
        }
        int[] box = {(w - newW) / 2, (h - newH) / 2, (w + newW) / 2, (h + newH) / 2};
        if (box[2] <= box[0] || box[3] <= box[1]) {
            throw new IllegalArgumentException("a " + w + "x" + h + " image is too elongated to crop to the "
                    + width + ":" + height + " aspect ratio; crop it to a less extreme aspect ratio");
        }
        return box;
    }

    private static RgbImage crop(RgbImage image, int[] box) {
        int cw = box[2] - box[0];
        int ch = box[3] - box[1];
        if (cw == image.width() && ch == image.height()) {
            return image;
        }
        byte[] src = image.pixels();
        byte[] out = new byte[cw * ch * 3];
        for (int y = 0; y < ch; y++) {
            System.arraycopy(src, ((box[1] + y) * image.width() + box[0]) * 3, out, y * cw * 3, cw * 3);
        }
        return RgbImage.wrap(cw, ch, out);
    }

    private static void checkSize(int width, int height) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("target size must be positive, got " + width + "x" + height);
        }
    }

    /**
     * Resamples interleaved 8-bit samples.
     *
     * @param src {@code inW * inH * channels} samples, row-major, channels interleaved
     * @param channels samples per pixel
     * @return {@code outW * outH * channels} samples
     */
    private static byte[] resample(byte[] src, int inW, int inH, int channels, int outW, int outH) {
        boolean horizontal = outW != inW;
        boolean vertical = outH != inH;
        Coefficients vert = Coefficients.lanczos(inH, outH);
        byte[] rows = src;
        int firstRow = 0;
        if (horizontal) {
            // Only the source rows the vertical pass reads.
            firstRow = vert.bounds[0];
            int lastRow = vert.bounds[2 * outH - 2] + vert.bounds[2 * outH - 1];
            if (!vertical) {
                firstRow = 0;
                lastRow = inH;
            }
            rows = horizontalPass(src, inW, firstRow, lastRow - firstRow, channels,
                    Coefficients.lanczos(inW, outW));
        }
        if (!vertical) {
            return rows;
        }
        return verticalPass(rows, horizontal ? outW : inW, firstRow, outH, channels, vert);
    }

    private static byte[] horizontalPass(byte[] src, int inW, int firstRow, int rowCount, int channels,
                                         Coefficients c) {
        int outW = c.outSize;
        byte[] out = new byte[outW * rowCount * channels];
        int ksize = c.ksize;
        int[] k = c.fixed;
        int[] bounds = c.bounds;
        if (channels == 3) {
            for (int y = 0; y < rowCount; y++) {
                int rowStart = (firstRow + y) * inW * 3;
                int o = y * outW * 3;
                for (int xx = 0; xx < outW; xx++, o += 3) {
                    int xmin = bounds[2 * xx];
                    int n = bounds[2 * xx + 1];
                    int kOff = xx * ksize;
                    int s0 = HALF;
                    int s1 = HALF;
                    int s2 = HALF;
                    int p = rowStart + xmin * 3;
                    for (int x = 0; x < n; x++, p += 3) {
                        int w = k[kOff + x];
                        s0 += (src[p] & 0xFF) * w;
                        s1 += (src[p + 1] & 0xFF) * w;
                        s2 += (src[p + 2] & 0xFF) * w;
                    }
                    out[o] = clip8(s0);
                    out[o + 1] = clip8(s1);
                    out[o + 2] = clip8(s2);
                }
            }
        } else {
            for (int y = 0; y < rowCount; y++) {
                int rowStart = (firstRow + y) * inW;
                int o = y * outW;
                for (int xx = 0; xx < outW; xx++, o++) {
                    int xmin = bounds[2 * xx];
                    int n = bounds[2 * xx + 1];
                    int kOff = xx * ksize;
                    int s = HALF;
                    int p = rowStart + xmin;
                    for (int x = 0; x < n; x++) {
                        s += (src[p + x] & 0xFF) * k[kOff + x];
                    }
                    out[o] = clip8(s);
                }
            }
        }
        return out;
    }

    /**
     * @param src rows starting at source row {@code firstRow}, {@code width * channels} samples each
     */
    private static byte[] verticalPass(byte[] src, int width, int firstRow, int outH, int channels,
                                       Coefficients c) {
        int rowLen = width * channels;
        byte[] out = new byte[outH * rowLen];
        int ksize = c.ksize;
        int[] k = c.fixed;
        int[] acc = new int[rowLen];
        for (int yy = 0; yy < outH; yy++) {
            int ymin = c.bounds[2 * yy] - firstRow;
            int n = c.bounds[2 * yy + 1];
            int kOff = yy * ksize;
            java.util.Arrays.fill(acc, HALF);
            // Row-at-a-time accumulation walks memory sequentially; the sum per sample is the same.
            for (int y = 0; y < n; y++) {
                int w = k[kOff + y];
                int p = (ymin + y) * rowLen;
                for (int i = 0; i < rowLen; i++) {
                    acc[i] += (src[p + i] & 0xFF) * w;
                }
            }
            int o = yy * rowLen;
            for (int i = 0; i < rowLen; i++) {
                out[o + i] = clip8(acc[i]);
            }
        }
        return out;
    }

    private static byte clip8(int sum) {
        int v = sum >> PRECISION_BITS;
        return (byte) (v < 0 ? 0 : Math.min(v, 255));
    }

    /** Lanczos weights for one axis: for each output sample, the first input index, count and weights. */
    private static final class Coefficients {
        final int outSize;
        final int ksize;
        /** {@code [xmin, count]} per output sample. */
        final int[] bounds;
        /** {@code ksize} fixed-point weights per output sample, zero-padded. */
        final int[] fixed;

        private Coefficients(int outSize, int ksize, int[] bounds, int[] fixed) {
            this.outSize = outSize;
            this.ksize = ksize;
            this.bounds = bounds;
            this.fixed = fixed;
        }

        static Coefficients lanczos(int inSize, int outSize) {
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = LANCZOS_SUPPORT * filterScale;
            int ksize = (int) Math.ceil(support) * 2 + 1;
            int[] bounds = new int[outSize * 2];
            int[] fixed = new int[outSize * ksize];
            double[] w = new double[ksize];
            double ss = 1.0 / filterScale;
            for (int xx = 0; xx < outSize; xx++) {
                double center = (xx + 0.5) * scale;
                int xmin = Math.max((int) (center - support + 0.5), 0);
                int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
                double total = 0.0;
                for (int x = 0; x < xmax; x++) {
                    w[x] = filter((x + xmin - center + 0.5) * ss);
                    total += w[x];
                }
                for (int x = 0; x < xmax; x++) {
                    double v = total != 0.0 ? w[x] / total : w[x];
                    fixed[xx * ksize + x] = (int) (v < 0 ? -0.5 + v * (1 << PRECISION_BITS)
                            : 0.5 + v * (1 << PRECISION_BITS));
                }
                bounds[2 * xx] = xmin;
                bounds[2 * xx + 1] = xmax;
            }
            return new Coefficients(outSize, ksize, bounds, fixed);
        }

        /** Truncated sinc: {@code sinc(x) * sinc(x / 3)} on {@code [-3, 3)}. */
        private static double filter(double x) {
            if (-LANCZOS_SUPPORT <= x && x < LANCZOS_SUPPORT) {
                return sinc(x) * sinc(x / 3);
            }
            return 0.0;
        }

        private static double sinc(double x) {
            if (x == 0.0) {
                return 1.0;
            }
            double px = x * Math.PI;
            return StrictMath.sin(px) / px;
        }
    }
}

package io.omoib.vton.preprocess;

import java.util.Arrays;

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
    /** Samples per vector in the horizontal pass: 64 RGB rows or 192 gray rows at a time. */
    private static final int BLOCK_LANES = 192;
    /** Columns transposed together: their vectors fit in the L1 cache. */
    private static final int TILE_COLUMNS = 16;
    /** {@code CLIP[(sum >> PRECISION_BITS) + CLIP_OFFSET]} is the sum rounded and clamped to 0-255. */
    private static final byte[] CLIP = new byte[1280];
    private static final int CLIP_OFFSET = 640;

    static {
        for (int i = 0; i < CLIP.length; i++) {
            CLIP[i] = (byte) Math.max(0, Math.min(255, i - CLIP_OFFSET));
        }
    }

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
     * <p>Both passes are arranged so that their inner loops are multiply-adds of whole
     * {@code int[]} vectors, which the JIT compiles to SIMD code; the arithmetic per sample is
     * Pillow's, so the result is too.
     *
     * @param src {@code inW * inH * channels} samples, row-major, channels interleaved
     * @param channels samples per pixel
     * @return {@code outW * outH * channels} samples
     */
    private static byte[] resample(byte[] src, int inW, int inH, int channels, int outW, int outH) {
        boolean horizontal = outW != inW;
        boolean vertical = outH != inH;
        if (!vertical) {
            return horizontalPass(src, inW, 0, inH, channels, Coefficients.lanczos(inW, outW));
        }
        Coefficients vert = Coefficients.lanczos(inH, outH);
        if (!horizontal) {
            return verticalPass(src, 0, inW * channels, vert);
        }
        // The horizontal pass only needs the source rows the vertical pass reads.
        int firstRow = vert.bounds[0];
        int lastRow = vert.bounds[2 * outH - 2] + vert.bounds[2 * outH - 1];
        byte[] rows = horizontalPass(src, inW, firstRow, lastRow, channels, Coefficients.lanczos(inW, outW));
        return verticalPass(rows, firstRow, outW * channels, vert);
    }

    /**
     * Filters source rows {@code [first, last)} horizontally, a block of rows at a time: the
     * block is transposed so that each source column of the block is one contiguous vector, and each
     * output column is then a sum of a few such vectors times a weight.
     *
     * @return {@code last - first} rows of {@code outW * channels} samples
     */
    private static byte[] horizontalPass(byte[] src, int inW, int first, int last, int channels,
                                         Coefficients c) {
        int inRowLen = inW * channels;
        int outRowLen = c.outSize * channels;
        byte[] out = new byte[(last - first) * outRowLen];
        int blockSize = BLOCK_LANES / channels;
        int[][] columns = new int[inW][BLOCK_LANES];
        int[] acc = new int[BLOCK_LANES];
        int[][] taps = new int[c.ksize][];
        for (int r0 = first; r0 < last; r0 += blockSize) {
            int blockRows = Math.min(blockSize, last - r0);
            transposeBlock(src, inW, channels, r0, blockRows, columns);
            for (int xx = 0; xx < c.outSize; xx++) {
                int xmin = c.bounds[2 * xx];
                int n = c.bounds[2 * xx + 1];
                System.arraycopy(columns, xmin, taps, 0, n);
                weightedSum(acc, taps, n, c.fixed, xx * c.ksize);
                int o = (r0 - first) * outRowLen + xx * channels;
                if (channels == 3) {
                    for (int lane = 0; lane < blockRows * 3; lane += 3, o += outRowLen) {
                        out[o] = clip(acc[lane]);
                        out[o + 1] = clip(acc[lane + 1]);
                        out[o + 2] = clip(acc[lane + 2]);
                    }
                } else {
                    for (int lane = 0; lane < blockRows; lane++, o += outRowLen) {
                        out[o] = clip(acc[lane]);
                    }
                }
            }
        }
        return out;
    }

    /**
     * {@code columns[x][r * channels + ch] = src[row r0 + r, column x, channel ch]}, a tile of
     * {@value #TILE_COLUMNS} columns at a time so that the columns being written stay in cache.
     */
    private static void transposeBlock(byte[] src, int inW, int channels, int r0, int blockRows, int[][] columns) {
        int rowLen = inW * channels;
        for (int x0 = 0; x0 < inW; x0 += TILE_COLUMNS) {
            int x1 = Math.min(inW, x0 + TILE_COLUMNS);
            for (int r = 0; r < blockRows; r++) {
                int s = (r0 + r) * rowLen + x0 * channels;
                if (channels == 3) {
                    for (int x = x0, t = r * 3; x < x1; x++, s += 3) {
                        int[] column = columns[x];
                        column[t] = src[s] & 0xFF;
                        column[t + 1] = src[s + 1] & 0xFF;
                        column[t + 2] = src[s + 2] & 0xFF;
                    }
                } else {
                    for (int x = x0; x < x1; x++, s++) {
                        columns[x][r] = src[s] & 0xFF;
                    }
                }
            }
        }
    }

    /**
     * Filters vertically: each output row is a weighted sum of a few input rows, widened to
     * {@code int} once each into a ring of {@code ksize} rows (the rows an output needs never span
     * more, and they only move forward).
     *
     * @param src input rows starting at source row {@code firstRow}, {@code rowLen} samples each
     * @return {@code c.outSize} rows of {@code rowLen} samples
     */
    private static byte[] verticalPass(byte[] src, int firstRow, int rowLen, Coefficients c) {
        byte[] out = new byte[c.outSize * rowLen];
        int[][] ring = new int[c.ksize][rowLen];
        int[] ringRow = new int[c.ksize];
        Arrays.fill(ringRow, -1);
        int[] acc = new int[rowLen];
        int[][] taps = new int[c.ksize][];
        for (int yy = 0; yy < c.outSize; yy++) {
            int ymin = c.bounds[2 * yy] - firstRow;
            int n = c.bounds[2 * yy + 1];
            for (int y = ymin; y < ymin + n; y++) {
                int slot = y % c.ksize;
                int[] row = ring[slot];
                if (ringRow[slot] != y) {
                    for (int i = 0, p = y * rowLen; i < rowLen; i++, p++) {
                        row[i] = src[p] & 0xFF;
                    }
                    ringRow[slot] = y;
                }
                taps[y - ymin] = row;
            }
            weightedSum(acc, taps, n, c.fixed, yy * c.ksize);
            for (int i = 0, o = yy * rowLen; i < rowLen; i++, o++) {
                out[o] = clip(acc[i]);
            }
        }
        return out;
    }

    /**
     * {@code acc[i] = HALF + sum over t < n of taps[t][i] * weights[kOff + t]}, four taps per sweep
     * over {@code acc}; the loops are kept this plain so that they vectorise. Integer addition wraps
     * the same in any order, so the grouping does not change the result.
     */
    private static void weightedSum(int[] acc, int[][] taps, int n, int[] weights, int kOff) {
        Arrays.fill(acc, HALF);
        int t = 0;
        for (; t + 4 <= n; t += 4) {
            int[] a = taps[t];
            int[] b = taps[t + 1];
            int[] c = taps[t + 2];
            int[] d = taps[t + 3];
            int wa = weights[kOff + t];
            int wb = weights[kOff + t + 1];
            int wc = weights[kOff + t + 2];
            int wd = weights[kOff + t + 3];
            for (int i = 0; i < acc.length; i++) {
                acc[i] += a[i] * wa + b[i] * wb + c[i] * wc + d[i] * wd;
            }
        }
        for (; t < n; t++) {
            int[] a = taps[t];
            int wa = weights[kOff + t];
            for (int i = 0; i < acc.length; i++) {
                acc[i] += a[i] * wa;
            }
        }
    }

    /**
     * Rounds a fixed-point sum (the half is added up front) to an 8-bit sample. Lanczos lobes keep
     * sums within {@code [-640, 640) << PRECISION_BITS}, the table's range, as in Pillow.
     */
    private static byte clip(int sum) {
        return CLIP[(sum >> PRECISION_BITS) + CLIP_OFFSET];
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

package io.omoib.vton.preprocess;

import java.util.Arrays;

/**
 * Pillow 9.4's {@code ImagingResample} with the {@code LANCZOS} filter for 8-bit images, bit for
 * bit, arranged for the JIT's auto-vectoriser.
 *
 * <p>The arithmetic is Pillow's: per axis, each output sample is the sum of a few consecutive input
 * samples times Lanczos-3 weights (support widened by the scale when shrinking), normalised to 1 and
 * rounded to {@value #PRECISION_BITS}-bit fixed point; the sum, plus one half, is shifted back and
 * clamped to 0-255. The horizontal pass runs first, over only the rows the vertical pass reads, and
 * its 8-bit result feeds the vertical pass; a pass whose size is unchanged is skipped.
 *
 * <p>The layout is ours: both passes sum whole {@code int[]} vectors times a scalar weight, the one
 * loop shape that C2 compiles to SIMD on Java 17. The horizontal pass transposes a block of rows so
 * that one source column of the block is one vector; the vertical pass sums rows, which it takes
 * straight from the horizontal pass through a small ring instead of a full intermediate image.
 */
final class LanczosResampler {
    /** Fixed-point precision of the weights: 32 bits less 8 for the sample and 2 for overshoot. */
    private static final int PRECISION_BITS = 32 - 8 - 2;
    private static final int HALF = 1 << (PRECISION_BITS - 1);
    private static final double SUPPORT = 3.0;
    /** Samples per vector in the horizontal pass: 64 RGB rows or 192 gray rows at a time. */
    private static final int BLOCK_LANES = 192;
    /** Columns transposed together, so that the vectors being written stay in the L1 cache. */
    private static final int TILE_COLUMNS = 16;
    /**
     * {@code CLIP[(sum >> PRECISION_BITS) + CLIP_OFFSET]} is a sum rounded and clamped to 0-255;
     * Lanczos lobes keep sums within the table, as Pillow's {@code clip8} assumes.
     */
    private static final int[] CLIP = new int[1280];
    private static final int CLIP_OFFSET = 640;

    static {
        for (int i = 0; i < CLIP.length; i++) {
            CLIP[i] = Math.max(0, Math.min(255, i - CLIP_OFFSET));
        }
    }

    private LanczosResampler() {
    }

    /**
     * Resamples to {@code outW x outH}; the same size gives the source's samples unchanged.
     *
     * @param src the samples, 1 or 3 channels
     * @return {@code outW * outH * channels} samples, row-major, channels interleaved
     */
    static byte[] resample(ResampleSource src, int outW, int outH) {
        if (outH == src.height) {
            return outW == src.width ? src.toArray() : horizontalOnly(src, Coefficients.lanczos(src.width, outW));
        }
        Coefficients vertical = Coefficients.lanczos(src.height, outH);
        RowSource rows = outW == src.width
                ? new WidenedRows(src, vertical.ksize)
                : new FilteredRows(src, Coefficients.lanczos(src.width, outW), vertical);
        return verticalPass(rows, outW * src.channels, vertical);
    }

    /** Rows of the image entering the vertical pass, as {@code int} samples, asked for in increasing order. */
    private interface RowSource {
        /**
         * Gives one source row.
         *
         * @param y source row; rows asked for by one output row and later ones stay valid until
         *     the next output row
         */
        int[] row(int y);
    }

    /** Source rows widened to {@code int} once each, kept in a ring as long as an output row may need them. */
    private static final class WidenedRows implements RowSource {
        private final ResampleSource src;
        private final byte[] bytes;
        private final int[][] ring;
        private final int[] ringRow;

        WidenedRows(ResampleSource src, int window) {
            this.src = src;
            this.bytes = new byte[src.width * src.channels];
            this.ring = new int[window][bytes.length];
            this.ringRow = new int[window];
            Arrays.fill(ringRow, -1);
        }

        @Override
        public int[] row(int y) {
            int slot = y % ring.length;
            int[] row = ring[slot];
            if (ringRow[slot] != y) {
                src.readRows(y, 1, bytes);
                for (int i = 0; i < bytes.length; i++) {
                    row[i] = bytes[i] & 0xFF;
                }
                ringRow[slot] = y;
            }
            return row;
        }
    }

    /** Horizontally filtered rows, made a block at a time as the vertical pass reaches them. */
    private static final class FilteredRows implements RowSource {
        private final HorizontalFilter filter;
        private final int[][] ring;
        private final int[][] blockRows;
        private final int lastRow;
        private int produced;

        FilteredRows(ResampleSource src, Coefficients horizontal, Coefficients vertical) {
            this.filter = new HorizontalFilter(src, horizontal);
            // Rows from the oldest one an output row still needs to the end of the newest block.
            this.ring = new int[vertical.ksize + filter.blockSize][horizontal.outSize * src.channels];
            this.blockRows = new int[filter.blockSize][];
            this.produced = vertical.bounds[0];
            this.lastRow = vertical.bounds[2 * vertical.outSize - 2] + vertical.bounds[2 * vertical.outSize - 1];
        }

        @Override
        public int[] row(int y) {
            while (y >= produced) {
                int count = Math.min(filter.blockSize, lastRow - produced);
                for (int r = 0; r < count; r++) {
                    blockRows[r] = ring[(produced + r) % ring.length];
                }
                filter.filterBlock(produced, count, blockRows);
                produced += count;
            }
            return ring[y % ring.length];
        }
    }

    private static byte[] horizontalOnly(ResampleSource src, Coefficients c) {
        HorizontalFilter filter = new HorizontalFilter(src, c);
        int inH = src.height;
        int rowLen = c.outSize * src.channels;
        byte[] out = new byte[inH * rowLen];
        int[][] rows = new int[filter.blockSize][rowLen];
        for (int r0 = 0; r0 < inH; r0 += filter.blockSize) {
            int count = Math.min(filter.blockSize, inH - r0);
            filter.filterBlock(r0, count, rows);
            for (int r = 0; r < count; r++) {
                int[] row = rows[r];
                for (int i = 0, o = (r0 + r) * rowLen; i < rowLen; i++, o++) {
                    out[o] = (byte) row[i];
                }
            }
        }
        return out;
    }

    /** The horizontal pass over blocks of source rows, with its scratch vectors. */
    private static final class HorizontalFilter {
        final int blockSize;
        private final ResampleSource src;
        private final int inW;
        private final int channels;
        private final Coefficients c;
        /** Scratch rows for a source that cannot be read in place. */
        private final byte[] block;
        private final int[][] columns;
        private final int[] acc = new int[BLOCK_LANES];
        private final int[][] taps;

        HorizontalFilter(ResampleSource src, Coefficients c) {
            this.src = src;
            this.inW = src.width;
            this.channels = src.channels;
            this.c = c;
            this.blockSize = BLOCK_LANES / channels;
            this.block = src.inPlace() == null ? new byte[blockSize * inW * channels] : null;
            this.columns = new int[inW][BLOCK_LANES];
            this.taps = new int[c.ksize][];
        }

        /**
         * Filters source rows {@code [r0, r0 + count)}: transposes them so that each source column is
         * one vector, then makes each output column a weighted sum of a few such vectors.
         *
         * @param out receives row {@code r0 + r} in {@code out[r]}, {@code outW * channels} samples 0-255
         */
        void filterBlock(int r0, int count, int[][] out) {
            byte[] rows = src.inPlace();
            if (rows == null) {
                src.readRows(r0, count, block);
                transpose(block, 0, inW * channels, count);
            } else {
                transpose(rows, src.rowOffset(r0), src.rowStride(), count);
            }
            for (int xx = 0; xx < c.outSize; xx++) {
                int n = c.bounds[2 * xx + 1];
                System.arraycopy(columns, c.bounds[2 * xx], taps, 0, n);
                weightedSum(acc, taps, n, c.fixed, xx * c.ksize);
                int o = xx * channels;
                if (channels == 3) {
                    for (int r = 0, lane = 0; r < count; r++, lane += 3) {
                        int[] row = out[r];
                        row[o] = clip(acc[lane]);
                        row[o + 1] = clip(acc[lane + 1]);
                        row[o + 2] = clip(acc[lane + 2]);
                    }
                } else {
                    for (int r = 0; r < count; r++) {
                        out[r][o] = clip(acc[r]);
                    }
                }
            }
        }

        /**
         * {@code columns[x][r * channels + ch]} = sample {@code ch} of pixel {@code x} of the row at
         * {@code rows[base + r * stride]}, a tile of columns at a time.
         */
        private void transpose(byte[] rows, int base, int stride, int count) {
            for (int x0 = 0; x0 < inW; x0 += TILE_COLUMNS) {
                int x1 = Math.min(inW, x0 + TILE_COLUMNS);
                for (int r = 0; r < count; r++) {
                    int s = base + r * stride + x0 * channels;
                    if (channels == 3) {
                        for (int x = x0, t = r * 3; x < x1; x++, s += 3) {
                            int[] column = columns[x];
                            column[t] = rows[s] & 0xFF;
                            column[t + 1] = rows[s + 1] & 0xFF;
                            column[t + 2] = rows[s + 2] & 0xFF;
                        }
                    } else {
                        for (int x = x0; x < x1; x++, s++) {
                            columns[x][r] = rows[s] & 0xFF;
                        }
                    }
                }
            }
        }
    }

    /** Each output row is a weighted sum of a few rows of {@code rows}. */
    private static byte[] verticalPass(RowSource rows, int rowLen, Coefficients c) {
        byte[] out = new byte[c.outSize * rowLen];
        int[] acc = new int[rowLen];
        int[][] taps = new int[c.ksize][];
        for (int yy = 0; yy < c.outSize; yy++) {
            int ymin = c.bounds[2 * yy];
            int n = c.bounds[2 * yy + 1];
            for (int t = 0; t < n; t++) {
                taps[t] = rows.row(ymin + t);
            }
            weightedSum(acc, taps, n, c.fixed, yy * c.ksize);
            for (int i = 0, o = yy * rowLen; i < rowLen; i++, o++) {
                out[o] = (byte) clip(acc[i]);
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

    /** Rounds a fixed-point sum (its half was added up front) to a sample 0-255. */
    private static int clip(int sum) {
        return CLIP[(sum >> PRECISION_BITS) + CLIP_OFFSET];
    }

    /** Lanczos weights for one axis: for each output sample, the first input index, the count and the weights. */
    private static final class Coefficients {
        final int outSize;
        final int ksize;
        /** {@code [first, count]} per output sample. */
        final int[] bounds;
        /** {@code ksize} fixed-point weights per output sample, zero-padded. */
        final int[] fixed;

        private Coefficients(int outSize, int ksize, int[] bounds, int[] fixed) {
            this.outSize = outSize;
            this.ksize = ksize;
            this.bounds = bounds;
            this.fixed = fixed;
        }

        /** Pillow's {@code precompute_coeffs} and {@code normalize_coeffs_8bpc}, in the same double arithmetic. */
        static Coefficients lanczos(int inSize, int outSize) {
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = SUPPORT * filterScale;
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
            if (-SUPPORT <= x && x < SUPPORT) {
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

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
 * clamped to 8 bits after each pass. On one core it takes a little over half Pillow's time
 * ({@code benchmarks/compare/preprocess.sh}).
 */
public final class Resize {
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
        return rgb(ResampleSource.of(image), width, height);
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
        return gray(ResampleSource.of(image), width, height);
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
        return rgb(ResampleSource.window(image, box[0], box[1], box[2] - box[0], box[3] - box[1]), width, height);
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
        return gray(ResampleSource.window(image, box[0], box[1], box[2] - box[0], box[3] - box[1]), width, height);
    }

    /**
     * {@code resizeAndCrop(Masks.toGray(image), width, height)} without making the full-size gray
     * image: the crop box is converted row by row as the resampler reads it.
     */
    static GrayImage grayResizeAndCrop(RgbImage image, int width, int height) {
        int[] box = centredCropBox(image.width(), image.height(), width, height);
        return gray(ResampleSource.grayOf(image, box[0], box[1], box[2] - box[0], box[3] - box[1]), width, height);
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
        return resizeAndPadding(ResampleSource.of(image), width, height);
    }

    /** {@link #resizeAndPadding(RgbImage, int, int)} of an RGB source. */
    static RgbImage resizeAndPadding(ResampleSource image, int width, int height) {
        checkSize(width, height);
        int w = image.width;
        int h = image.height;
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
        return centreOnWhite(rgb(image, newW, newH), width, height);
    }

    /** Pillow's {@code Image.new("RGB", size, "white").paste(image, centre)} for an image that fits. */
    private static RgbImage centreOnWhite(RgbImage image, int width, int height) {
        byte[] canvas = new byte[RgbImage.checkLength(width, height, -1)];
        byte[] src = image.pixels();
        int rowLen = width * 3;
        int partLen = image.width() * 3;
        int left = (width - image.width()) / 2 * 3;
        int top = (height - image.height()) / 2;
        int bottom = top + image.height();
        Arrays.fill(canvas, 0, top * rowLen, (byte) 0xFF);
        for (int y = top; y < bottom; y++) {
            int o = y * rowLen;
            Arrays.fill(canvas, o, o + left, (byte) 0xFF);
            System.arraycopy(src, (y - top) * partLen, canvas, o + left, partLen);
            Arrays.fill(canvas, o + left + partLen, o + rowLen, (byte) 0xFF);
        }
        Arrays.fill(canvas, bottom * rowLen, canvas.length, (byte) 0xFF);
        return RgbImage.wrap(width, height, canvas);
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

    private static RgbImage rgb(ResampleSource source, int width, int height) {
        return RgbImage.wrap(width, height, LanczosResampler.resample(source, width, height));
    }

    private static GrayImage gray(ResampleSource source, int width, int height) {
        return GrayImage.wrap(width, height, LanczosResampler.resample(source, width, height));
    }

    private static void checkSize(int width, int height) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("target size must be positive, got " + width + "x" + height);
        }
    }
}

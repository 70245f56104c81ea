package io.omoib.vton.preprocess;

/**
 * Resizing exactly as Pillow 9.4 does with {@code Image.resize(size, Image.LANCZOS)}, plus CatVTON's
 * two framing helpers built on it. Results are bit-identical to Pillow's.
 *
 * <p>The filter is separable: a horizontal pass over the rows the vertical pass needs, then a
 * vertical pass; a pass whose size is unchanged is skipped. Each output sample is a weighted sum of
 * input samples with Lanczos-3 weights (support widened by the scale factor when shrinking),
 * normalised to sum 1, rounded to 22-bit fixed point, accumulated in {@code int}, rounded and
 * clamped to 8 bits after each pass. About 1.6x faster than Pillow on one core ({@code benchmarks}).
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
        return RgbImage.wrap(width, height,
                LanczosResampler.resample(image.pixels(), image.width(), image.height(), 3, width, height));
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
                LanczosResampler.resample(image.pixels(), image.width(), image.height(), 1, width, height));
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
}

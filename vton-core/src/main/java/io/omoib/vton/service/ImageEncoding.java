package io.omoib.vton.service;

import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.preprocess.RgbImage;
import java.util.Objects;

/**
 * How results are written: the format, the JPEG quality and the encoder. Sinks take one.
 *
 * @param format JPEG or PNG
 * @param jpegQuality 1-100 on libjpeg's scale, used for JPEG only
 * @param codec the encoder, with its limits
 */
public record ImageEncoding(ImageFormat format, int jpegQuality, ImageCodec codec) {
    /** JPEG at quality 95 with {@link ImageCodec#defaults()}. */
    public static final ImageEncoding DEFAULT = of(ImageFormat.JPEG);

    /**
     * Checks the values.
     *
     * @param format JPEG or PNG
     * @param jpegQuality 1-100 on libjpeg's scale, used for JPEG only
     * @param codec the encoder, with its limits
     */
    public ImageEncoding {
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(codec, "codec");
        if (jpegQuality < 1 || jpegQuality > 100) {
            throw new IllegalArgumentException("JPEG quality must be 1-100, got " + jpegQuality);
        }
    }

    /**
     * {@return that format, JPEG quality 95, the default codec}
     *
     * @param format JPEG or PNG
     */
    public static ImageEncoding of(ImageFormat format) {
        return new ImageEncoding(format, 95, ImageCodec.defaults());
    }

    /**
     * {@return the encoded bytes}
     *
     * @param image the result
     */
    public byte[] encode(RgbImage image) {
        return format == ImageFormat.JPEG ? codec.encodeJpeg(image, jpegQuality) : codec.encodePng(image);
    }
}

package io.omoib.vton.core;

import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.preprocess.RgbImage;
import java.util.Locale;

/** How sinks encode results. */
public enum ImageFormat {
    /** Baseline JPEG, as the seed server wrote; lossy, small. */
    JPEG("image/jpeg", "jpg"),
    /** PNG: lossless, about ten times larger. */
    PNG("image/png", "png");

    private final String contentType;
    private final String extension;

    ImageFormat(String contentType, String extension) {
        this.contentType = contentType;
        this.extension = extension;
    }

    /**
     * @param text {@code jpeg}, {@code jpg} or {@code png}, any case
     * @return the format
     * @throws IllegalArgumentException naming the accepted values
     */
    public static ImageFormat parse(String text) {
        String t = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        return switch (t) {
            case "jpeg", "jpg" -> JPEG;
            case "png" -> PNG;
            default -> throw new IllegalArgumentException("image format must be jpeg or png, got '" + text + "'");
        };
    }

    /** @return the MIME type, such as {@code image/jpeg} */
    public String contentType() {
        return contentType;
    }

    /** @return the file extension without the dot: {@code jpg} or {@code png} */
    public String extension() {
        return extension;
    }

    /**
     * @param image the result
     * @param codec the encoder
     * @param jpegQuality 1-100, used for JPEG only
     * @return the encoded bytes
     */
    public byte[] encode(RgbImage image, ImageCodec codec, int jpegQuality) {
        return this == JPEG ? codec.encodeJpeg(image, jpegQuality) : codec.encodePng(image);
    }
}

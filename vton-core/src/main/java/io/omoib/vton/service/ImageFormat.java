package io.omoib.vton.service;

import java.util.Locale;

/** The file formats results are written in; see {@link ImageEncoding}. */
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
     * {@return the format}
     *
     * @param text {@code jpeg}, {@code jpg} or {@code png}, any case
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

    /** {@return the MIME type, such as {@code image/jpeg}} */
    public String contentType() {
        return contentType;
    }

    /** {@return the file extension without the dot: {@code jpg} or {@code png}} */
    public String extension() {
        return extension;
    }
}

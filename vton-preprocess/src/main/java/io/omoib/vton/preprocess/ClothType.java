package io.omoib.vton.preprocess;

import java.util.Locale;

/** Which garments a try-on replaces: the upper body, the lower body, or both (an outfit). */
public enum ClothType {
    /** Tops: uses the upper garment only. */
    UPPER,
    /** Trousers and skirts: uses the lower garment only. */
    LOWER,
    /** A whole outfit: the upper garment stacked over the lower one. */
    OVERALL;

    /**
     * Parses {@code "upper"}, {@code "lower"} or {@code "overall"}, ignoring case and surrounding
     * spaces.
     *
     * @param text the name
     * @return the cloth type
     * @throws IllegalArgumentException naming the accepted values when {@code text} is none of them
     */
    public static ClothType parse(String text) {
        if (text != null) {
            String name = text.strip().toUpperCase(Locale.ROOT);
            for (ClothType type : values()) {
                if (type.name().equals(name)) {
                    return type;
                }
            }
        }
        throw new IllegalArgumentException("cloth type must be one of upper, lower, overall; got "
                + (text == null ? "nothing" : "'" + text + "'"));
    }

    /** @return the lower-case name used in requests and file names: {@code upper}, {@code lower}, {@code overall} */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}

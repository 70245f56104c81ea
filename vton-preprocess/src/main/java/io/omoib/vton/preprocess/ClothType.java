package io.omoib.vton.preprocess;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** Which garments a try-on replaces: the upper body, the lower body, or both (an outfit). */
public enum ClothType {
    /** Tops: uses the upper garment only. */
    UPPER(EnumSet.of(Input.UPPER)),
    /** Trousers and skirts: uses the lower garment only. */
    LOWER(EnumSet.of(Input.LOWER)),
    /** A whole outfit: the upper garment stacked over the lower one. */
    OVERALL(EnumSet.of(Input.UPPER, Input.LOWER));

    private final Set<Input> garments;

    ClothType(Set<Input> garments) {
        this.garments = Collections.unmodifiableSet(garments);
    }

    /**
     * The one place that says which garments a cloth type needs; everything that checks a request
     * asks here.
     *
     * @return the garment inputs this cloth type needs: {@code UPPER}, {@code LOWER} or both
     */
    public Set<Input> garments() {
        return garments;
    }

    /**
     * {@return whether a try-on of this type needs it (person and mask always; garments as {@link #garments()})}
     *
     * @param input an input role
     */
    public boolean needs(Input input) {
        return input == Input.PERSON || input == Input.MASK || garments.contains(input);
    }

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

    /**
     * {@return the lower-case name used in requests and file names: {@code upper}, {@code lower}, {@code overall}}
     */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}

package io.omoib.vton.preprocess;

import java.util.Locale;

/**
 * The role of one input image of a try-on. Carried from where a request names the image (a JSON
 * field, a command line option) to every failure about it, so an error can name the field at fault
 * without guessing from its message.
 */
public enum Input {
    /** The person photo. */
    PERSON("person image"),
    /** The mask, white (gray >= 128) where the garments go. */
    MASK("mask image"),
    /** The upper garment (tops): used by {@link ClothType#UPPER} and {@link ClothType#OVERALL}. */
    UPPER("upper garment image"),
    /** The lower garment (trousers, skirts): used by {@link ClothType#LOWER} and {@link ClothType#OVERALL}. */
    LOWER("lower garment image");

    private final String description;

    Input(String description) {
        this.description = description;
    }

    /** {@return the lower-case name: {@code person}, {@code mask}, {@code upper}, {@code lower}} */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** {@return how messages call it, such as {@code "mask image"}} */
    public String description() {
        return description;
    }
}

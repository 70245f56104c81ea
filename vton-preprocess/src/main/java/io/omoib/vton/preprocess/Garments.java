package io.omoib.vton.preprocess;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * The garment photos of one try-on, keyed by their {@link Input} ({@link Input#UPPER},
 * {@link Input#LOWER}), and how they become the one garment image CatVTON is conditioned on.
 *
 * <p>A request may carry a garment its cloth type does not use; {@link #forClothType} picks the ones
 * the type needs ({@link ClothType#garments()}) and names a missing one.
 *
 * <p>Thread safety: immutable, so safe to share between threads (the images are not copied and must
 * not be changed afterwards, as everywhere in this library).
 */
public final class Garments {
    private final Map<Input, RgbImage> images;

    private Garments(Map<Input, RgbImage> images) {
        this.images = images;
    }

    /**
     * Collects garment photos by role.
     *
     * @param garments the photos, keyed by {@link Input#UPPER} and/or {@link Input#LOWER}; may be empty
     * @return the garments, a copy of the map
     * @throws IllegalArgumentException if a key is the person or the mask, or a value is null
     */
    public static Garments of(Map<Input, RgbImage> garments) {
        Map<Input, RgbImage> copy = new EnumMap<>(Input.class);
        for (Map.Entry<Input, RgbImage> entry : garments.entrySet()) {
            Input input = Objects.requireNonNull(entry.getKey(), "garment input");
            if (input != Input.UPPER && input != Input.LOWER) {
                throw new IllegalArgumentException("garments are keyed by UPPER or LOWER, got " + input
                        + "; pass the " + input.description() + " on its own");
            }
            if (entry.getValue() == null) {
                throw new IllegalArgumentException("the " + input.description() + " is null; leave it out instead");
            }
            copy.put(input, entry.getValue());
        }
        return new Garments(Collections.unmodifiableMap(copy));
    }

    /**
     * Holds an upper garment only, for {@link ClothType#UPPER}.
     *
     * @param upper the upper garment photo
     * @return the garments
     */
    public static Garments upper(RgbImage upper) {
        return of(Map.of(Input.UPPER, Objects.requireNonNull(upper, "upper garment image")));
    }

    /**
     * Holds a lower garment only, for {@link ClothType#LOWER}.
     *
     * @param lower the lower garment photo
     * @return the garments
     */
    public static Garments lower(RgbImage lower) {
        return of(Map.of(Input.LOWER, Objects.requireNonNull(lower, "lower garment image")));
    }

    /**
     * Holds both garments of an outfit, for {@link ClothType#OVERALL}.
     *
     * @param upper the upper garment photo
     * @param lower the lower garment photo
     * @return the garments
     */
    public static Garments outfit(RgbImage upper, RgbImage lower) {
        return of(Map.of(Input.UPPER, Objects.requireNonNull(upper, "upper garment image"),
                Input.LOWER, Objects.requireNonNull(lower, "lower garment image")));
    }

    /**
     * Returns the photos by role.
     *
     * @return an unmodifiable map from {@link Input#UPPER} and/or {@link Input#LOWER} to the photo
     */
    public Map<Input, RgbImage> asMap() {
        return images;
    }

    /**
     * The garment image for a cloth type: the upper garment for {@link ClothType#UPPER}, the lower
     * one for {@link ClothType#LOWER}, both {@linkplain #stack stacked} for {@link ClothType#OVERALL}.
     *
     * @param clothType what the try-on replaces
     * @return the garment image, before resizing
     * @throws InvalidInputException naming the missing garment
     */
    public RgbImage forClothType(ClothType clothType) {
        return switch (clothType) {
            case UPPER -> require(Input.UPPER, clothType);
            case LOWER -> require(Input.LOWER, clothType);
            case OVERALL -> stack(require(Input.UPPER, clothType), require(Input.LOWER, clothType));
        };
    }

    /** {@link #forClothType} as a resampler source: an outfit is stacked as it is read, never stored. */
    ResampleSource sourceFor(ClothType clothType) {
        return switch (clothType) {
            case UPPER -> ResampleSource.of(require(Input.UPPER, clothType));
            case LOWER -> ResampleSource.of(require(Input.LOWER, clothType));
            case OVERALL -> ResampleSource.stacked(require(Input.UPPER, clothType), require(Input.LOWER, clothType));
        };
    }

    /**
     * Stacks the upper garment over the lower one on a white canvas {@code max(w1, w2)} wide and
     * {@code h1 + h2} high, each centred horizontally (left edge at {@code (W - w) / 2}).
     *
     * @param upper the upper garment, drawn at the top
     * @param lower the lower garment, drawn below it
     * @return the stacked image
     */
    public static RgbImage stack(RgbImage upper, RgbImage lower) {
        ResampleSource stacked = ResampleSource.stacked(upper, lower);
        return RgbImage.wrap(stacked.width, stacked.height, stacked.toArray());
    }

    private RgbImage require(Input which, ClothType clothType) {
        RgbImage garment = images.get(which);
        if (garment == null) {
            throw missing(which, clothType);
        }
        return garment;
    }

    /**
     * Builds the error for a request that lacks a garment its cloth type needs.
     *
     * @param garment a garment the cloth type needs
     * @param clothType the cloth type
     * @return the error, naming both and the fix
     */
    public static InvalidInputException missing(Input garment, ClothType clothType) {
        return new InvalidInputException(garment, "cloth type " + clothType.id() + " needs the "
                + garment.description() + ", but none was given; pass it or choose another cloth type", null);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Garments other && images.equals(other.images);
    }

    @Override
    public int hashCode() {
        return images.hashCode();
    }

    @Override
    public String toString() {
        return "Garments" + images.keySet();
    }
}

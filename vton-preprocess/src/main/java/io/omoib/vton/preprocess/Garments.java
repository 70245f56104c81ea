package io.omoib.vton.preprocess;

/** Chooses and composes the garment image a try-on is conditioned on. */
public final class Garments {
    private Garments() {
    }

    /**
     * The garment image for a cloth type: the upper garment for {@link ClothType#UPPER}, the lower
     * one for {@link ClothType#LOWER}, both {@linkplain #stack stacked} for {@link ClothType#OVERALL}.
     *
     * @param clothType what the try-on replaces
     * @param upper the upper garment, or {@code null} when not given
     * @param lower the lower garment, or {@code null} when not given
     * @return the garment image, before resizing
     * @throws InvalidInputException naming the missing garment
     */
    public static RgbImage forClothType(ClothType clothType, RgbImage upper, RgbImage lower) {
        return switch (clothType) {
            case UPPER -> require(upper, Input.UPPER, clothType);
            case LOWER -> require(lower, Input.LOWER, clothType);
            case OVERALL -> stack(require(upper, Input.UPPER, clothType), require(lower, Input.LOWER, clothType));
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

    /** {@link #forClothType} as a resampler source: an outfit is stacked as it is read, never stored. */
    static ResampleSource sourceFor(ClothType clothType, RgbImage upper, RgbImage lower) {
        return switch (clothType) {
            case UPPER -> ResampleSource.of(require(upper, Input.UPPER, clothType));
            case LOWER -> ResampleSource.of(require(lower, Input.LOWER, clothType));
            case OVERALL -> ResampleSource.stacked(require(upper, Input.UPPER, clothType), require(lower, Input.LOWER, clothType));
        };
    }

    private static RgbImage require(RgbImage garment, Input which, ClothType clothType) {
        if (garment == null) {
            throw missing(which, clothType);
        }
        return garment;
    }

    /**
     * @param garment a garment the cloth type needs
     * @param clothType the cloth type
     * @return the error for a request that lacks it, naming both
     */
    public static InvalidInputException missing(Input garment, ClothType clothType) {
        return new InvalidInputException(garment, "cloth type " + clothType.id() + " needs the "
                + garment.description() + ", but none was given; pass it or choose another cloth type", null);
    }
}

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
     * @throws IllegalArgumentException naming the missing garment
     */
    public static RgbImage forClothType(ClothType clothType, RgbImage upper, RgbImage lower) {
        return switch (clothType) {
            case UPPER -> require(upper, "upper", clothType);
            case LOWER -> require(lower, "lower", clothType);
            case OVERALL -> stack(require(upper, "upper", clothType), require(lower, "lower", clothType));
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
            case UPPER -> ResampleSource.of(require(upper, "upper", clothType));
            case LOWER -> ResampleSource.of(require(lower, "lower", clothType));
            case OVERALL -> ResampleSource.stacked(require(upper, "upper", clothType), require(lower, "lower", clothType));
        };
    }

    private static RgbImage require(RgbImage garment, String which, ClothType clothType) {
        if (garment == null) {
            throw new IllegalArgumentException("cloth type " + clothType.id() + " needs the " + which
                    + " garment image, but none was given; pass it or choose another cloth type");
        }
        return garment;
    }
}

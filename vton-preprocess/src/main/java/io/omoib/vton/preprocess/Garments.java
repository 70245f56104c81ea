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
        int width = Math.max(upper.width(), lower.width());
        long height = (long) upper.height() + lower.height();
        if (height > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("garments too tall to stack: " + height + " rows");
        }
        return Canvas.white(width, (int) height)
                .paste(upper, (width - upper.width()) / 2, 0)
                .paste(lower, (width - lower.width()) / 2, upper.height())
                .toImage();
    }

    private static RgbImage require(RgbImage garment, String which, ClothType clothType) {
        if (garment == null) {
            throw new IllegalArgumentException("cloth type " + clothType.id() + " needs the " + which
                    + " garment image, but none was given; pass it or choose another cloth type");
        }
        return garment;
    }
}

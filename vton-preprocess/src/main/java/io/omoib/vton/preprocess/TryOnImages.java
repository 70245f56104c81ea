package io.omoib.vton.preprocess;

import java.util.Objects;

/**
 * The three images a CatVTON pipeline consumes, all {@code width x height}: the person photo, the
 * binary mask of the region to repaint (255 = repaint) and the garment photo.
 *
 * <p>{@link #prepare} reproduces CatVTON's preprocessing exactly: the person is
 * {@linkplain Resize#resizeAndCrop cropped and resized}, the mask is converted to gray, cropped and
 * resized the same way and thresholded at 128, the garment (or the stacked outfit) is
 * {@linkplain Resize#resizeAndPadding fitted on white}.
 */
public final class TryOnImages {
    /** CatVTON's default output width in pixels. */
    public static final int DEFAULT_WIDTH = 768;
    /** CatVTON's default output height in pixels. */
    public static final int DEFAULT_HEIGHT = 1024;
    /** Width and height must be multiples of this: the VAE downsamples by 8 and the UNet by 8 more. */
    public static final int SIZE_MULTIPLE = 64;

    /** Person and mask aspect ratios may differ by this fraction before the mask is refused. */
    private static final double ASPECT_TOLERANCE = 0.02;

    private final RgbImage person;
    private final GrayImage mask;
    private final RgbImage garment;

    private TryOnImages(RgbImage person, GrayImage mask, RgbImage garment) {
        this.person = person;
        this.mask = mask;
        this.garment = garment;
    }

    /**
     * Wraps images that are already prepared.
     *
     * @param person the person, {@code W x H}
     * @param mask the binary mask (0 or 255), {@code W x H}
     * @param garment the garment, {@code W x H}
     * @return the set
     * @throws IllegalArgumentException if the sizes differ or are not multiples of {@value #SIZE_MULTIPLE}
     */
    public static TryOnImages of(RgbImage person, GrayImage mask, RgbImage garment) {
        checkSize(person.width(), person.height());
        if (mask.width() != person.width() || mask.height() != person.height()
                || garment.width() != person.width() || garment.height() != person.height()) {
            throw new IllegalArgumentException("prepared images must share one size: person "
                    + person.width() + "x" + person.height() + ", mask " + mask.width() + "x" + mask.height()
                    + ", garment " + garment.width() + "x" + garment.height());
        }
        return new TryOnImages(person, mask, garment);
    }

    /**
     * Prepares raw images at the default size, {@value #DEFAULT_WIDTH}x{@value #DEFAULT_HEIGHT}.
     *
     * @param person the person photo, any size
     * @param mask the mask photo, white (gray >= 128) where the garment goes; the person's aspect ratio
     * @param garments the garment photos; those the cloth type needs are required
     * @param clothType what the try-on replaces
     * @return the prepared set, each image {@value #DEFAULT_WIDTH}x{@value #DEFAULT_HEIGHT}
     * @throws InvalidInputException as {@link #prepare(RgbImage, RgbImage, Garments, ClothType, int, int)}
     */
    public static TryOnImages prepare(RgbImage person, RgbImage mask, Garments garments, ClothType clothType) {
        return prepare(person, mask, garments, clothType, DEFAULT_WIDTH, DEFAULT_HEIGHT);
    }

    /**
     * Prepares raw (decoded, oriented) images for the pipeline.
     *
     * @param person the person photo, any size
     * @param mask the mask photo, white (gray >= 128) where the garment goes; the person's aspect ratio
     * @param garments the garment photos; {@code UPPER} is required for {@code UPPER} and
     *     {@code OVERALL}, {@code LOWER} for {@code LOWER} and {@code OVERALL}, others are ignored
     * @param clothType what the try-on replaces
     * @param width output width in pixels, a positive multiple of {@value #SIZE_MULTIPLE}
     * @param height output height in pixels, a positive multiple of {@value #SIZE_MULTIPLE}
     * @return the prepared set, each image {@code width x height}
     * @throws IllegalArgumentException if the size is invalid
     * @throws InvalidInputException if a needed garment is missing, the mask's aspect ratio differs
     *     from the person's, or the mask selects no pixel
     */
    public static TryOnImages prepare(RgbImage person, RgbImage mask, Garments garments, ClothType clothType,
                                      int width, int height) {
        Objects.requireNonNull(person, "person image");
        Objects.requireNonNull(mask, "mask image");
        Objects.requireNonNull(garments, "garments");
        Objects.requireNonNull(clothType, "cloth type");
        checkSize(width, height);
        checkAspect(person, mask);
        ResampleSource garment = garments.sourceFor(clothType);

        GrayImage preparedMask = Masks.threshold(
                Resize.grayResizeAndCrop(mask, width, height), Masks.DEFAULT_THRESHOLD);
        if (!Masks.selectsAny(preparedMask)) {
            throw new InvalidInputException(Input.MASK, "the mask image selects no pixel: after resizing to "
                    + width + "x" + height + " no pixel is at least " + Masks.DEFAULT_THRESHOLD
                    + " gray; paint the garment region white", null);
        }
        return new TryOnImages(
                Resize.resizeAndCrop(person, width, height),
                preparedMask,
                Resize.resizeAndPadding(garment, width, height));
    }

    private static void checkSize(int width, int height) {
        if (width < SIZE_MULTIPLE || height < SIZE_MULTIPLE
                || width % SIZE_MULTIPLE != 0 || height % SIZE_MULTIPLE != 0) {
            throw new IllegalArgumentException("width and height must be positive multiples of "
                    + SIZE_MULTIPLE + ", got " + width + "x" + height + "; for example 768x1024 or 384x512");
        }
    }

    private static void checkAspect(RgbImage person, RgbImage mask) {
        double personAspect = (double) person.width() / person.height();
        double maskAspect = (double) mask.width() / mask.height();
        if (Math.abs(maskAspect / personAspect - 1) > ASPECT_TOLERANCE) {
            throw new InvalidInputException(Input.MASK, String.format(java.util.Locale.ROOT,
                    "the mask image is %dx%d but the person image is %dx%d: their aspect ratios differ"
                            + " (%.3f vs %.3f), so the mask would not line up; send the mask at the person"
                            + " image's size", mask.width(), mask.height(), person.width(), person.height(),
                    maskAspect, personAspect), null);
        }
    }

    /** {@return the person, cropped and resized, {@code width x height}} */
    public RgbImage person() {
        return person;
    }

    /** {@return the binary mask, 255 where the garment goes, else 0, {@code width x height}} */
    public GrayImage mask() {
        return mask;
    }

    /** {@return the garment, fitted on white, {@code width x height}} */
    public RgbImage garment() {
        return garment;
    }

    /** {@return width of every image in pixels} */
    public int width() {
        return person.width();
    }

    /** {@return height of every image in pixels} */
    public int height() {
        return person.height();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TryOnImages other
                && person.equals(other.person) && mask.equals(other.mask) && garment.equals(other.garment);
    }

    @Override
    public int hashCode() {
        return Objects.hash(person, mask, garment);
    }

    @Override
    public String toString() {
        return "TryOnImages[" + width() + "x" + height() + "]";
    }
}

package io.omoib.vton.examples;

import io.omoib.vton.preprocess.ClothType;
import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.preprocess.RgbImage;
import io.omoib.vton.preprocess.TryOnImages;
import io.omoib.vton.source.ImageSource;
import io.omoib.vton.source.ImageSourceException;
import io.omoib.vton.source.ImageSources;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import picocli.CommandLine.Option;

/** The input images of {@code tryon} and {@code preprocess}, and how they become pipeline inputs. */
final class InputOptions {
    /** The bundled sample pictures: a drawn figure, its mask, a shirt and trousers. */
    private static final String SAMPLES = "samples/";

    @Option(names = "--person", paramLabel = "SRC", description = "Person photo: a path, an http(s) URL or an s3:// URI.")
    String person;

    @Option(names = "--mask", paramLabel = "SRC", description = "Mask, white where the garments go.")
    String mask;

    @Option(names = "--upper", paramLabel = "SRC", description = "Upper garment (for upper and overall).")
    String upper;

    @Option(names = "--lower", paramLabel = "SRC", description = "Lower garment (for lower and overall).")
    String lower;

    @Option(names = "--cloth-type", paramLabel = "overall|upper|lower", defaultValue = "overall",
            description = "What the try-on replaces (default: ${DEFAULT-VALUE}).")
    String clothType;

    /** @return the cloth type, or a {@link BadInputException} naming the option */
    ClothType clothType() {
        try {
            return ClothType.parse(clothType);
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--cloth-type", e.getMessage());
        }
    }

    /** @return whether no image was given, so the bundled samples are used */
    boolean samples() {
        return person == null && mask == null && upper == null && lower == null;
    }

    /** The decoded person, mask and garments the cloth type needs; garments it ignores are {@code null}. */
    record Decoded(RgbImage person, RgbImage mask, RgbImage upper, RgbImage lower, ClothType clothType) {
        TryOnImages prepare(int width, int height) {
            try {
                return TryOnImages.prepare(person, mask, upper, lower, clothType, width, height);
            } catch (IllegalArgumentException e) {
                throw new BadInputException(null, e.getMessage());
            }
        }
    }

    /**
     * @param sources resolves SRC texts
     * @param codec decodes within its limits
     * @return the decoded images
     * @throws BadInputException if a needed image is missing
     * @throws ImageSourceException if one cannot be read
     */
    Decoded decode(ImageSources sources, ImageCodec codec) throws IOException {
        ClothType type = clothType();
        boolean needsUpper = type != ClothType.LOWER;
        boolean needsLower = type != ClothType.UPPER;
        if (samples()) {
            return new Decoded(sample("person.jpg", codec), sample("mask.png", codec),
                    needsUpper ? sample("upper.jpg", codec) : null, needsLower ? sample("lower.jpg", codec) : null, type);
        }
        require(person, "--person");
        require(mask, "--mask");
        if (needsUpper) {
            require(upper, "--upper", type);
        }
        if (needsLower) {
            require(lower, "--lower", type);
        }
        return new Decoded(read(sources, person, "--person", codec), read(sources, mask, "--mask", codec),
                needsUpper ? read(sources, upper, "--upper", codec) : null,
                needsLower ? read(sources, lower, "--lower", codec) : null, type);
    }

    private static void require(String value, String option) {
        if (value == null) {
            throw new BadInputException(option, option + " is required when any input image is given"
                    + " (give none to use the bundled samples)");
        }
    }

    private static void require(String value, String option, ClothType type) {
        if (value == null) {
            throw new BadInputException(option, option + " is required for --cloth-type " + type.id());
        }
    }

    private static RgbImage read(ImageSources sources, String spec, String option, ImageCodec codec) throws IOException {
        ImageSource source = sources.resolve(spec, option);
        return codec.decode(source.read(), source.name());
    }

    private static RgbImage sample(String name, ImageCodec codec) {
        try (InputStream in = InputOptions.class.getResourceAsStream(SAMPLES + name)) {
            if (in == null) {
                throw new IllegalStateException("the sample " + name + " is missing from the jar");
            }
            return codec.decode(in.readAllBytes(), "sample " + name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package io.omoib.vton.examples;

import io.omoib.vton.preprocess.ClothType;
import io.omoib.vton.preprocess.Input;
import io.omoib.vton.service.TryOnRequest;
import io.omoib.vton.source.ImageSource;
import io.omoib.vton.source.ImageSources;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import picocli.CommandLine.Option;

/** The input images of {@code tryon} and {@code preprocess}, and the request they make. */
final class InputOptions {
    /** The bundled sample pictures: a drawn figure, a mask per cloth type, a shirt and trousers. */
    private static final String SAMPLES = "samples/";

    /** {@code --person}: Person photo: a path, an http(s) URL or an s3:// URI. */
    @Option(names = "--person", paramLabel = "SRC", description = "Person photo: a path, an http(s) URL or an s3:// URI.")
    String person;

    /** {@code --mask}: Mask, white where the garments go. */
    @Option(names = "--mask", paramLabel = "SRC", description = "Mask, white where the garments go.")
    String mask;

    /** {@code --upper}: Upper garment (for upper and overall). */
    @Option(names = "--upper", paramLabel = "SRC", description = "Upper garment (for upper and overall).")
    String upper;

    /** {@code --lower}: Lower garment (for lower and overall). */
    @Option(names = "--lower", paramLabel = "SRC", description = "Lower garment (for lower and overall).")
    String lower;

    /** {@code --cloth-type}: What the try-on replaces. */
    @Option(names = "--cloth-type", paramLabel = "overall|upper|lower", defaultValue = "overall",
            description = "What the try-on replaces (default: ${DEFAULT-VALUE}).")
    String clothType;

    /** {@return the option that gives an input: {@code --person}, {@code --mask}, {@code --upper}, {@code --lower}} */
    static String option(Input input) {
        return "--" + input.id();
    }

    /** {@return the cloth type, or a {@link BadInputException} naming the option} */
    ClothType clothType() {
        try {
            return ClothType.parse(clothType);
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--cloth-type", e.getMessage());
        }
    }

    /** {@return whether no image was given, so the bundled samples are used} */
    boolean samples() {
        return person == null && mask == null && upper == null && lower == null;
    }

    /**
     * Reads the input options into a request builder.
     *
     * @param sources resolves SRC texts
     * @return a request for the images the cloth type needs (the bundled samples when none is given)
     * @throws BadInputException if a needed image is missing
     * @throws IOException if a SRC names nothing this command may read
     */
    TryOnRequest.Builder request(ImageSources sources) throws IOException {
        ClothType type = clothType();
        TryOnRequest.Builder request = TryOnRequest.builder().clothType(type);
        for (Input input : Input.values()) {
            if (type.needs(input)) {
                request.image(input, samples() ? sample(input, type) : source(sources, input, type));
            }
        }
        return request;
    }

    private ImageSource source(ImageSources sources, Input input, ClothType type) throws IOException {
        String spec = switch (input) {
            case PERSON -> person;
            case MASK -> mask;
            case UPPER -> upper;
            case LOWER -> lower;
        };
        String option = option(input);
        if (spec == null) {
            throw new BadInputException(option, type.garments().contains(input)
                    ? option + " is required for --cloth-type " + type.id()
                    : option + " is required when any input image is given (give none to use the bundled samples)");
        }
        return sources.resolve(spec, option);
    }

    /**
     * {@return the bundled sample for an input; the mask covers only what the cloth type replaces
     * ({@code mask.png} for overall, {@code mask-upper.png}, {@code mask-lower.png}), so that the
     * rest of the figure's clothes stay as they are}
     */
    static ImageSource sample(Input input, ClothType type) {
        String name = input != Input.MASK ? input.id() + ".jpg"
                : type == ClothType.OVERALL ? "mask.png" : "mask-" + type.id() + ".png";
        try (InputStream in = InputOptions.class.getResourceAsStream(SAMPLES + name)) {
            if (in == null) {
                throw new IllegalStateException("the sample " + name + " is missing from the jar");
            }
            return ImageSource.of(in.readAllBytes(), "sample " + name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

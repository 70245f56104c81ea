package io.omoib.vton.service;

import io.omoib.vton.preprocess.DecodeBudget;
import io.omoib.vton.preprocess.Garments;
import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.preprocess.Input;
import io.omoib.vton.preprocess.InvalidImageException;
import io.omoib.vton.preprocess.InvalidInputException;
import io.omoib.vton.preprocess.RgbImage;
import io.omoib.vton.preprocess.TryOnImages;
import io.omoib.vton.source.ImageSource;
import io.omoib.vton.source.ImageSourceException;
import java.io.IOException;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

/**
 * Turns a {@link TryOnRequest} into pipeline inputs: reads each image from its source, decodes it
 * and prepares the set ({@link TryOnImages#prepare}). The one path from a request to the pipeline,
 * used by {@link TryOnService} and by tools that only prepare (the {@code vton preprocess} command).
 *
 * <p>Every failure about one image is an {@link InvalidInputException} naming its {@link Input}, with
 * the source's or decoder's exception as the cause, so callers can name their own field for it. A
 * decode refused because the process's decode budget is in use is not the input's fault: it is a
 * {@link java.util.concurrent.RejectedExecutionException} ({@code DecodeBudget.Exhausted}), a 503 on
 * the server. Every decoded image stays reserved in the codec's budget until the prepared images
 * replace it ({@link DecodeBudget.Holding}), so the images a request keeps and the decodes of others
 * never hold more together than the budget; a request whose images cannot fit in it together fails
 * with an {@link InvalidInputException} naming the image that did not fit. Between images the
 * preparation checks whether the request was abandoned (deadline passed, cancelled), so a late request
 * stops reading and decoding.
 */
public final class RequestPreparer {
    private final ImageCodec codec;

    /**
     * Makes a preparer that decodes with a codec.
     *
     * @param codec decodes within its limits
     */
    public RequestPreparer(ImageCodec codec) {
        this.codec = Objects.requireNonNull(codec, "codec");
    }

    /**
     * {@return the prepared images}
     *
     * @param request what to prepare
     * @param width output width in pixels, a positive multiple of 8
     * @param height output height in pixels, likewise
     * @throws InvalidInputException if an image cannot be read or decoded, or the images do not fit together
     * @throws IOException if a source fails in a way that is not the input's fault
     */
    public TryOnImages prepare(TryOnRequest request, int width, int height) throws IOException {
        return prepare(request, width, height, () -> false);
    }

    /**
     * As {@link #prepare(TryOnRequest, int, int)}, stopping between images once {@code abandoned} says so.
     *
     * @throws CancellationException if {@code abandoned} became true
     */
    TryOnImages prepare(TryOnRequest request, int width, int height, BooleanSupplier abandoned) throws IOException {
        try (DecodeBudget.Holding kept = holding()) {
            Map<Input, byte[]> encoded = new EnumMap<>(Input.class);
            for (Map.Entry<Input, ImageSource> entry : request.sources().entrySet()) {
                if (abandoned.getAsBoolean()) {
                    throw new CancellationException("try-on " + request.id() + " was abandoned while its images were read");
                }
                try {
                    encoded.put(entry.getKey(), entry.getValue().read());
                } catch (ImageSourceException e) {
                    throw new InvalidInputException(entry.getKey(), e.getMessage(), e);
                }
            }
            return prepare(request, encoded, width, height, kept, abandoned);
        }
    }

    /** {@return an empty holding of the codec's decode budget, for one request's images} */
    DecodeBudget.Holding holding() {
        return codec.budget().holding();
    }

    /**
     * Decodes a request's images, already read, and prepares them; each decoded image stays reserved in
     * {@code kept} until the caller closes it.
     *
     * @param encoded each input's encoded image
     * @throws InvalidInputException if an image cannot be decoded, or the images do not fit together
     * @throws CancellationException if {@code abandoned} became true between images
     */
    TryOnImages prepare(TryOnRequest request, Map<Input, byte[]> encoded, int width, int height,
                        DecodeBudget.Holding kept, BooleanSupplier abandoned) {
        Map<Input, RgbImage> images = new EnumMap<>(Input.class);
        for (Map.Entry<Input, byte[]> entry : encoded.entrySet()) {
            if (abandoned.getAsBoolean()) {
                throw new CancellationException("try-on " + request.id() + " was abandoned while its images were decoded");
            }
            Input input = entry.getKey();
            try {
                images.put(input, codec.decode(entry.getValue(), request.sources().get(input).name(), width, height, kept));
            } catch (InvalidImageException e) {
                throw new InvalidInputException(input, e.getMessage(), e);
            }
        }
        RgbImage person = images.remove(Input.PERSON);
        RgbImage mask = images.remove(Input.MASK);
        return TryOnImages.prepare(person, mask, Garments.of(images), request.clothType(), width, height);
    }

    /**
     * {@return the decoded image}
     *
     * @param input the image's role
     * @param source where it comes from
     * @param width the width it will be prepared at (a very large image is read at a fraction of its
     *     size, see {@link ImageCodec#decode(byte[], String, int, int)})
     * @param height the height it will be prepared at
     * @throws InvalidInputException if it cannot be read or decoded
     * @throws io.omoib.vton.preprocess.DecodeBudget.Exhausted if other decodes hold the memory budget
     * @throws IOException if the source fails in a way that is not the input's fault
     */
    public RgbImage decode(Input input, ImageSource source, int width, int height) throws IOException {
        try {
            return codec.decode(source.read(), source.name(), width, height);
        } catch (ImageSourceException | InvalidImageException e) {
            throw new InvalidInputException(input, e.getMessage(), e);
        }
    }
}

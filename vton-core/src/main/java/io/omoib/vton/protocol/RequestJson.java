package io.omoib.vton.protocol;

import com.google.gson.JsonObject;
import io.omoib.vton.preprocess.ClothType;
import io.omoib.vton.preprocess.Input;
import java.util.Base64;
import java.util.Locale;
import java.util.Objects;

/**
 * Writes the JSON of a try-on request, as a client of the server or a producer of queue messages sends
 * it; {@link JsonRequest#parse} reads it back. Not thread-safe.
 *
 * <pre>{@code
 * String body = new RequestJson(ClothType.UPPER).userId("u1").timestamp("1700000000")
 *         .url(Input.PERSON, "s3://inputs/person.jpg").url(Input.MASK, "s3://inputs/mask.png")
 *         .url(Input.UPPER, "s3://inputs/shirt.jpg").toJson();
 * }</pre>
 */
public final class RequestJson {
    private final JsonObject json = new JsonObject();

    /**
     * Starts a request body.
     *
     * @param clothType the garments the request changes; it decides which images the body needs
     */
    public RequestJson(ClothType clothType) {
        json.addProperty(Fields.CLOTH_TYPE, clothType.name().toLowerCase(Locale.ROOT));
    }

    /**
     * Sets who the try-on is for.
     *
     * @param userId the user id
     * @return this body
     */
    public RequestJson userId(String userId) {
        json.addProperty(Fields.USER_ID, Objects.requireNonNull(userId, "userId"));
        return this;
    }

    /**
     * Sets which of the user's requests this is.
     *
     * @param timestamp the request's timestamp, as the client names it
     * @return this body
     */
    public RequestJson timestamp(String timestamp) {
        json.addProperty(Fields.TIMESTAMP, Objects.requireNonNull(timestamp, "timestamp"));
        return this;
    }

    /**
     * Gives an image by URL.
     *
     * @param input the image's role
     * @param url where the server reads it ({@code https://}, {@code s3://} ...)
     * @return this body
     */
    public RequestJson url(Input input, String url) {
        json.addProperty(Fields.url(input), Objects.requireNonNull(url, "url"));
        return this;
    }

    /**
     * Gives an image inline, in standard base64.
     *
     * @param input the image's role
     * @param encoded the image file's bytes (JPEG, PNG ...)
     * @return this body
     */
    public RequestJson image(Input input, byte[] encoded) {
        json.addProperty(Fields.image(input), Base64.getEncoder().encodeToString(encoded));
        return this;
    }

    /**
     * Sets the number of denoising steps.
     *
     * @param steps DDIM steps
     * @return this body
     */
    public RequestJson steps(int steps) {
        json.addProperty(Fields.STEPS, steps);
        return this;
    }

    /**
     * Sets the classifier-free guidance scale.
     *
     * @param guidance the scale; 1 or less runs without guidance
     * @return this body
     */
    public RequestJson guidance(double guidance) {
        json.addProperty(Fields.GUIDANCE, guidance);
        return this;
    }

    /**
     * Sets the seed of the initial noise.
     *
     * @param seed the seed
     * @return this body
     */
    public RequestJson seed(long seed) {
        json.addProperty(Fields.SEED, seed);
        return this;
    }

    /**
     * Writes the body.
     *
     * @return the JSON text
     */
    public String toJson() {
        return json.toString();
    }

    /**
     * Writes the body.
     *
     * @return the JSON text, as {@link #toJson()}
     */
    @Override
    public String toString() {
        return toJson();
    }
}

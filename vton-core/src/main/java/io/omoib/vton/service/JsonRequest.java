package io.omoib.vton.service;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.omoib.vton.pipeline.InvalidParameterException;
import io.omoib.vton.pipeline.InvalidParameterException.Parameter;
import io.omoib.vton.pipeline.TryOnParameters;
import io.omoib.vton.preprocess.ClothType;
import io.omoib.vton.preprocess.Input;
import io.omoib.vton.service.TryOnRequest;
import io.omoib.vton.source.ImageSource;
import io.omoib.vton.source.ImageSourceException;
import io.omoib.vton.source.ImageSources;
import java.time.Duration;
import java.util.Base64;
import java.util.EnumMap;
import java.util.Map;

/**
 * The seed's JSON request, checked field by field: the body of {@code POST /invocations} and of a
 * queue message. All fields are strings as the seed sends them ({@code cloth_type}, {@code userId},
 * {@code timestamp}, {@code person_image_url} ...), plus optional sampling fields
 * ({@code num_inference_steps}, {@code guidance_scale}, {@code eta}, {@code seed}, as numbers or
 * numeric strings) and base64 images ({@code person_image} ...) in place of URLs. It remembers which
 * field carried each input, so a failure about an {@link Input} or a {@link Parameter}, however late
 * it happens, names its field.
 */
public final class JsonRequest {
    /** The JSON fields of the sampling parameters. */
    private static final Map<Parameter, String> PARAMETER_FIELDS = new EnumMap<>(Map.of(
            Parameter.STEPS, "num_inference_steps", Parameter.GUIDANCE, "guidance_scale", Parameter.ETA, "eta",
            Parameter.SEED, "seed"));

    private final TryOnRequest request;
    /** The field each input came from: its URL field or its base64 field. */
    private final Map<Input, String> fields;

    private JsonRequest(TryOnRequest request, Map<Input, String> fields) {
        this.request = request;
        this.fields = fields;
    }

    /** @return the request to submit */
    public TryOnRequest request() {
        return request;
    }

    /** @return the request field that carried the input, or {@code null} if none did */
    public String field(Input input) {
        return fields.get(input);
    }

    /** @return the request field of a sampling parameter, or {@code null} (the size has none) */
    public static String field(Parameter parameter) {
        return PARAMETER_FIELDS.get(parameter);
    }

    /**
     * @param body the request body: strict UTF-8 JSON (no comments, no duplicate keys, at most
     *     32 levels deep)
     * @param sources resolves URL fields (give it no file access for untrusted requests)
     * @param defaults sampling parameters for fields not given
     * @param timeout the request's deadline
     * @return the checked request
     * @throws RequestFieldException naming the field at fault, or none when the body is not JSON
     */
    public static JsonRequest parse(byte[] body, ImageSources sources, TryOnParameters defaults, Duration timeout) {
        return parse(StrictJson.parse(body), sources, defaults, timeout);
    }

    /**
     * @param body the parsed JSON
     * @param sources resolves URL fields (no files)
     * @param defaults sampling parameters for fields not given
     * @param timeout the request's deadline
     * @throws RequestFieldException naming the field at fault
     */
    private static JsonRequest parse(JsonElement body, ImageSources sources, TryOnParameters defaults, Duration timeout) {
        if (!body.isJsonObject()) {
            throw new RequestFieldException(null, "the body must be a JSON object");
        }
        JsonObject json = body.getAsJsonObject();
        ClothType clothType;
        try {
            clothType = ClothType.parse(string(json, "cloth_type", true));
        } catch (IllegalArgumentException e) {
            throw new RequestFieldException("cloth_type", e.getMessage());
        }
        Map<Input, String> fields = new EnumMap<>(Input.class);
        TryOnRequest.Builder b = TryOnRequest.builder()
                .clothType(clothType)
                .userId(string(json, "userId", true))
                .timestamp(string(json, "timestamp", true))
                .timeout(timeout);
        for (Input input : Input.values()) {
            if (clothType.needs(input)) {
                b.image(input, image(json, input, sources, fields));
            }
        }
        TryOnParameters.Builder p = defaults.toBuilder();
        try {
            Number steps = number(json, Parameter.STEPS);
            if (steps != null) {
                p.steps((int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, integer(steps, Parameter.STEPS))));
            }
            Number guidance = number(json, Parameter.GUIDANCE);
            if (guidance != null) {
                p.guidance(guidance.floatValue());
            }
            Number seed = number(json, Parameter.SEED);
            if (seed != null) {
                p.seed(integer(seed, Parameter.SEED));
            }
            Number eta = number(json, Parameter.ETA);
            if (eta != null) {
                p.eta(eta.floatValue());
            }
        } catch (InvalidParameterException e) {
            throw new RequestFieldException(field(e.parameter()), e.getMessage());
        }
        return new JsonRequest(b.parameters(p.build()).build(), fields);
    }

    private static String string(JsonObject json, String field, boolean required) {
        JsonElement value = json.get(field);
        if (value == null || value.isJsonNull()) {
            if (required) {
                throw new RequestFieldException(field, "the field " + field + " is required");
            }
            return null;
        }
        if (!value.isJsonPrimitive() || value.getAsJsonPrimitive().isBoolean()) {
            throw new RequestFieldException(field, "the field " + field + " must be a string");
        }
        String text = value.getAsString();
        if (text.isBlank()) {
            throw new RequestFieldException(field, "the field " + field + " must not be empty");
        }
        return text;
    }

    /** @return a number given as a JSON number or as a numeric string, or {@code null} when absent */
    private static Number number(JsonObject json, Parameter parameter) {
        String field = field(parameter);
        JsonElement value = json.get(field);
        if (value == null || value.isJsonNull()) {
            return null;
        }
        if (value.isJsonPrimitive()) {
            JsonPrimitive primitive = value.getAsJsonPrimitive();
            try {
                double number = primitive.isNumber() ? primitive.getAsDouble()
                        : primitive.isString() ? Double.parseDouble(primitive.getAsString().strip()) : Double.NaN;
                if (Double.isFinite(number)) {
                    return number;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        throw new RequestFieldException(field, "the field " + field + " must be a number");
    }

    private static long integer(Number number, Parameter parameter) {
        double d = number.doubleValue();
        if (d != Math.rint(d) || Math.abs(d) > 1e15) {
            throw new RequestFieldException(field(parameter), "the field " + field(parameter)
                    + " must be a whole number, got " + d);
        }
        return (long) d;
    }

    /** The input's image from its URL field ({@code person_image_url}) or its base64 field ({@code person_image}). */
    private static ImageSource image(JsonObject json, Input input, ImageSources sources, Map<Input, String> fields) {
        String base64Field = switch (input) {
            case PERSON -> "person_image";
            case MASK -> "mask_image";
            case UPPER -> "upper_cloth";
            case LOWER -> "lower_cloth";
        };
        String urlField = base64Field + "_url";
        String url = string(json, urlField, false);
        String base64 = string(json, base64Field, false);
        if (url != null && base64 != null) {
            throw new RequestFieldException(urlField, "give either " + urlField + " or " + base64Field + ", not both");
        }
        if (base64 != null) {
            fields.put(input, base64Field);
            return ImageSource.of(decodeBase64(base64, base64Field), base64Field);
        }
        if (url == null) {
            throw new RequestFieldException(urlField, "the field " + urlField + " (or " + base64Field + ") is required");
        }
        fields.put(input, urlField);
        try {
            return sources.resolve(url, urlField);
        } catch (ImageSourceException e) {
            throw new RequestFieldException(urlField, e.getMessage());
        }
    }

    private static byte[] decodeBase64(String text, String field) {
        String data = text.startsWith("data:") && text.contains(",") ? text.substring(text.indexOf(',') + 1) : text;
        try {
            return Base64.getMimeDecoder().decode(data);
        } catch (IllegalArgumentException e) {
            throw new RequestFieldException(field, "the field " + field + " is not valid base64: " + e.getMessage());
        }
    }
}

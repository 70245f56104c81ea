package io.omoib.vton.examples;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.omoib.vton.pipeline.TryOnParameters;
import io.omoib.vton.preprocess.ClothType;
import io.omoib.vton.service.TryOnRequest;
import io.omoib.vton.source.ImageSource;
import io.omoib.vton.source.ImageSourceException;
import io.omoib.vton.source.ImageSources;
import java.io.IOException;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/**
 * One {@code POST /invocations} body, checked field by field: the seed server's JSON (all strings)
 * plus optional sampling fields and base64 images.
 */
final class Invocation {
    private final TryOnRequest request;
    /** Which request field each image source came from, by source name, to name the field in errors. */
    private final Map<String, String> fieldBySource;

    private Invocation(TryOnRequest request, Map<String, String> fieldBySource) {
        this.request = request;
        this.fieldBySource = fieldBySource;
    }

    TryOnRequest request() {
        return request;
    }

    /** @return the request field an image source came from, or {@code null} */
    String fieldOf(String sourceName) {
        return fieldBySource.get(sourceName);
    }

    /**
     * @param body the parsed JSON
     * @param sources resolves URL fields (no files)
     * @param defaults sampling parameters for fields not given
     * @param timeout the request's deadline
     * @throws BadInputException naming the field at fault
     */
    static Invocation parse(JsonElement body, ImageSources sources, TryOnParameters defaults, Duration timeout) {
        if (!body.isJsonObject()) {
            throw new BadInputException(null, "the body must be a JSON object");
        }
        JsonObject json = body.getAsJsonObject();
        ClothType clothType;
        try {
            clothType = ClothType.parse(string(json, "cloth_type", true));
        } catch (IllegalArgumentException e) {
            throw new BadInputException("cloth_type", e.getMessage());
        }
        Map<String, String> fields = new HashMap<>();
        TryOnRequest.Builder b = TryOnRequest.builder()
                .clothType(clothType)
                .userId(string(json, "userId", true))
                .timestamp(string(json, "timestamp", true))
                .timeout(timeout)
                .person(image(json, "person_image_url", "person_image", true, sources, fields))
                .mask(image(json, "mask_image_url", "mask_image", true, sources, fields));
        if (clothType != ClothType.LOWER) {
            b.upper(image(json, "upper_cloth_url", "upper_cloth", true, sources, fields));
        }
        if (clothType != ClothType.UPPER) {
            b.lower(image(json, "lower_cloth_url", "lower_cloth", true, sources, fields));
        }
        TryOnParameters.Builder p = defaults.toBuilder();
        try {
            Number steps = number(json, "num_inference_steps");
            if (steps != null) {
                p.steps((int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, integer(steps, "num_inference_steps"))));
            }
        } catch (IllegalArgumentException e) {
            throw new BadInputException("num_inference_steps", e.getMessage());
        }
        try {
            Number guidance = number(json, "guidance_scale");
            if (guidance != null) {
                p.guidance(guidance.floatValue());
            }
        } catch (IllegalArgumentException e) {
            throw new BadInputException("guidance_scale", e.getMessage());
        }
        try {
            Number seed = number(json, "seed");
            if (seed != null) {
                p.seed(integer(seed, "seed"));
            }
        } catch (IllegalArgumentException e) {
            throw new BadInputException("seed", e.getMessage());
        }
        try {
            Number eta = number(json, "eta");
            if (eta != null) {
                p.eta(eta.floatValue());
            }
        } catch (IllegalArgumentException e) {
            throw new BadInputException("eta", e.getMessage());
        }
        return new Invocation(b.parameters(p.build()).build(), fields);
    }

    private static String string(JsonObject json, String field, boolean required) {
        JsonElement value = json.get(field);
        if (value == null || value.isJsonNull()) {
            if (required) {
                throw new BadInputException(field, "the field " + field + " is required");
            }
            return null;
        }
        if (!value.isJsonPrimitive() || value.getAsJsonPrimitive().isBoolean()) {
            throw new BadInputException(field, "the field " + field + " must be a string");
        }
        String text = value.getAsString();
        if (text.isBlank()) {
            throw new BadInputException(field, "the field " + field + " must not be empty");
        }
        return text;
    }

    /** @return a number given as a JSON number or as a numeric string, or {@code null} when absent */
    private static Number number(JsonObject json, String field) {
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
        throw new IllegalArgumentException("the field " + field + " must be a number");
    }

    private static long integer(Number number, String field) {
        double d = number.doubleValue();
        if (d != Math.rint(d) || Math.abs(d) > 1e15) {
            throw new IllegalArgumentException("the field " + field + " must be a whole number, got " + d);
        }
        return (long) d;
    }

    private static ImageSource image(JsonObject json, String urlField, String base64Field, boolean required,
                                     ImageSources sources, Map<String, String> fields) {
        String url = string(json, urlField, false);
        String base64 = string(json, base64Field, false);
        if (url != null && base64 != null) {
            throw new BadInputException(urlField, "give either " + urlField + " or " + base64Field + ", not both");
        }
        ImageSource source;
        String field;
        if (base64 != null) {
            field = base64Field;
            source = ImageSource.of(decodeBase64(base64, base64Field), base64Field);
        } else if (url != null) {
            field = urlField;
            try {
                source = sources.resolve(url, urlField);
            } catch (ImageSourceException e) {
                throw new BadInputException(urlField, e.getMessage());
            }
        } else if (required) {
            throw new BadInputException(urlField, "the field " + urlField + " (or " + base64Field + ") is required");
        } else {
            return null;
        }
        fields.put(source.name(), field);
        return named(source);
    }

    /** A source whose failures carry its own name, even when a redirect led elsewhere, so the field can be named. */
    private static ImageSource named(ImageSource source) {
        return new ImageSource() {
            @Override
            public String name() {
                return source.name();
            }

            @Override
            public byte[] read() throws IOException {
                try {
                    return source.read();
                } catch (ImageSourceException e) {
                    if (e.source().equals(source.name())) {
                        throw e;
                    }
                    throw new ImageSourceException(e.kind(), source.name(), "via " + e.getMessage(), e);
                }
            }
        };
    }

    private static byte[] decodeBase64(String text, String field) {
        String data = text.startsWith("data:") && text.contains(",") ? text.substring(text.indexOf(',') + 1) : text;
        try {
            return Base64.getMimeDecoder().decode(data);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(field, "the field " + field + " is not valid base64: " + e.getMessage());
        }
    }
}

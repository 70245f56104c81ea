package io.omoib.vton.protocol;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.omoib.vton.pipeline.InvalidParameterException;
import io.omoib.vton.pipeline.InvalidParameterException.Parameter;
import io.omoib.vton.pipeline.TryOnParameters;
import io.omoib.vton.preprocess.ClothType;
import io.omoib.vton.preprocess.Input;
import io.omoib.vton.source.ImageSource;
import io.omoib.vton.source.ImageSourceException;
import io.omoib.vton.service.Failure;
import io.omoib.vton.service.RequestFieldException;
import io.omoib.vton.service.TryOnRequest;
import io.omoib.vton.source.ImageSources;
import java.time.Duration;
import java.util.Base64;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * The seed's JSON request, checked field by field: the body of {@code POST /invocations} and of a
 * queue message. All fields are strings as the seed sends them ({@code cloth_type}, {@code userId},
 * {@code timestamp}, {@code person_image_url} ...), plus optional sampling fields
 * ({@code num_inference_steps}, {@code guidance_scale}, {@code eta}, {@code seed}, as JSON numbers:
 * {@code "2.5"} in quotes is refused) and images in standard, padded base64 ({@code person_image} ...,
 * line breaks allowed, any other character refused) in place of URLs. It remembers which field
 * carried each input, so a failure about an {@link Input} or a {@link Parameter}, however late it
 * happens, names its field.
 */
public final class JsonRequest {
    private final TryOnRequest request;
    /** The field each input came from: its URL field or its base64 field. */
    private final Map<Input, String> fields;

    private JsonRequest(TryOnRequest request, Map<Input, String> fields) {
        this.request = request;
        this.fields = fields;
    }

    /** {@return the request to submit} */
    public TryOnRequest request() {
        return request;
    }

    /**
     * Names the field that carried an input.
     *
     * @param input an image's role
     * @return the request field that carried it (its URL or its base64 field), or {@code null} if none did
     */
    public String field(Input input) {
        return fields.get(input);
    }

    /**
     * Names the field a failure is about, in a request that was parsed.
     *
     * @param failure how this request failed
     * @return the field it names itself, else the field of its input or parameter, else {@code null}
     */
    public String field(Failure failure) {
        return field(failure, this);
    }

    /**
     * Names the field a failure is about, in a body that may not have become a request.
     *
     * @param failure how a request, or the parsing of its body, failed
     * @param request the parsed request, or {@code null} when parsing failed
     * @return the field the failure names itself, else the field of its input (in {@code request}) or its
     *     parameter, else {@code null}
     */
    public static String field(Failure failure, JsonRequest request) {
        if (failure.field() != null) {
            return failure.field();
        }
        if (failure.input() != null) {
            return request == null ? null : request.field(failure.input());
        }
        return failure.parameter() == null ? null : Fields.parameter(failure.parameter());
    }

    /**
     * Who a request is for and which of theirs it is, as its body names them: what a failure notice
     * quotes even when another field of the body is wrong.
     *
     * @param userId the body's {@code userId}, or {@code null} when it has none that {@link #parse} would take
     * @param timestamp the body's {@code timestamp}, or {@code null} likewise
     */
    public record Identity(String userId, String timestamp) {
    }

    /**
     * Reads only {@code userId} and {@code timestamp}, each as {@link #parse} reads it, from a body that
     * may be wrong otherwise. Never throws for a bad body.
     *
     * @param body a request body
     * @return its identity; both parts {@code null} when the body is not a strict JSON object
     */
    public static Identity identity(byte[] body) {
        JsonElement document;
        try {
            document = StrictJson.parse(body);
        } catch (RequestFieldException notJson) {
            return new Identity(null, null);
        }
        if (!document.isJsonObject()) {
            return new Identity(null, null);
        }
        JsonObject json = document.getAsJsonObject();
        return new Identity(text(json.get(Fields.USER_ID)), text(json.get(Fields.TIMESTAMP)));
    }

    /**
     * Parses and checks a JSON try-on request.
     *
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
     * Checks a parsed JSON try-on request.
     *
     * @param body the parsed JSON
     * @param sources resolves URL fields (no files)
     * @param defaults sampling parameters for fields not given
     * @param timeout the request's deadline
     * @throws RequestFieldException naming the field at fault
     * @return the checked request
     */
    private static JsonRequest parse(JsonElement body, ImageSources sources, TryOnParameters defaults, Duration timeout) {
        if (!body.isJsonObject()) {
            throw new RequestFieldException(null, "the body must be a JSON object");
        }
        JsonObject json = body.getAsJsonObject();
        ClothType clothType;
        try {
            clothType = ClothType.parse(string(json, Fields.CLOTH_TYPE, true));
        } catch (IllegalArgumentException e) {
            throw new RequestFieldException(Fields.CLOTH_TYPE, e.getMessage());
        }
        Map<Input, String> fields = new EnumMap<>(Input.class);
        TryOnRequest.Builder b = TryOnRequest.builder()
                .clothType(clothType)
                .userId(string(json, Fields.USER_ID, true))
                .timestamp(string(json, Fields.TIMESTAMP, true))
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
            throw new RequestFieldException(Fields.parameter(e.parameter()), e.getMessage());
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
        String text = text(value);
        if (text == null) {
            throw new RequestFieldException(field, "the field " + field + " must not be empty");
        }
        return text;
    }

    /**
     * {@return what a string field holds: a JSON string or number as text, or {@code null} when it is
     * anything else or blank}
     */
    private static String text(JsonElement value) {
        if (value == null || !value.isJsonPrimitive() || value.getAsJsonPrimitive().isBoolean()) {
            return null;
        }
        String text = value.getAsString();
        return text.isBlank() ? null : text;
    }

    /** {@return a number given as a JSON number, or {@code null} when absent} */
    private static Number number(JsonObject json, Parameter parameter) {
        String field = Fields.parameter(parameter);
        JsonElement value = json.get(field);
        if (value == null || value.isJsonNull()) {
            return null;
        }
        if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isNumber()) {
            throw new RequestFieldException(field, "the field " + field + " must be a JSON number, such as 2.5, not "
                    + kind(value) + (value.isJsonPrimitive() && value.getAsJsonPrimitive().isString()
                    ? "; write it without quotes" : ""));
        }
        double number = value.getAsDouble();
        if (!Double.isFinite(number)) {
            // StrictJson reads numbers as doubles: only one beyond a double's range gets here
            throw new RequestFieldException(field, "the field " + field + " is a number too large to use");
        }
        return number;
    }

    /** {@return what a JSON value is, for messages} */
    private static String kind(JsonElement value) {
        if (value.isJsonObject()) {
            return "an object";
        }
        if (value.isJsonArray()) {
            return "an array";
        }
        JsonPrimitive primitive = value.getAsJsonPrimitive();
        return primitive.isBoolean() ? "a boolean" : primitive.isString() ? "a string" : "a number";
    }

    private static long integer(Number number, Parameter parameter) {
        double d = number.doubleValue();
        if (d != Math.rint(d) || Math.abs(d) > 1e15) {
            throw new RequestFieldException(Fields.parameter(parameter), "the field " + Fields.parameter(parameter)
                    + " must be a whole number, got " + d);
        }
        return (long) d;
    }

    /** The input's image from its URL field ({@code person_image_url}) or its base64 field ({@code person_image}). */
    private static ImageSource image(JsonObject json, Input input, ImageSources sources, Map<Input, String> fields) {
        String base64Field = Fields.image(input);
        String urlField = Fields.url(input);
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

    /**
     * Strict base64 (RFC 4648, standard alphabet, padded); line breaks, as MIME wraps it, are the only
     * characters skipped, so a typo cannot silently shorten the image.
     */
    private static byte[] decodeBase64(String text, String field) {
        String data = text.startsWith("data:") && text.contains(",") ? text.substring(text.indexOf(',') + 1) : text;
        int end = data.length();
        int padding = 0;
        for (; end > 0 && (data.charAt(end - 1) == '=' || isLineBreak(data.charAt(end - 1))); end--) {
            padding += data.charAt(end - 1) == '=' ? 1 : 0;
        }
        int symbols = 0;
        for (int i = 0; i < end; i++) {
            char c = data.charAt(i);
            if (isLineBreak(c)) {
                continue;
            }
            if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/')) {
                throw badBase64(field, (c == '=' ? "'=' (padding) before the end" : "the character " + describe(c))
                        + " at position " + i + " is not base64" + (c == '-' || c == '_'
                        ? "; send standard base64 (+ and /), not its URL-safe variant" : "; only A-Z, a-z, 0-9, + and / are"));
            }
            symbols++;
        }
        if (symbols == 0) {
            throw new RequestFieldException(field, "the field " + field + " holds no image data; send the image's bytes "
                    + "in base64");
        }
        if (padding > 2 || (symbols + padding) % 4 != 0) {
            throw badBase64(field, "it has " + symbols + " characters and " + padding + " '=', which must add up to a "
                    + "multiple of 4 with at most two '='; pad it with '=' as base64 encoders do");
        }
        StringBuilder compact = new StringBuilder(symbols + padding);
        for (int i = 0; i < data.length(); i++) {
            if (!isLineBreak(data.charAt(i))) {
                compact.append(data.charAt(i));
            }
        }
        try {
            return Base64.getDecoder().decode(compact.toString());
        } catch (IllegalArgumentException e) {
            throw badBase64(field, "its last group of 4 characters does not decode");
        }
    }

    private static boolean isLineBreak(char c) {
        return c == '\r' || c == '\n';
    }

    private static RequestFieldException badBase64(String field, String why) {
        return new RequestFieldException(field, "the field " + field + " is not valid base64: " + why);
    }

    /** {@return a character as a message can show it: quoted when printable ASCII, else its code point} */
    private static String describe(char c) {
        return c >= 0x20 && c < 0x7f ? "'" + c + "'" : String.format(Locale.ROOT, "U+%04X", (int) c);
    }
}

package io.omoib.vton.protocol;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import io.omoib.vton.service.RequestFieldException;
import java.io.EOFException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;

/**
 * Parses a request body as strict JSON: UTF-8 only, no comments or single quotes, nothing after the
 * document, no duplicate keys (parsers disagree on which one wins, which smuggles values past
 * checks), and at most {@value #MAX_DEPTH} levels of nesting (no stack exhaustion). Its messages are
 * its own and say where the document went wrong (a path such as {@code $.guidance_scale}); the
 * parser's, which point at its settings and its web pages, are never passed on.
 */
final class StrictJson {
    /** The deepest nesting of arrays and objects a body may have. */
    static final int MAX_DEPTH = 32;

    private StrictJson() {
    }

    /**
     * Parses a request body as strict JSON: UTF-8, no comments, no duplicate keys, at most {@link #MAX_DEPTH}
     * levels deep.
     *
     * @param body the request body
     * @return the document
     * @throws RequestFieldException saying what is wrong, with no field
     */
    static JsonElement parse(byte[] body) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw new RequestFieldException(null, "invalid JSON: the body is not UTF-8");
        }
        if (text.isBlank()) {
            throw new RequestFieldException(null, "invalid JSON: the body is empty; send the request as a JSON object");
        }
        JsonReader reader = new JsonReader(new StringReader(text));
        reader.setStrictness(Strictness.STRICT);
        JsonElement document;
        try {
            document = read(reader, 0);
        } catch (EOFException e) {
            throw new RequestFieldException(null, "invalid JSON: the body ends inside the document, at " + where(reader)
                    + "; send the whole JSON object");
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            throw new RequestFieldException(null, "invalid JSON at " + where(reader) + ": only strict JSON is accepted "
                    + "(no NaN or Infinity, comments, single quotes, or unquoted names and values)");
        }
        try {
            if (reader.peek() == JsonToken.END_DOCUMENT) {
                return document;
            }
        } catch (IOException | IllegalStateException e) {
            // reported below: anything but white space after the document
        }
        throw new RequestFieldException(null, "invalid JSON: data after the end of the document; send one JSON object");
    }

    /** {@return where the reader stopped, as a path such as {@code $.guidance_scale}, shortened for messages} */
    private static String where(JsonReader reader) {
        return shorten(reader.getPath());
    }

    private static JsonElement read(JsonReader reader, int depth) throws IOException {
        JsonToken token = reader.peek();
        if ((token == JsonToken.BEGIN_OBJECT || token == JsonToken.BEGIN_ARRAY) && depth >= MAX_DEPTH) {
            throw new RequestFieldException(null, "invalid JSON: nested deeper than " + MAX_DEPTH + " levels");
        }
        switch (token) {
            case BEGIN_OBJECT -> {
                JsonObject object = new JsonObject();
                reader.beginObject();
                while (reader.hasNext()) {
                    String name = reader.nextName();
                    if (object.has(name)) {
                        throw new RequestFieldException(name, "invalid JSON: the key '" + shorten(name) + "' appears twice");
                    }
                    object.add(name, read(reader, depth + 1));
                }
                reader.endObject();
                return object;
            }
            case BEGIN_ARRAY -> {
                JsonArray array = new JsonArray();
                reader.beginArray();
                while (reader.hasNext()) {
                    array.add(read(reader, depth + 1));
                }
                reader.endArray();
                return array;
            }
            case STRING -> {
                return new JsonPrimitive(reader.nextString());
            }
            case NUMBER -> {
                // as a double: linear in the digits whatever their count (BigDecimal would be quadratic)
                return new JsonPrimitive(Double.parseDouble(reader.nextString()));
            }
            case BOOLEAN -> {
                return new JsonPrimitive(reader.nextBoolean());
            }
            case NULL -> {
                reader.nextNull();
                return JsonNull.INSTANCE;
            }
            default -> throw new RequestFieldException(null, "invalid JSON: unexpected " + token);
        }
    }

    private static String shorten(String name) {
        return name.length() <= 64 ? name : name.substring(0, 61) + "...";
    }
}

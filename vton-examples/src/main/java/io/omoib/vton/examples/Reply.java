package io.omoib.vton.examples;

import com.google.gson.JsonObject;
import io.omoib.vton.protocol.Responses;
import java.nio.charset.StandardCharsets;

/**
 * One answer of the inference server: status, content type, body and, for 503, the {@code Retry-After}
 * seconds.
 *
 * @param status the HTTP status
 * @param contentType the body's media type
 * @param body the body's bytes
 * @param retryAfter the {@code Retry-After} header's value, or {@code null} for none
 */
record Reply(int status, String contentType, byte[] body, String retryAfter) {
    /** Answers with a JSON object. */
    static Reply json(int status, JsonObject body) {
        return json(status, body.toString());
    }

    /** Answers with JSON text. */
    static Reply json(int status, String body) {
        return new Reply(status, "application/json", body.getBytes(StandardCharsets.UTF_8), null);
    }

    /** Answers a refused request with {@code {"error", "field"}}. */
    static Reply error(int status, String field, String message) {
        return json(status, Responses.error(message, field));
    }

    /** A generic 5xx body: what failed in words, and the id under which the log has the details. */
    static Reply serverError(int status, String message, String requestId) {
        return json(status, Responses.serverError(message, requestId));
    }

    /** The same answer, telling the client to retry after {@code seconds}. */
    Reply retryAfter(String seconds) {
        return new Reply(status, contentType, body, seconds);
    }
}

package io.omoib.vton.protocol;

import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.omoib.vton.service.TryOnResult;
import java.net.URI;
import java.util.Base64;

/**
 * The JSON bodies the inference server answers with, as the seed wrote them: a result inline or stored,
 * a refused request, or a server error.
 */
public final class Responses {
    private Responses() {
    }

    /**
     * Writes a result carried inline.
     *
     * @param jpeg the result image, JPEG-encoded
     * @param timings where the request's time went
     * @return {@code {"message", "content_type": "image/jpeg", "image": base64, "timings_ms"}}
     */
    public static String image(byte[] jpeg, TryOnResult.Timings timings) {
        JsonObject json = new JsonObject();
        json.addProperty(Fields.MESSAGE, Fields.SUCCESS);
        json.addProperty(Fields.CONTENT_TYPE, "image/jpeg");
        json.addProperty(Fields.IMAGE, Base64.getEncoder().encodeToString(jpeg));
        json.add(Fields.TIMINGS_MS, timings(timings));
        return json.toString();
    }

    /**
     * Writes a result stored by a result sink.
     *
     * @param location where it is stored ({@code s3://bucket/key} or a {@code file:} URI)
     * @param timings where the request's time went
     * @return {@code {"message", "s3_uri", "key", "timings_ms"}}
     */
    public static String stored(URI location, TryOnResult.Timings timings) {
        JsonObject json = new JsonObject();
        json.addProperty(Fields.MESSAGE, Fields.SUCCESS);
        json.addProperty(Fields.S3_URI, location.toString());
        json.addProperty(Fields.KEY, location.getPath().replaceFirst("^/", ""));
        json.add(Fields.TIMINGS_MS, timings(timings));
        return json.toString();
    }

    /**
     * Writes a refusal: the request is wrong, or cannot be served now.
     *
     * @param message what is wrong and what to do
     * @param field the request field at fault, or {@code null}
     * @return {@code {"error", "field"}}, with a JSON {@code null} field when none is at fault
     */
    public static String error(String message, String field) {
        JsonObject body = new JsonObject();
        body.addProperty(Fields.ERROR, message);
        body.add(Fields.FIELD, field == null ? JsonNull.INSTANCE : new JsonPrimitive(field));
        return body.toString();
    }

    /**
     * Writes a server error: what failed in words, and the id under which the log has the details.
     *
     * @param message what failed, without internals
     * @param requestId the request's id
     * @return {@code {"error", "field": null, "request_id"}}
     */
    public static String serverError(String message, String requestId) {
        JsonObject body = new JsonObject();
        body.addProperty(Fields.ERROR, message);
        body.add(Fields.FIELD, JsonNull.INSTANCE);
        body.addProperty(Fields.REQUEST_ID, requestId);
        return body.toString();
    }

    /** {@return milliseconds per phase, rounded} */
    private static JsonObject timings(TryOnResult.Timings t) {
        JsonObject json = new JsonObject();
        json.addProperty("prepare", Math.round(t.prepare() / 1e6));
        json.addProperty("queued", Math.round(t.queued() / 1e6));
        json.addProperty("run", Math.round(t.run() / 1e6));
        json.addProperty("store", Math.round(t.store() / 1e6));
        json.addProperty("total", Math.round(t.total() / 1e6));
        return json;
    }
}

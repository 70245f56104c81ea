package io.omoib.vton.protocol;

import com.google.gson.JsonObject;
import io.omoib.vton.service.ResultName;
import java.net.URI;

/** The JSON bodies of the notices a queue worker sends when a job is done or refused. */
public final class Notices {
    private Notices() {
    }

    /**
     * Writes the notice of a stored result.
     *
     * @param name what names the result
     * @param location where it is stored
     * @return {@code {"userId", "initial_timestamp", "result_uri"}}, plus {@code "result_key"} for an
     *     {@code s3://} location
     */
    public static String completed(ResultName name, URI location) {
        JsonObject body = new JsonObject();
        body.addProperty(Fields.USER_ID, name.userId());
        body.addProperty(Fields.INITIAL_TIMESTAMP, name.timestamp());
        body.addProperty(Fields.RESULT_URI, location.toString());
        if ("s3".equals(location.getScheme())) {
            body.addProperty(Fields.RESULT_KEY, location.getPath().substring(1));
        }
        return body.toString();
    }

    /**
     * Writes the notice of a refused request, which will not be retried.
     *
     * @param userId the request's user id, or {@code null} when its body has none ({@link JsonRequest#identity})
     * @param timestamp the request's timestamp, or {@code null} likewise
     * @param requestId the id of the request (a queue worker: the SQS message id)
     * @param field the request field at fault, or {@code null}
     * @param error what is wrong and what to do
     * @return {@code {"userId", "initial_timestamp", "status": "failed", "error", "field", "request_id"}},
     *     without the members that are {@code null}; the first two in the order {@link #completed} has them
     */
    public static String failed(String userId, String timestamp, String requestId, String field, String error) {
        JsonObject body = new JsonObject();
        String[][] members = {{Fields.USER_ID, userId}, {Fields.INITIAL_TIMESTAMP, timestamp},
                {Fields.STATUS, Fields.FAILED}, {Fields.ERROR, error}, {Fields.FIELD, field},
                {Fields.REQUEST_ID, requestId}};
        for (String[] member : members) {
            if (member[1] != null) {
                body.addProperty(member[0], member[1]);
            }
        }
        return body.toString();
    }
}

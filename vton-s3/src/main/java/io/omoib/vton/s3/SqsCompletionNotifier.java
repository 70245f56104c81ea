package io.omoib.vton.s3;

import com.google.gson.JsonObject;
import io.omoib.vton.service.CompletionNotifier;
import io.omoib.vton.service.ResultName;
import java.io.IOException;
import java.net.URI;
import java.util.Objects;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.SendMessageRequest;

/**
 * Sends the seed server's completion message to an SQS queue:
 * {@code {"userId": ..., "initial_timestamp": ..., "result_uri": "s3://bucket/key", "result_key": "key"}}
 * ({@code result_key} only for {@code s3://} locations). Values are the caller's, unsanitised, as the
 * seed sent them.
 */
public final class SqsCompletionNotifier implements CompletionNotifier {
    private final SqsClient client;
    private final String queueUrl;

    /**
     * @param client the SQS client; not closed by the notifier
     * @param queueUrl the queue's URL, such as {@code https://sqs.us-east-1.amazonaws.com/123456789012/vton}
     */
    public SqsCompletionNotifier(SqsClient client, String queueUrl) {
        this.client = Objects.requireNonNull(client, "client");
        if (queueUrl == null || queueUrl.isBlank()) {
            throw new IllegalArgumentException("an SQS notifier needs a queue URL (VTON_SQS_QUEUE_URL)");
        }
        this.queueUrl = queueUrl;
    }

    /**
     * @param name what names the result
     * @param location where it is stored
     * @return the message body sent for them
     */
    public static String message(ResultName name, URI location) {
        JsonObject body = new JsonObject();
        body.addProperty("userId", name.userId());
        body.addProperty("initial_timestamp", name.timestamp());
        body.addProperty("result_uri", location.toString());
        if ("s3".equals(location.getScheme())) {
            body.addProperty("result_key", location.getPath().substring(1));
        }
        return body.toString();
    }

    @Override
    public void notify(ResultName name, URI location) throws IOException {
        try {
            client.sendMessage(SendMessageRequest.builder().queueUrl(queueUrl).messageBody(message(name, location)).build());
        } catch (SdkException e) {
            throw new IOException("cannot send the completion notice to " + queueUrl + ": " + e.getMessage()
                    + "; check VTON_SQS_QUEUE_URL and the credentials", e);
        }
    }

    @Override
    public String toString() {
        return "SqsCompletionNotifier[" + queueUrl + "]";
    }
}

package io.omoib.vton.s3;

import io.omoib.vton.protocol.Notices;
import io.omoib.vton.service.CompletionNotifier;
import io.omoib.vton.service.ResultName;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.SendMessageRequest;

/**
 * Sends the seed server's completion message to an SQS queue:
 * {@code {"userId": ..., "initial_timestamp": ..., "result_uri": "s3://bucket/key", "result_key": "key"}}
 * ({@code result_key} only for {@code s3://} locations). Values are the caller's, unsanitised, as the
 * seed sent them. {@link SqsWorker} also sends failure notices through it
 * ({@link Notices#failed}).
 *
 * <p>Duplicates: a job done twice (a worker stopped between storing and deleting its message) sends
 * its notice twice to a standard queue; consumers dedupe by {@code result_key}, which names the job.
 * To a FIFO queue (its URL ends in {@code .fifo}) each notice goes with a deduplication id derived from
 * the result's location (a failure's: from the request id), so SQS drops a repeat sent within its
 * 5-minute deduplication interval; the message group is the user id.
 */
public final class SqsCompletionNotifier implements CompletionNotifier {
    private final SqsClient client;
    private final String queueUrl;
    private final boolean fifo;

    /**
     * Creates a notifier that sends to one queue, a FIFO queue when its URL ends in {@code .fifo}.
     *
     * @param client the SQS client; not closed by the notifier
     * @param queueUrl the queue's URL, such as {@code https://sqs.us-east-1.amazonaws.com/123456789012/vton}
     */
    public SqsCompletionNotifier(SqsClient client, String queueUrl) {
        this.client = Objects.requireNonNull(client, "client");
        if (queueUrl == null || queueUrl.isBlank()) {
            throw new IllegalArgumentException("an SQS notifier needs a queue URL (VTON_SQS_QUEUE_URL)");
        }
        this.queueUrl = queueUrl;
        this.fifo = queueUrl.endsWith(".fifo");
    }

    @Override
    public void notify(ResultName name, URI location) throws IOException {
        send(Notices.completed(name, location), name.userId(), "done:" + location);
    }

    /**
     * Sends a failure notice: the request will not be retried.
     *
     * @param userId the request's user id, or {@code null} when its body has none
     * @param timestamp the request's timestamp, or {@code null} likewise
     * @param requestId the request's id
     * @param field the request field at fault, or {@code null}
     * @param error what is wrong and what to do
     * @throws IOException if the notice could not be sent
     */
    public void notifyFailure(String userId, String timestamp, String requestId, String field, String error)
            throws IOException {
        send(Notices.failed(userId, timestamp, requestId, field, error), userId, "failed:" + requestId);
    }

    private void send(String body, String group, String identity) throws IOException {
        SendMessageRequest.Builder request = SendMessageRequest.builder().queueUrl(queueUrl).messageBody(body);
        if (fifo) {
            request.messageGroupId(group == null || group.isEmpty() ? "vton" : truncate(group))
                    .messageDeduplicationId(sha256(identity));
        }
        try {
            client.sendMessage(request.build());
        } catch (SdkException e) {
            throw new IOException("cannot send the completion notice to " + queueUrl + ": " + e.getMessage()
                    + "; check VTON_SQS_QUEUE_URL and the credentials", e);
        }
    }

    /** A message group id is 1 to 128 printable ASCII characters: other user ids go as their hash. */
    private static String truncate(String group) {
        return group.matches("[\\x21-\\x7e]{1,128}") ? group : sha256(group);
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return "SqsCompletionNotifier[" + queueUrl + "]";
    }
}

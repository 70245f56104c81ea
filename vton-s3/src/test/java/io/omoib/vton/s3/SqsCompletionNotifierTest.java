package io.omoib.vton.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.omoib.vton.preprocess.ClothType;
import io.omoib.vton.protocol.Notices;
import io.omoib.vton.service.ResultName;
import java.io.IOException;
import java.net.URI;
import java.util.List;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

/** The completion notice against ElasticMQ, a real SQS-protocol server, in-process on 127.0.0.1. */
class SqsCompletionNotifierTest {
    private static SQSRestServer elasticMq;
    private static AwsSettings settings;
    private static SqsClient sqs;
    private static String queueUrl;

    @BeforeAll
    static void start() throws Exception {
        elasticMq = SQSRestServerBuilder.withInterface("127.0.0.1").withDynamicPort().start();
        int port = elasticMq.waitUntilStarted().localAddress().getPort();
        queueUrl = "http://127.0.0.1:" + port + "/000000000000/vton-done";
        // the endpoint comes from the queue URL, as it would from VTON_SQS_QUEUE_URL
        settings = AwsSettings.builder().queueUrl(queueUrl).region(Region.US_EAST_1)
                .credentials(StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "y"))).build();
        sqs = settings.sqs();
        sqs.createQueue(b -> b.queueName("vton-done"));
    }

    @AfterAll
    static void stop() {
        settings.close();
        elasticMq.stopAndWait();
    }

    private static List<Message> receive() {
        return sqs.receiveMessage(b -> b.queueUrl(queueUrl).maxNumberOfMessages(10).waitTimeSeconds(2)).messages();
    }

    @Test
    void sendsTheSeedMessageWithTheResultKey() throws IOException {
        ResultName name = new ResultName("user-9", ClothType.UPPER, "1700000000");

        settings.notifier().orElseThrow().notify(name,
                URI.create("s3://results/users/user-9/vton_result/1700000000/result.jpg"));

        List<Message> messages = receive();
        assertThat(messages).hasSize(1);
        JsonObject body = JsonParser.parseString(messages.get(0).body()).getAsJsonObject();
        assertThat(body.get("userId").getAsString()).isEqualTo("user-9");
        assertThat(body.get("initial_timestamp").getAsString()).isEqualTo("1700000000");
        assertThat(body.get("result_key").getAsString()).isEqualTo("users/user-9/vton_result/1700000000/result.jpg");
        assertThat(body.get("result_uri").getAsString()).startsWith("s3://results/");
    }

    @Test
    void aFifoQueueKeepsOneNoticePerResultWhenAJobIsDoneTwice() throws IOException {
        String fifo = sqs.createQueue(b -> b.queueName("vton-done.fifo").attributes(
                java.util.Map.of(software.amazon.awssdk.services.sqs.model.QueueAttributeName.FIFO_QUEUE, "true"))).queueUrl();
        SqsCompletionNotifier notifier = new SqsCompletionNotifier(sqs, fifo);
        ResultName twice = new ResultName("user 9 ü", ClothType.UPPER, "1");
        URI location = URI.create("s3://results/users/user-9/vton_result/1/result.jpg");

        notifier.notify(twice, location);
        notifier.notify(twice, location);
        notifier.notify(new ResultName("user-10", ClothType.UPPER, "1"),
                URI.create("s3://results/users/user-10/vton_result/1/result.jpg"));

        List<String> keys = new java.util.ArrayList<>();
        for (int polls = 0; polls < 5; polls++) {
            for (Message m : sqs.receiveMessage(b -> b.queueUrl(fifo).maxNumberOfMessages(10).waitTimeSeconds(1)).messages()) {
                keys.add(JsonParser.parseString(m.body()).getAsJsonObject().get("result_key").getAsString());
                sqs.deleteMessage(b -> b.queueUrl(fifo).receiptHandle(m.receiptHandle()));
            }
        }
        assertThat(keys).containsExactlyInAnyOrder("users/user-9/vton_result/1/result.jpg",
                "users/user-10/vton_result/1/result.jpg");
    }

    @Test
    void aFailureNoticeNamesTheFieldAndLeavesOutWhatIsUnknown() {
        JsonObject known = JsonParser.parseString(Notices.failed("u1", "17", "m-1", "cloth_type",
                "cloth type must be one of upper, lower, overall")).getAsJsonObject();
        JsonObject unknown = JsonParser.parseString(Notices.failed(null, null, "m-2", null,
                "invalid JSON")).getAsJsonObject();

        assertThat(known.keySet()).containsExactlyInAnyOrder("userId", "initial_timestamp", "status", "error", "field",
                "request_id");
        assertThat(known.get("status").getAsString()).isEqualTo("failed");
        assertThat(unknown.keySet()).containsExactlyInAnyOrder("status", "error", "request_id");
    }

    @Test
    void aMissingQueueFailsWithAClearMessage() {
        SqsCompletionNotifier wrong = new SqsCompletionNotifier(sqs, queueUrl.replace("vton-done", "no-such-queue"));

        assertThatThrownBy(() -> wrong.notify(new ResultName("u", ClothType.LOWER, "t"), URI.create("s3://b/k")))
                .isInstanceOf(IOException.class).hasMessageContaining("no-such-queue")
                .hasMessageContaining("VTON_SQS_QUEUE_URL");
    }
}

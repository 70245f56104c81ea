package io.omoib.vton.s3;

import io.omoib.vton.protocol.Fields;
import io.omoib.vton.preprocess.Input;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.omoib.vton.pipeline.CatVTONPipeline;
import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.service.ProgressListener;
import io.omoib.vton.service.TryOnService;
import io.omoib.vton.source.ImageSources;
import io.omoib.vton.source.UrlFetcher;
import io.omoib.vton.source.UrlPolicy;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * {@link SqsWorker} against ElasticMQ and S3Proxy in-process on 127.0.0.1, with the toy model: the
 * message's life (result, failure notice, redelivery, dead-letter queue), the heartbeat and stopping.
 */
class SqsWorkerTest {
    private static final AtomicInteger QUEUES = new AtomicInteger();
    private static SQSRestServer elasticMq;
    private static String endpoint;
    private static S3TestServer s3Server;
    private static AwsSettings aws;
    private static SqsClient sqs;
    private static S3Client s3;
    private static CatVTONPipeline toy;
    private static byte[] person;

    @BeforeAll
    static void start() throws Exception {
        elasticMq = SQSRestServerBuilder.withInterface("127.0.0.1").withDynamicPort().start();
        endpoint = "http://127.0.0.1:" + elasticMq.waitUntilStarted().localAddress().getPort() + "/000000000000/";
        s3Server = new S3TestServer();
        aws = s3Server.settings().bucket("results").inputs("inputs").queueUrl(endpoint + "notices").build();
        sqs = aws.sqs();
        s3 = aws.s3();
        s3.createBucket(b -> b.bucket("results"));
        s3.createBucket(b -> b.bucket("inputs"));
        ImageCodec codec = ImageCodec.defaults();
        person = codec.encodePng(ServiceOnAwsTest.gradient(300, 400, 1));
        s3.putObject(b -> b.bucket("inputs").key("person.png"), RequestBody.fromBytes(person));
        s3.putObject(b -> b.bucket("inputs").key("mask.png"), RequestBody.fromBytes(codec.encodePng(ServiceOnAwsTest.mask(300, 400))));
        s3.putObject(b -> b.bucket("inputs").key("upper.jpg"), RequestBody.fromBytes(codec.encodeJpeg(ServiceOnAwsTest.gradient(200, 200, 9))));
        toy = CatVTONPipeline.builder().modelDirectory(ServiceOnAwsTest.toyModel()).build();
    }

    @AfterAll
    static void stop() {
        toy.close();
        aws.close();
        s3Server.close();
        elasticMq.stopAndWait();
    }

    /** A fresh request queue, a notice queue, and optionally a dead-letter queue after {@code maxReceives}. */
    private record Queues(String requests, String notices, String deadLetters) {
        static Queues create(int maxReceives) {
            int n = QUEUES.incrementAndGet();
            String notices = sqs.createQueue(b -> b.queueName("notices-" + n)).queueUrl();
            String dead = null;
            Map<QueueAttributeName, String> attributes = Map.of();
            if (maxReceives > 0) {
                dead = sqs.createQueue(b -> b.queueName("dead-" + n)).queueUrl();
                String dlqUrl = dead;
                String arn = sqs.getQueueAttributes(b -> b.queueUrl(dlqUrl).attributeNames(QueueAttributeName.QUEUE_ARN))
                        .attributes().get(QueueAttributeName.QUEUE_ARN);
                attributes = Map.of(QueueAttributeName.REDRIVE_POLICY,
                        "{\"maxReceiveCount\":\"" + maxReceives + "\",\"deadLetterTargetArn\":\"" + arn + "\"}");
            }
            Map<QueueAttributeName, String> queueAttributes = attributes;
            String requests = sqs.createQueue(b -> b.queueName("requests-" + n).attributes(queueAttributes)).queueUrl();
            return new Queues(requests, notices, dead);
        }
    }

    private static JsonObject job(String user, String timestamp) {
        JsonObject json = new JsonObject();
        json.addProperty(Fields.url(Input.PERSON), "s3://inputs/person.png");
        json.addProperty(Fields.url(Input.MASK), "s3://inputs/mask.png");
        json.addProperty(Fields.url(Input.UPPER), "s3://inputs/upper.jpg");
        json.addProperty(Fields.CLOTH_TYPE, "upper");
        json.addProperty(Fields.USER_ID, user);
        json.addProperty(Fields.TIMESTAMP, timestamp);
        json.addProperty(Fields.STEPS, 2);
        return json;
    }

    private static TryOnService service(Queues queues) {
        return TryOnService.builder().pipeline(toy).sink(aws.resultSink().orElseThrow())
                .notifier(new SqsCompletionNotifier(sqs, queues.notices())).build();
    }

    /** The worker's meters; a fresh registry for each test. */
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    /** @return messages counted with {@code outcome} by the worker */
    private long messages(String outcome) {
        return (long) meters.get("vton.worker.messages").tag("outcome", outcome).counter().count();
    }

    private SqsWorker.Builder worker(Queues queues, TryOnService service, ImageSources sources) {
        return SqsWorker.builder().queue(sqs, queues.requests()).service(service).sources(sources).meterRegistry(meters)
                .failureNotices(new SqsCompletionNotifier(sqs, queues.notices()))
                .waitTime(Duration.ofSeconds(1)).visibilityTimeout(Duration.ofSeconds(30));
    }

    private static ImageSources s3Sources() {
        return aws.addS3Sources(ImageSources.builder(), 1 << 20).build();
    }

    private static List<JsonObject> notices(Queues queues, int expected) {
        List<JsonObject> bodies = new ArrayList<>();
        for (int polls = 0; bodies.size() < expected && polls < 60; polls++) {
            for (Message m : sqs.receiveMessage(b -> b.queueUrl(queues.notices()).maxNumberOfMessages(10)
                    .waitTimeSeconds(5)).messages()) {
                bodies.add(JsonParser.parseString(m.body()).getAsJsonObject());
                sqs.deleteMessage(b -> b.queueUrl(queues.notices()).receiptHandle(m.receiptHandle()));
            }
        }
        return bodies;
    }

    /** @return visible plus invisible messages in the queue */
    private static int messagesIn(String queue) {
        Map<QueueAttributeName, String> a = sqs.getQueueAttributes(b -> b.queueUrl(queue).attributeNames(
                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES, QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE))
                .attributes();
        return Integer.parseInt(a.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES))
                + Integer.parseInt(a.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE));
    }

    @Test
    void aJobStoresItsResultSendsItsNoticeAndLeavesTheQueue() throws Exception {
        Queues queues = Queues.create(0);
        // visible one second after it was sent: the worker's queue wait counts from the sending
        sqs.sendMessage(b -> b.queueUrl(queues.requests()).messageBody(job("u1", "100").toString()).delaySeconds(1));
        try (TryOnService service = service(queues); SqsWorker worker = worker(queues, service, s3Sources()).start()) {
            List<JsonObject> notices = notices(queues, 1);

            assertThat(notices).hasSize(1);
            String key = "users/u1/vton_result/100/result.jpg";
            assertThat(notices.get(0).get("result_key").getAsString()).isEqualTo(key);
            byte[] stored = s3.getObjectAsBytes(b -> b.bucket("results").key(key)).asByteArray();
            assertThat(ImageCodec.defaults().decode(stored, key).width()).isEqualTo(768);
            worker.close(Duration.ofSeconds(30));
            assertThat(messages("completed")).isEqualTo(1);
            assertThat(messages("received")).isEqualTo(1);
            for (String timer : List.of("vton.worker.queue.wait", "vton.worker.queue.wait.histogram")) {
                assertThat(meters.get(timer).timer().count()).isEqualTo(1);
                assertThat(meters.get(timer).timer().totalTime(TimeUnit.MILLISECONDS)).as("sent, then delayed 1 s")
                        .isGreaterThanOrEqualTo(900);
            }
            for (String timer : List.of("vton.worker.done", "vton.worker.done.histogram")) {
                assertThat(meters.get(timer).timer().count()).isEqualTo(1);
                assertThat(meters.get(timer).timer().totalTime(TimeUnit.NANOSECONDS)).isPositive();
            }
            assertThat(meters.find("vton.worker.in.flight").gauge()).as("close removed the worker's gauges").isNull();
            assertThat(meters.find("vton.worker.throughput").gauge()).isNull();
            assertThat(messagesIn(queues.requests())).as("the message is deleted").isZero();
        }
    }

    @Test
    void badInputGetsAFailureNoticeNamingItsFieldAndIsNotRetried() throws Exception {
        Queues queues = Queues.create(0);
        JsonObject hat = job("u2", "200");
        hat.addProperty("cloth_type", "hat");
        JsonObject missing = job("u3", "300");
        missing.addProperty("person_image_url", "s3://inputs/nobody.png");
        for (String body : List.of(hat.toString(), missing.toString(), "not json")) {
            sqs.sendMessage(b -> b.queueUrl(queues.requests()).messageBody(body));
        }
        try (TryOnService service = service(queues); SqsWorker worker = worker(queues, service, s3Sources()).start()) {
            List<JsonObject> notices = notices(queues, 3);

            assertThat(notices).hasSize(3).allSatisfy(n -> {
                assertThat(n.get("status").getAsString()).isEqualTo("failed");
                assertThat(n.get("error").getAsString()).isNotBlank();
                assertThat(n.get("request_id").getAsString()).isNotBlank();
            });
            Map<String, JsonObject> byField = new HashMap<>();
            notices.forEach(n -> byField.put(n.has("field") ? n.get("field").getAsString() : "(body)", n));
            assertThat(byField).containsOnlyKeys("person_image_url", "cloth_type", "(body)");
            assertThat(byField.get("person_image_url").get("userId").getAsString()).isEqualTo("u3");
            assertThat(byField.get("person_image_url").get("initial_timestamp").getAsString()).isEqualTo("300");
            assertThat(byField.get("(body)").get("error").getAsString()).contains("JSON");
            worker.close(Duration.ofSeconds(30));
            assertThat(messages("rejected")).isEqualTo(3);
            assertThat(messages("retried")).isZero();
            assertThat(messagesIn(queues.requests())).isZero();
        }
    }

    @Test
    void aFailureNoticeNamesTheUserAndTimestampWheneverTheMessageHasThem() throws Exception {
        Queues queues = Queues.create(0);
        JsonObject hat = job("u7", "700");
        hat.addProperty("cloth_type", "hat");
        JsonObject fromResults = job("u8", "800");
        fromResults.addProperty("person_image_url", "s3://results/users/u1/vton_result/100/result.jpg");
        JsonObject oddUser = job("replaced", "900");
        oddUser.add("userId", JsonParser.parseString("{\"id\": 9}"));
        for (JsonObject body : List.of(hat, fromResults, oddUser)) {
            sqs.sendMessage(b -> b.queueUrl(queues.requests()).messageBody(body.toString()));
        }
        try (TryOnService service = service(queues); SqsWorker worker = worker(queues, service, s3Sources()).start()) {
            List<JsonObject> notices = notices(queues, 3);

            assertThat(notices).hasSize(3).allSatisfy(n -> assertThat(n.has("initial_timestamp")).as(n.toString()).isTrue());
            Map<String, JsonObject> byTimestamp = new HashMap<>();
            notices.forEach(n -> byTimestamp.put(n.get("initial_timestamp").getAsString(), n));
            assertThat(byTimestamp).containsOnlyKeys("700", "800", "900");
            assertThat(byTimestamp.get("700").get("userId").getAsString()).isEqualTo("u7");
            assertThat(byTimestamp.get("700").get("field").getAsString()).isEqualTo("cloth_type");
            assertThat(byTimestamp.get("800").get("userId").getAsString()).isEqualTo("u8");
            assertThat(byTimestamp.get("800").get("field").getAsString()).isEqualTo("person_image_url");
            assertThat(byTimestamp.get("900").has("userId")).as("a userId that is not a string is not quoted").isFalse();
            assertThat(byTimestamp.get("900").get("field").getAsString()).isEqualTo("userId");
            // the success notice's order: userId, initial_timestamp, then what is particular to a failure
            assertThat(new ArrayList<>(byTimestamp.get("700").keySet())).startsWith("userId", "initial_timestamp", "status");
            worker.close(Duration.ofSeconds(30));
            assertThat(messages("rejected")).isEqualTo(3);
        }
    }

    @Test
    void aTransientFailureIsRedeliveredUntilTheRedrivePolicyDeadLettersIt() throws Exception {
        Queues queues = Queues.create(2);
        // an input host that refuses connections: a socket bound but not listening
        try (java.net.ServerSocket closed = new java.net.ServerSocket()) {
            closed.bind(new InetSocketAddress("127.0.0.1", 0), 1);
            int port = closed.getLocalPort();
            closed.close();
            JsonObject body = job("u4", "400");
            body.addProperty("person_image_url", "http://127.0.0.1:" + port + "/person.png");
            sqs.sendMessage(b -> b.queueUrl(queues.requests()).messageBody(body.toString()));
        }
        try (TryOnService service = service(queues);
             SqsWorker worker = worker(queues, service, sourcesWithLoopback()).retryDelay(Duration.ZERO).start()) {
            List<Message> dead = List.of();
            for (int polls = 0; dead.isEmpty() && polls < 60; polls++) {
                dead = sqs.receiveMessage(b -> b.queueUrl(queues.deadLetters()).waitTimeSeconds(5)
                        .messageSystemAttributeNames(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT)).messages();
            }

            assertThat(dead).as("moved to the dead-letter queue").hasSize(1);
            assertThat(dead.get(0).body()).contains("u4");
            worker.close(Duration.ofSeconds(30));
            assertThat(messages("retried")).as("each receive failed and was left for redelivery").isEqualTo(2);
            assertThat(messages("rejected")).isZero();
            assertThat(sqs.receiveMessage(b -> b.queueUrl(queues.notices()).waitTimeSeconds(1)).messages())
                    .as("no failure notice for a transient failure").isEmpty();
        }
    }

    /** An HTTP input that answers only when told: a job that cannot finish until the test says so. */
    private static final class HeldInput implements AutoCloseable {
        final CountDownLatch asked = new CountDownLatch(1);
        final CountDownLatch answer = new CountDownLatch(1);
        final HttpServer server;

        HeldInput() throws Exception {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/", exchange -> {
                asked.countDown();
                try {
                    answer.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                exchange.getResponseHeaders().set("Content-Type", "image/png");
                exchange.sendResponseHeaders(200, person.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(person);
                }
            });
            server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/person.png";
        }

        @Override
        public void close() {
            answer.countDown();
            server.stop(0);
        }
    }

    private static ImageSources sourcesWithLoopback() {
        return aws.addS3Sources(ImageSources.builder().fetcher(UrlFetcher.builder()
                .policy(UrlPolicy.builder().allow("127.0.0.1/32").build()).build()), 1 << 20).build();
    }

    @Test
    void theHeartbeatKeepsALongJobFromASecondWorker() throws Exception {
        Queues queues = Queues.create(0);
        try (HeldInput input = new HeldInput(); TryOnService service = service(queues);
             SqsWorker worker = worker(queues, service, sourcesWithLoopback())
                     .visibilityTimeout(Duration.ofSeconds(5)).start()) {
            JsonObject body = job("u5", "500");
            body.addProperty("person_image_url", input.url());
            sqs.sendMessage(b -> b.queueUrl(queues.requests()).messageBody(body.toString()));
            assertThat(input.asked.await(60, TimeUnit.SECONDS)).isTrue();

            // a second consumer waits 2 visibility timeouts for the message
            List<Message> stolen = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                stolen.addAll(sqs.receiveMessage(b -> b.queueUrl(queues.requests()).waitTimeSeconds(5)).messages());
            }
            input.answer.countDown();
            List<JsonObject> notices = notices(queues, 1);

            assertThat(stolen).as("the heartbeat kept the message invisible").isEmpty();
            assertThat(notices).hasSize(1);
            assertThat(notices.get(0).get("result_key").getAsString()).isEqualTo("users/u5/vton_result/500/result.jpg");
            worker.close(Duration.ofSeconds(30));
            assertThat(messages("received")).isEqualTo(1);
        }
    }

    @Test
    void closeFinishesTheRunningJobAndReturnsTheUnstartedOne() throws Exception {
        Queues queues = Queues.create(0);
        CountDownLatch running = new CountDownLatch(1);
        ProgressListener progress = event -> {
            if (event.stage() == ProgressListener.Stage.RUNNING) {
                running.countDown();
            }
        };
        try (HeldInput input = new HeldInput(); TryOnService service = service(queues)) {
            SqsWorker worker = worker(queues, service, sourcesWithLoopback()).progress(progress).capacity(2).start();
            JsonObject held = job("held", "1");
            held.addProperty("person_image_url", input.url());
            sqs.sendMessage(b -> b.queueUrl(queues.requests()).messageBody(held.toString()));
            assertThat(input.asked.await(60, TimeUnit.SECONDS)).isTrue();
            JsonObject long_ = job("long", "2");
            long_.addProperty("num_inference_steps", 30);
            sqs.sendMessage(b -> b.queueUrl(queues.requests()).messageBody(long_.toString()));
            assertThat(running.await(60, TimeUnit.SECONDS)).isTrue();

            CompletableFuture<Void> closed = CompletableFuture.runAsync(() -> worker.close(Duration.ofMinutes(2)));
            closed.get(3, TimeUnit.MINUTES);

            assertThat(s3.headObject(b -> b.bucket("results").key("users/long/vton_result/2/result.jpg")).contentLength())
                    .as("the running job finished and was stored").isPositive();
            List<Message> back = sqs.receiveMessage(b -> b.queueUrl(queues.requests()).waitTimeSeconds(1)
                    .maxNumberOfMessages(10)).messages();
            assertThat(back).as("the unstarted job is back in the queue at once, and only it").hasSize(1);
            assertThat(back.get(0).body()).contains("\"held\"");
            assertThat(messages("completed")).isEqualTo(1);
            assertThat(messages("released")).isEqualTo(1);
        }
    }
}

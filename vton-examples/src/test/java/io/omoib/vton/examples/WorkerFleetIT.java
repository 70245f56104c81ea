package io.omoib.vton.examples;

import io.omoib.vton.protocol.Fields;
import io.omoib.vton.preprocess.Input;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.sun.net.httpserver.HttpServer;
import io.omoib.vton.s3.S3TestServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;

/**
 * {@code vton worker} as real processes (the packaged jar) on one ElasticMQ queue, results in S3Proxy,
 * both in this JVM on 127.0.0.1: a fleet where one worker is killed mid-job, and a worker stopped with
 * SIGTERM mid-job. Runs after {@code package} (failsafe).
 */
class WorkerFleetIT {
    private static final Path ROOT = Environment.bundledModel().getParent().getParent();
    private static SQSRestServer elasticMq;
    private static String queues;
    private static S3TestServer s3Server;
    private static SqsClient sqs;
    private static S3Client s3;
    private static int fleet;

    @BeforeAll
    static void start() throws Exception {
        elasticMq = SQSRestServerBuilder.withInterface("127.0.0.1").withDynamicPort().start();
        queues = "http://127.0.0.1:" + elasticMq.waitUntilStarted().localAddress().getPort() + "/000000000000/";
        s3Server = new S3TestServer();
        var aws = s3Server.settings().queueUrl(queues + "any").build();
        sqs = aws.sqs();
        s3 = aws.s3();
        s3.createBucket(b -> b.bucket("inputs"));
        for (String name : Samples.NAMES) {
            s3.putObject(b -> b.bucket("inputs").key(name), RequestBody.fromBytes(Samples.bytes(name)));
        }
    }

    @AfterAll
    static void stop() {
        s3Server.close();
        elasticMq.stopAndWait();
    }

    /** A line a worker printed, and which worker printed it. */
    private record Said(Worker worker, String line) {
    }

    /** One {@code vton worker} process and the lines of its standard output. */
    private static final class Worker implements AutoCloseable {
        final Process process;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        /** Where its {@code job ... running} lines also go, as they arrive; {@code null} for none. */
        volatile BlockingQueue<Said> announcements;

        Worker(String requests, String notices, String bucket, int n, Map<String, String> env, String... options)
                throws IOException {
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx384m", "-Dvton.home=" + ROOT, "-Dai.djl.offline=true", "-Dai.djl.pytorch.graph_optimizer=false",
                    "-Daws.ec2MetadataDisabled=true",
                    "-jar", ROOT.resolve("vton-examples/target/vton.jar").toString(), "worker",
                    "--queue-url", requests, "--visibility-timeout", "5", "--wait-time", "1", "--retry-delay", "0"));
            command.addAll(List.of(options));
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectError(ROOT.resolve("vton-examples/target/" + bucket + "-worker-" + n + ".err").toFile());
            builder.environment().putAll(s3Server.environment());
            builder.environment().put("VTON_S3_BUCKET", bucket);
            builder.environment().put("VTON_S3_INPUTS", "inputs");
            builder.environment().put("VTON_SQS_QUEUE_URL", notices);
            builder.environment().putAll(env);
            process = builder.start();
            Thread reader = new Thread(() -> {
                try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line = out.readLine(); line != null; line = out.readLine()) {
                        lines.add(line);
                        BlockingQueue<Said> fleet = announcements;
                        if (fleet != null && line.endsWith(" running")) {
                            fleet.add(new Said(this, line));
                        }
                    }
                } catch (IOException e) {
                    lines.add("(stdout closed: " + e.getMessage() + ")");
                }
            }, "worker-" + n + "-stdout");
            reader.setDaemon(true);
            reader.start();
        }

        /** @return the first line starting with the prefix, waiting up to the limit; {@code null} if none came */
        String await(String prefix, Duration limit) throws InterruptedException {
            long end = System.nanoTime() + limit.toNanos();
            for (long left = limit.toNanos(); left > 0; left = end - System.nanoTime()) {
                String line = lines.poll(left, TimeUnit.NANOSECONDS);
                if (line == null) {
                    return null;
                }
                if (line.startsWith(prefix)) {
                    return line;
                }
            }
            return null;
        }

        void terminate() throws Exception {
            assertThat(new ProcessBuilder("kill", "-TERM", Long.toString(process.pid())).start().waitFor()).isZero();
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }
    }

    private static JsonObject job(int i, int steps) {
        JsonObject json = new JsonObject();
        json.addProperty(Fields.url(Input.PERSON), "s3://inputs/person.jpg");
        json.addProperty(Fields.url(Input.MASK), "s3://inputs/mask.png");
        json.addProperty(Fields.url(Input.UPPER), "s3://inputs/upper.jpg");
        json.addProperty(Fields.CLOTH_TYPE, "upper");
        json.addProperty(Fields.USER_ID, "user-" + i);
        json.addProperty(Fields.TIMESTAMP, Integer.toString(1_700_000_000 + i));
        json.addProperty(Fields.STEPS, steps);
        return json;
    }

    private static String key(int i) {
        return "users/user-" + i + "/vton_result/" + (1_700_000_000 + i) + "/result.jpg";
    }

    /** Request queue (redriven to a dead-letter queue after 5 receives), notice queue and result bucket. */
    private record Setup(String requests, String notices, String dead, String bucket) {
        static Setup create() {
            int n = ++fleet;
            String dead = sqs.createQueue(b -> b.queueName("dead-" + n)).queueUrl();
            String arn = sqs.getQueueAttributes(b -> b.queueUrl(dead).attributeNames(QueueAttributeName.QUEUE_ARN))
                    .attributes().get(QueueAttributeName.QUEUE_ARN);
            String requests = sqs.createQueue(b -> b.queueName("requests-" + n).attributes(Map.of(
                    QueueAttributeName.REDRIVE_POLICY, "{\"maxReceiveCount\":\"5\",\"deadLetterTargetArn\":\"" + arn + "\"}")))
                    .queueUrl();
            String notices = sqs.createQueue(b -> b.queueName("notices-" + n)).queueUrl();
            String bucket = "results-" + n;
            s3.createBucket(b -> b.bucket(bucket));
            return new Setup(requests, notices, dead, bucket);
        }

        /** @return the result keys of the notices that arrived, waiting until {@code expected} distinct ones or the limit */
        Set<String> noticedKeys(int expected, Duration limit) {
            Set<String> keys = new HashSet<>();
            long end = System.nanoTime() + limit.toNanos();
            while (keys.size() < expected && System.nanoTime() < end) {
                for (Message m : sqs.receiveMessage(b -> b.queueUrl(notices).maxNumberOfMessages(10).waitTimeSeconds(2))
                        .messages()) {
                    keys.add(JsonParser.parseString(m.body()).getAsJsonObject().get("result_key").getAsString());
                    sqs.deleteMessage(b -> b.queueUrl(notices).receiptHandle(m.receiptHandle()));
                }
            }
            return keys;
        }

        List<String> storedKeys() {
            return s3.listObjectsV2Paginator(b -> b.bucket(bucket)).contents().stream().map(S3Object::key).toList();
        }
    }

    @Test
    void threeWorkersDoEveryJobOnceThoughOneIsKilledMidJob() throws Exception {
        Setup setup = Setup.create();
        List<Worker> workers = new ArrayList<>();
        try {
            for (int n = 1; n <= 3; n++) {
                workers.add(new Worker(setup.requests(), setup.notices(), setup.bucket(), n, Map.of()));
            }
            for (Worker w : workers) {
                assertThat(w.await("ready:", Duration.ofMinutes(3))).as("worker started").isNotNull();
            }
            // job 0 runs long; the worker that takes it is killed as soon as it reports the first step
            BlockingQueue<Said> running = new LinkedBlockingQueue<>();
            workers.forEach(w -> w.announcements = running);
            String slow = sqs.sendMessage(b -> b.queueUrl(setup.requests()).messageBody(job(0, 100).toString())).messageId();
            Said started = running.poll(3, TimeUnit.MINUTES);
            assertThat(started).as("a worker started job 0").isNotNull();
            assertThat(started.line()).isEqualTo("job " + slow + " running");
            Worker victim = started.worker();
            victim.process.destroyForcibly();
            assertThat(victim.process.waitFor(1, TimeUnit.MINUTES)).isTrue();
            assertThat(victim.process.exitValue()).as("killed by SIGKILL").isEqualTo(137);
            assertThat(setup.storedKeys()).as("killed mid-job: job 0 had no result yet").isEmpty();

            for (int first = 1; first < 200; first += 10) {
                List<SendMessageBatchRequestEntry> batch = IntStream.range(first, Math.min(200, first + 10))
                        .mapToObj(i -> SendMessageBatchRequestEntry.builder().id("j" + i).messageBody(job(i, 2).toString()).build())
                        .toList();
                assertThat(sqs.sendMessageBatch(b -> b.queueUrl(setup.requests()).entries(batch)).failed()).isEmpty();
            }
            Set<String> noticed = setup.noticedKeys(200, Duration.ofMinutes(5));

            Set<String> expected = IntStream.range(0, 200).mapToObj(WorkerFleetIT::key).collect(Collectors.toSet());
            assertThat(noticed).as("a notice for every job, job 0 included").isEqualTo(expected);
            List<String> stored = setup.storedKeys();
            assertThat(stored).as("every result exactly once").hasSize(200).doesNotHaveDuplicates();
            assertThat(new HashSet<>(stored)).isEqualTo(expected);
            assertThat(sqs.receiveMessage(b -> b.queueUrl(setup.dead()).waitTimeSeconds(1)).messages())
                    .as("nothing dead-lettered").isEmpty();
            for (Worker w : workers) {
                if (w != victim) {
                    w.terminate();
                    assertThat(w.process.waitFor(2, TimeUnit.MINUTES)).isTrue();
                    assertThat(w.process.exitValue()).isZero();
                }
            }
        } finally {
            workers.forEach(Worker::close);
        }
    }

    @Test
    void sigtermFinishesTheRunningJobReturnsTheUnstartedOneAndExitsZero() throws Exception {
        Setup setup = Setup.create();
        // the second job's person image is held back, so that job cannot start before the worker stops
        CountDownLatch asked = new CountDownLatch(1);
        CountDownLatch answer = new CountDownLatch(1);
        HttpServer held = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        held.createContext("/", exchange -> {
            asked.countDown();
            try {
                answer.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.sendResponseHeaders(503, -1);
            exchange.close();
        });
        held.setExecutor(Executors.newCachedThreadPool());
        held.start();
        try (Worker worker = new Worker(setup.requests(), setup.notices(), setup.bucket(), 1,
                Map.of("VTON_URL_ALLOW", "127.0.0.1"), "--port", "0", "--host", "127.0.0.1")) {
            String health = worker.await("health and metrics on http://127.0.0.1:", Duration.ofMinutes(1));
            assertThat(health).isNotNull();
            String base = health.substring(health.indexOf("http://"));
            assertThat(worker.await("ready:", Duration.ofMinutes(3))).isNotNull();
            String running = sqs.sendMessage(b -> b.queueUrl(setup.requests()).messageBody(job(1, 40).toString())).messageId();
            assertThat(worker.await("job " + running + " running", Duration.ofMinutes(3))).isNotNull();
            JsonObject second = job(2, 2);
            second.addProperty("person_image_url", "http://127.0.0.1:" + held.getAddress().getPort() + "/person.jpg");
            String waiting = sqs.sendMessage(b -> b.queueUrl(setup.requests()).messageBody(second.toString())).messageId();
            assertThat(asked.await(3, TimeUnit.MINUTES)).as("the worker prefetches the second job").isTrue();
            HttpClient http = HttpClient.newHttpClient();
            assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/ping")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body())
                    .contains("vton_worker_messages_total{outcome=\"received\"} 2", "vton_worker_in_flight 2");
            assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/invocations"))
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).header("Content-Type", "application/json").build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).as("a worker takes no invocations").isEqualTo(404);

            worker.terminate();

            assertThat(worker.process.waitFor(2, TimeUnit.MINUTES)).isTrue();
            assertThat(worker.process.exitValue()).isZero();
            assertThat(setup.noticedKeys(1, Duration.ofSeconds(30))).containsExactly(key(1));
            assertThat(setup.storedKeys()).containsExactly(key(1));
            List<Message> back = sqs.receiveMessage(b -> b.queueUrl(setup.requests()).maxNumberOfMessages(10)
                    .waitTimeSeconds(1)).messages();
            assertThat(back).as("the unstarted job is back in the queue at once").hasSize(1);
            assertThat(back.get(0).messageId()).isEqualTo(waiting);
        } finally {
            answer.countDown();
            held.stop(0);
        }
    }
}

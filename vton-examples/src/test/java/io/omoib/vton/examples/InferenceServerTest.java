package io.omoib.vton.examples;

import io.omoib.vton.protocol.Fields;
import io.omoib.vton.preprocess.Input;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.omoib.vton.pipeline.CatVTONPipeline;
import io.omoib.vton.pipeline.TryOnParameters;
import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.preprocess.RgbImage;
import io.omoib.vton.s3.AwsSettings;
import io.omoib.vton.s3.S3TestServer;
import io.omoib.vton.service.TryOnService;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The inference server on 127.0.0.1 with the toy model, driven over real HTTP. */
class InferenceServerTest {
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static CatVTONPipeline toy;
    private static final AwsSettings NO_AWS = AwsSettings.builder().build();

    private FileServer files;
    private InferenceServer server;
    private TryOnService service;
    /** What {@code /metrics} writes: the server's meters and the service's. */
    private final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    @BeforeAll
    static void load() {
        toy = CatVTONPipeline.builder().modelDirectory(Environment.bundledModel()).build();
    }

    @AfterAll
    static void unload() {
        toy.close();
    }

    @BeforeEach
    void serveFiles() throws IOException {
        files = new FileServer();
        for (String name : Samples.NAMES) {
            files.put("/" + name, Samples.bytes(name));
        }
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.shutdown(Duration.ofSeconds(5));
        }
        files.close();
    }

    /** Starts a server whose URL policy lets the loopback file server through. */
    private InferenceServer start(TryOnService.Builder serviceBuilder, Duration timeout) throws IOException {
        server = InferenceServer.builder().host("127.0.0.1").port(0)
                .sources(Environment.sources(Map.of("VTON_URL_ALLOW", "127.0.0.1"), NO_AWS, false))
                .timeout(timeout).meterRegistry(meters)
                .start();
        if (serviceBuilder != null) {
            service = serviceBuilder.meterRegistry(meters).build();
            server.ready(service);
        }
        return server;
    }

    private InferenceServer start() throws IOException {
        return start(TryOnService.builder().pipeline(toy).defaults(TryOnParameters.builder().steps(15).build()),
                Duration.ofSeconds(55));
    }

    private JsonObject seedRequest(String prefix) {
        JsonObject json = new JsonObject();
        json.addProperty(Fields.url(Input.PERSON), files.url(prefix + "/person.jpg"));
        json.addProperty(Fields.url(Input.MASK), files.url("/mask.png"));
        json.addProperty(Fields.url(Input.UPPER), files.url("/upper.jpg"));
        json.addProperty(Fields.url(Input.LOWER), files.url("/lower.jpg"));
        json.addProperty(Fields.CLOTH_TYPE, "overall");
        json.addProperty(Fields.USER_ID, "user-1");
        json.addProperty(Fields.TIMESTAMP, "1732900000");
        return json;
    }

    private HttpResponse<byte[]> post(String body, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/invocations"))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        boolean typed = false;
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
            typed |= headers[i].equalsIgnoreCase("Content-Type");
        }
        if (!typed) {
            request.header("Content-Type", "application/json");
        }
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonObject json(HttpResponse<byte[]> response) {
        return JsonParser.parseString(new String(response.body())).getAsJsonObject();
    }

    private static void assertError(HttpResponse<byte[]> response, int status, String field, String messagePart) {
        assertThat(response.statusCode()).as(new String(response.body())).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).contains("application/json");
        JsonObject body = json(response);
        assertThat(body.get("error").getAsString()).contains(messagePart);
        if (field == null) {
            assertThat(body.get("field").isJsonNull()).isTrue();
        } else {
            assertThat(body.get("field").getAsString()).isEqualTo(field);
        }
    }

    @Test
    void theSeedRequestGivesTheImageTheCommandLineGives(@TempDir Path dir) throws Exception {
        start();
        HttpResponse<byte[]> response = post(seedRequest("").toString(), "Accept", "image/png");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).contains("image/png");
        RgbImage served = ImageCodec.defaults().decode(response.body(), "response");

        Path inputs = Samples.copyTo(Files.createDirectories(dir.resolve("in")));
        StringWriter err = new StringWriter();
        int code = Vton.execute(new PrintWriter(new StringWriter()), new PrintWriter(err), "tryon",
                "--person", inputs.resolve("person.jpg").toString(), "--mask", inputs.resolve("mask.png").toString(),
                "--upper", inputs.resolve("upper.jpg").toString(), "--lower", inputs.resolve("lower.jpg").toString(),
                "--dtype", "float32", "--out", dir.resolve("cli.png").toString());
        assertThat(code).as(err.toString()).isZero();
        assertThat(served).isEqualTo(ImageCodec.defaults().decode(dir.resolve("cli.png")));
    }

    @Test
    void base64InputsAndTheJsonAnswerCarryTheSameImage() throws Exception {
        start();
        HttpResponse<byte[]> byUrl = post(seedRequest("").toString(), "Accept", "image/png");
        JsonObject request = seedRequest("");
        request.remove("person_image_url");
        request.remove("mask_image_url");
        request.addProperty("person_image", Base64.getEncoder().encodeToString(Samples.bytes("person.jpg")));
        request.addProperty("mask_image", "data:image/png;base64," + Base64.getEncoder().encodeToString(Samples.bytes("mask.png")));

        HttpResponse<byte[]> response = post(request.toString());

        assertThat(response.statusCode()).isEqualTo(200);
        JsonObject body = json(response);
        assertThat(body.get("message").getAsString()).isEqualTo("VTON run successfully");
        assertThat(body.getAsJsonObject("timings_ms").get("total").getAsLong()).isPositive();
        RgbImage expected = ImageCodec.defaults().decode(byUrl.body(), "png");
        assertThat(Base64.getDecoder().decode(body.get("image").getAsString()))
                .isEqualTo(ImageCodec.defaults().encodeJpeg(expected));
    }

    @Test
    void withABucketTheResultGoesToS3AndTheAnswerSaysWhere() throws Exception {
        try (S3TestServer s3 = new S3TestServer(); AwsSettings aws = s3.settings().bucket("results").build()) {
            aws.s3().createBucket(b -> b.bucket("results"));
            server = InferenceServer.builder().host("127.0.0.1").port(0)
                    .sources(Environment.sources(Map.of("VTON_URL_ALLOW", "127.0.0.1"), NO_AWS, false))
                    .storesResults(true)
                    .start();
            server.ready(TryOnService.builder().pipeline(toy).sink(aws.resultSink().orElseThrow()).build());

            HttpResponse<byte[]> response = post(seedRequest("").toString());

            assertThat(response.statusCode()).as(new String(response.body())).isEqualTo(200);
            JsonObject body = json(response);
            String key = "users/user-1/vton_result/1732900000/result.jpg";
            assertThat(body.get("message").getAsString()).isEqualTo("VTON run successfully");
            assertThat(body.get("s3_uri").getAsString()).isEqualTo("s3://results/" + key);
            assertThat(body.get("key").getAsString()).isEqualTo(key);
            assertThat(aws.s3().headObject(b -> b.bucket("results").key(key)).contentType()).isEqualTo("image/jpeg");
            server.shutdown(Duration.ofSeconds(5));
            server = null;
        }
    }

    @Test
    void executionParametersTellBatchTransformOneRecordPerRequestWithinTheBodyLimit() throws Exception {
        server = InferenceServer.builder().host("127.0.0.1").port(0).sources(Environment.sources(Map.of(), NO_AWS, false))
                .concurrentTransforms(3).maxBodyBytes(20L << 20).start();

        HttpResponse<String> response = get("/execution-parameters");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonObject body = JsonParser.parseString(response.body()).getAsJsonObject();
        assertThat(body.get("MaxConcurrentTransforms").getAsInt()).isEqualTo(3);
        assertThat(body.get("BatchStrategy").getAsString()).isEqualTo("SINGLE_RECORD");
        assertThat(body.get("MaxPayloadInMB").getAsInt()).isEqualTo(20);
    }

    /**
     * Asynchronous inference as SageMaker runs it: the request body is an S3 object, posted unchanged
     * to {@code /invocations}; the response is stored as another object.
     */
    @Test
    void anAsynchronousRequestFromS3GivesAResponseForS3() throws Exception {
        try (S3TestServer s3 = new S3TestServer(); AwsSettings aws = s3.settings().bucket("results").build()) {
            aws.s3().createBucket(b -> b.bucket("results"));
            aws.s3().createBucket(b -> b.bucket("async"));
            JsonObject request = seedRequest("");
            request.addProperty("num_inference_steps", 50);
            aws.s3().putObject(b -> b.bucket("async").key("in/u1.json").contentType("application/json"),
                    software.amazon.awssdk.core.sync.RequestBody.fromString(request.toString()));
            server = InferenceServer.builder().host("127.0.0.1").port(0)
                    .sources(Environment.sources(Map.of("VTON_URL_ALLOW", "127.0.0.1"), NO_AWS, false))
                    .timeout(Duration.ofHours(1)).storesResults(true).start();
            server.ready(TryOnService.builder().pipeline(toy).timeout(Duration.ofHours(1))
                    .sink(aws.resultSink().orElseThrow()).build());

            byte[] input = aws.s3().getObjectAsBytes(b -> b.bucket("async").key("in/u1.json")).asByteArray();
            HttpResponse<byte[]> response = post(new String(input, java.nio.charset.StandardCharsets.UTF_8));
            aws.s3().putObject(b -> b.bucket("async").key("out/u1.out"),
                    software.amazon.awssdk.core.sync.RequestBody.fromBytes(response.body()));

            assertThat(response.statusCode()).as(new String(response.body())).isEqualTo(200);
            JsonObject output = JsonParser.parseString(aws.s3().getObjectAsBytes(b -> b.bucket("async").key("out/u1.out"))
                    .asUtf8String()).getAsJsonObject();
            String key = "users/user-1/vton_result/1732900000/result.jpg";
            assertThat(output.get("s3_uri").getAsString()).isEqualTo("s3://results/" + key);
            assertThat(aws.s3().headObject(b -> b.bucket("results").key(key)).contentLength()).isPositive();
            server.shutdown(Duration.ofSeconds(5));
            server = null;
        }
    }

    @Test
    void sagemakerCustomAttributesAreEchoed() throws Exception {
        start();
        HttpResponse<byte[]> response = post("{", "X-Amzn-SageMaker-Custom-Attributes", "trace=abc-123");

        assertThat(response.headers().firstValue(InferenceServer.CUSTOM_ATTRIBUTES)).contains("trace=abc-123");
    }

    @Test
    void malformedRequestsGetA400NamingTheField() throws Exception {
        start();
        assertError(post("{\"person_image_url\": "), 400, null, "invalid JSON");
        assertError(post("{'a': 1}"), 400, null, "invalid JSON");
        assertError(post("[1, 2]"), 400, null, "JSON object");
        assertError(post("{} {}"), 400, null, "invalid JSON");

        JsonObject missing = seedRequest("");
        missing.remove("userId");
        assertError(post(missing.toString()), 400, "userId", "required");

        JsonObject hat = seedRequest("");
        hat.addProperty("cloth_type", "hat");
        assertError(post(hat.toString()), 400, "cloth_type", "upper, lower, overall");

        JsonObject steps = seedRequest("");
        steps.addProperty("num_inference_steps", "many");
        assertError(post(steps.toString()), 400, "num_inference_steps", "number");

        JsonObject typed = seedRequest("");
        typed.add("person_image_url", new JsonObject());
        assertError(post(typed.toString()), 400, "person_image_url", "string");

        JsonObject both = seedRequest("");
        both.addProperty("person_image", "AAAA");
        assertError(post(both.toString()), 400, "person_image_url", "not both");
    }

    @Test
    void undecodableImagesAndRefusedUrlsGetA400NamingTheField() throws Exception {
        start();
        JsonObject text = seedRequest("");
        text.remove("person_image_url");
        text.addProperty("person_image", Base64.getEncoder().encodeToString("plain text".getBytes()));
        assertError(post(text.toString()), 400, "person_image", "person_image");

        JsonObject metadata = seedRequest("");
        metadata.addProperty("mask_image_url", "http://169.254.169.254/latest/meta-data/?token=secret");
        HttpResponse<byte[]> refused = post(metadata.toString());
        assertError(refused, 400, "mask_image_url", "169.254");
        assertThat(new String(refused.body())).doesNotContain("secret");

        JsonObject file = seedRequest("");
        file.addProperty("upper_cloth_url", "file:///etc/passwd");
        assertError(post(file.toString()), 400, "upper_cloth_url", "unsupported source");

        JsonObject missing = seedRequest("");
        missing.addProperty("lower_cloth_url", files.url("/nothing.jpg"));
        assertError(post(missing.toString()), 400, "lower_cloth_url", "HTTP 404");
    }

    @Test
    void aFailingUrlGivenInTwoFieldsIsReportedForTheFieldReadFirst() throws Exception {
        start();
        JsonObject shared = seedRequest("");
        shared.addProperty("upper_cloth_url", files.url("/nothing.jpg"));
        shared.addProperty("lower_cloth_url", files.url("/nothing.jpg"));
        assertError(post(shared.toString()), 400, "upper_cloth_url", "HTTP 404");

        JsonObject lowerOnly = seedRequest("");
        lowerOnly.addProperty("cloth_type", "lower");
        lowerOnly.addProperty("upper_cloth_url", files.url("/upper.jpg"));
        lowerOnly.addProperty("lower_cloth_url", files.url("/nothing.jpg"));
        lowerOnly.addProperty("mask_image_url", files.url("/nothing.jpg"));
        assertError(post(lowerOnly.toString()), 400, "mask_image_url", "HTTP 404");
    }

    @Test
    void wrongContentTypeMethodPathAndSizeHaveTheirCodes() throws Exception {
        start();
        assertError(post(seedRequest("").toString(), "Content-Type", "text/plain"), 415, null, "application/json");
        assertError(post("{\"pad\": \"" + "x".repeat(6 << 20) + "\"}"), 413, null, "6291456 bytes");
        HttpResponse<String> getInvocations = get("/invocations");
        assertThat(getInvocations.statusCode()).isEqualTo(405);
        HttpResponse<String> unknown = get("/predict");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.body()).contains("\"error\"");
    }

    @Test
    void pingIs503UntilTheModelIsReadyThen200() throws Exception {
        start(null, Duration.ofSeconds(55));
        assertThat(get("/ping").statusCode()).isEqualTo(503);
        assertError(post(seedRequest("").toString()), 503, null, "still loading");

        service = TryOnService.builder().pipeline(toy).build();
        server.ready(service);

        HttpResponse<String> ping = get("/ping");
        assertThat(ping.statusCode()).isEqualTo(200);
        assertThat(ping.body()).contains("healthy");
    }

    @Test
    void pingAnswersWhileAnInvocationRuns() throws Exception {
        // a deadline far beyond the run, so that a busy machine slows the run but cannot fail it
        start(TryOnService.builder().pipeline(toy).defaults(TryOnParameters.builder().steps(15).build()),
                Duration.ofMinutes(10));
        JsonObject slow = seedRequest("");
        slow.addProperty("num_inference_steps", 900);
        CompletableFuture<HttpResponse<byte[]>> running = CLIENT.sendAsync(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + "/invocations"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(slow.toString()))
                .build(), HttpResponse.BodyHandlers.ofByteArray());

        // wait, without sleeping, until the metrics show the run in flight
        while (!get("/metrics").body().contains("vton_in_flight 1")) {
            assertThat(running).isNotDone();
        }
        HttpResponse<String> ping = get("/ping");

        assertThat(ping.statusCode()).isEqualTo(200);
        assertThat(running).as("the 900-step run is still going").isNotDone();
        assertThat(running.get(10, TimeUnit.MINUTES).statusCode()).isEqualTo(200);
    }

    @Test
    void clientsBeyondTheQueueGet503WithRetryAfter() throws Exception {
        start(TryOnService.builder().pipeline(toy).queueCapacity(1), Duration.ofSeconds(55));
        CompletableFuture<HttpResponse<byte[]>> first = CLIENT.sendAsync(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + "/invocations"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(seedRequest("/gated").toString())).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(files.gatedRequestArrived.await(30, TimeUnit.SECONDS)).isTrue();

        HttpResponse<byte[]> second = post(seedRequest("").toString());

        assertError(second, 503, null, "queue is full");
        assertThat(second.headers().firstValue("Retry-After")).contains("1");
        files.open();
        assertThat(first.get(60, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }

    @Test
    void aRequestPastItsDeadlineGets504() throws Exception {
        start(TryOnService.builder().pipeline(toy), Duration.ofSeconds(1));

        assertError(post(seedRequest("/gated").toString()), 504, null, "within 1 s");
    }

    @Test
    void shutdownDrainsInFlightWork() throws Exception {
        start();
        CompletableFuture<HttpResponse<byte[]>> inFlight = CLIENT.sendAsync(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + "/invocations"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(seedRequest("/gated").toString())).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(files.gatedRequestArrived.await(30, TimeUnit.SECONDS)).isTrue();

        CompletableFuture<Void> shutdown = CompletableFuture.runAsync(() -> server.shutdown(Duration.ofSeconds(30)));
        // draining: the health check fails at once, so the load balancer stops sending
        while (get("/ping").statusCode() != 503) {
            assertThat(shutdown).isNotDone();
        }
        assertError(post(seedRequest("").toString()), 503, null, "shutting down");
        files.open();

        assertThat(inFlight.get(60, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        shutdown.get(60, TimeUnit.SECONDS);
        server = null;
    }

    @Test
    void metricsAreInPrometheusTextFormat() throws Exception {
        start();
        post(seedRequest("").toString());
        post("{");

        HttpResponse<String> metrics = get("/metrics");

        assertThat(metrics.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
        assertThat(metrics.body()).contains("# TYPE vton_requests_total counter", "vton_requests_total{outcome=\"completed\"} 1.0\n",
                "vton_requests_total{outcome=\"failed\"} 0.0\n", "vton_requests_total{outcome=\"cancelled\"} 0.0\n",
                "vton_requests_total{outcome=\"rejected\"} 0.0\n", "# TYPE vton_bad_requests_total counter",
                "vton_bad_requests_total 1.0\n", "vton_ready 1.0\n", "vton_queue_depth 0.0\n", "vton_in_flight 0.0\n",
                "vton_http_connections ", "vton_http_refused_connections_total 0.0\n", "vton_http_slow_clients_closed_total 0.0\n",
                "vton_http_body_buffer_bytes ", "vton_throughput ");
        // the latency: quantiles over the last minutes, and a histogram that adds up across instances (counts are integers)
        assertThat(metrics.body()).contains("# TYPE vton_latency_seconds summary", "vton_latency_seconds{quantile=\"0.5\"}",
                "vton_latency_seconds{quantile=\"0.95\"}", "vton_latency_seconds{quantile=\"0.99\"}",
                "vton_latency_seconds_count 1\n", "vton_latency_seconds_sum ", "vton_latency_seconds_max ",
                "# TYPE vton_latency_histogram_seconds histogram", "vton_latency_histogram_seconds_bucket{le=\"3600.0\"} 1\n",
                "vton_latency_histogram_seconds_bucket{le=\"+Inf\"} 1\n", "vton_latency_histogram_seconds_count 1\n",
                "vton_latency_histogram_seconds_sum ");
        assertThat(sample(metrics.body(), "vton_latency_seconds_sum")).as("one try-on, in seconds").isPositive()
                .isEqualTo(sample(metrics.body(), "vton_latency_histogram_seconds_sum"));
        assertThat(sample(metrics.body(), "vton_throughput")).isPositive();
    }

    /** @return the value of the one sample of {@code name} without labels */
    private static double sample(String metrics, String name) {
        return metrics.lines().filter(line -> line.startsWith(name + " ")).mapToDouble(line ->
                Double.parseDouble(line.substring(name.length() + 1).strip())).findFirst()
                .orElseThrow(() -> new AssertionError(name + " is not on /metrics: " + metrics));
    }
}

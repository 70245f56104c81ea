package io.omoib.vton.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.omoib.vton.pipeline.CatVTONPipeline;
import io.omoib.vton.s3.AwsSettings;
import io.omoib.vton.service.ResultSink;
import io.omoib.vton.service.TryOnService;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the server does against hostile clients, over real sockets on 127.0.0.1: slow clients,
 * too many connections, oversized bodies, bodies declared but not sent, {@code Expect: 100-continue},
 * malformed framing, failures that must not leak details, and log injection.
 */
class ServerHardeningTest {
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final AwsSettings NO_AWS = AwsSettings.builder().build();
    /** SageMaker's ping timeout: generous, because CI is two busy cores (the 50 ms target is in ServerLoad). */
    private static final long PING_BOUND_MS = 2000;
    private static CatVTONPipeline toy;

    private InferenceServer server;
    private TryOnService service;

    @BeforeAll
    static void load() {
        toy = CatVTONPipeline.builder().modelDirectory(Environment.bundledModel()).build();
    }

    @AfterAll
    static void unload() {
        toy.close();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.shutdown(Duration.ofSeconds(5));
        }
    }

    private InferenceServer start(InferenceServer.Builder builder, TryOnService.Builder serviceBuilder) throws IOException {
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        server = builder.host("127.0.0.1").port(0)
                .sources(Environment.sources(Map.of(), NO_AWS, false)).meterRegistry(meters).start();
        service = serviceBuilder.meterRegistry(meters).build();
        server.ready(service);
        return server;
    }

    /** The seed request with the samples in base64. */
    private static String seedRequest(int steps) {
        JsonObject json = new JsonObject();
        json.addProperty("person_image", Base64.getEncoder().encodeToString(Samples.bytes("person.jpg")));
        json.addProperty("mask_image", Base64.getEncoder().encodeToString(Samples.bytes("mask.png")));
        json.addProperty("upper_cloth", Base64.getEncoder().encodeToString(Samples.bytes("upper.jpg")));
        json.addProperty("lower_cloth", Base64.getEncoder().encodeToString(Samples.bytes("lower.jpg")));
        json.addProperty("cloth_type", "overall");
        json.addProperty("userId", "user-1");
        json.addProperty("timestamp", "1732900000");
        json.addProperty("num_inference_steps", steps);
        return json.toString();
    }

    private HttpResponse<String> invoke(String body) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/invocations"))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(120))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 10_000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    /** Sends a raw request on a new connection and reads the answer to its end (the request asks to close). */
    private String exchange(String request) throws IOException {
        try (Socket socket = connect()) {
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private static String ping() {
        return "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    }

    /** Reads one keep-alive answer: the head, then Content-Length bytes. */
    private static String readAnswer(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed after " + head);
            }
            head.append((char) b);
        }
        int length = 0;
        for (String line : head.toString().split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).strip());
            }
        }
        return head + new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }

    /** @return whether the server closed the connection within the socket's timeout (EOF or reset) */
    private static boolean closedByServer(Socket socket) {
        try {
            return socket.getInputStream().read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    /** Runs {@code body} with System.err (where slf4j-simple writes) copied into the returned buffer. */
    private static String capturingLog(ThrowingRunnable body) throws Exception {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream tee = new PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                original.write(b);
                synchronized (captured) {
                    captured.write(b);
                }
            }

            @Override
            public void write(byte[] b, int off, int len) {
                original.write(b, off, len);
                synchronized (captured) {
                    captured.write(b, off, len);
                }
            }
        }, true, StandardCharsets.UTF_8);
        System.setErr(tee);
        try {
            body.run();
        } finally {
            System.setErr(original);
        }
        synchronized (captured) {
            return captured.toString(StandardCharsets.UTF_8);
        }
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** @return a gauge's value on {@code /metrics} now */
    private long gauge(String name) throws IOException {
        String metrics = exchange("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        for (String line : metrics.split("\n")) {
            if (line.startsWith(name + " ")) {
                return (long) Double.parseDouble(line.substring(name.length() + 1).strip());
            }
        }
        throw new AssertionError(name + " is not on /metrics: " + metrics);
    }

    /** Reads {@code /metrics} until the gauge shows {@code expected} (the server reads sockets on its own time), for at most 30 s. */
    private void awaitGauge(String name, long expected) throws IOException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        long value = gauge(name);
        while (value != expected && System.nanoTime() < until) {
            value = gauge(name);
        }
        assertThat(value).as(name).isEqualTo(expected);
    }

    private static byte[] invocationHead(long contentLength, String... extraHeaders) {
        StringBuilder head = new StringBuilder("POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Type: application/json\r\nContent-Length: " + contentLength + "\r\n");
        for (String header : extraHeaders) {
            head.append(header).append("\r\n");
        }
        return head.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** @return the JSON body of a raw answer */
    private static JsonObject jsonBody(String answer) {
        return JsonParser.parseString(answer.substring(answer.indexOf("\r\n\r\n") + 4)).getAsJsonObject();
    }

    /** @return the bytes the server's shared body budget holds with {@code maxBodyBytes} {@code limit} */
    private static long bodyBudget(long limit) {
        return Math.max(limit, Math.min(16 * limit, Runtime.getRuntime().maxMemory() / 4));
    }

    @Test
    void pingAnswersWhileFiveHundredSlowClientsTrickleAndTheReadTimeoutClosesThem() throws Exception {
        start(InferenceServer.builder().readTimeout(Duration.ofSeconds(3)).maxConnections(1024),
                TryOnService.builder().pipeline(toy));
        long started = System.nanoTime();
        List<Socket> slow = new ArrayList<>();
        AtomicBoolean stopTrickling = new AtomicBoolean();
        Thread trickler = null;
        try {
            for (int i = 0; i < 500; i++) {
                Socket s = connect();
                slow.add(s);
                s.getOutputStream().write('P');
            }
            List<Socket> trickling = List.copyOf(slow);
            trickler = new Thread(() -> {
                byte[] line = "OST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII);
                // at most 100 passes, one byte per socket every 20 ms: a pace, not a synchronisation
                for (int pass = 0; pass < 100 && !stopTrickling.get(); pass++) {
                    for (Socket s : trickling) {
                        try {
                            s.getOutputStream().write(pass < line.length ? line[pass] : 'a');
                        } catch (IOException closedByTheServer) {
                            // the read timeout closed it: what the server should do
                        }
                    }
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
                }
            }, "trickler");
            trickler.start();

            // while they trickle: every ping answered 200, each within SageMaker's 2 s
            for (int i = 0; i < 20; i++) {
                long t0 = System.nanoTime();
                String answer = exchange(ping());
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertThat(answer).as("ping %d", i).startsWith("HTTP/1.1 200");
                assertThat(ms).as("ping %d took %d ms", i, ms).isLessThanOrEqualTo(PING_BOUND_MS);
            }
            // and an ordinary invocation still succeeds
            HttpResponse<String> tryOn = invoke(seedRequest(3));
            assertThat(tryOn.statusCode()).as(tryOn.body()).isEqualTo(200);

            // the read timeout (3 s from connecting) closes every slow client: wait on the sockets themselves
            stopTrickling.set(true);
            trickler.join(10_000);
            long until = started + TimeUnit.SECONDS.toNanos(60);
            int closed = 0;
            for (Socket s : slow) {
                s.setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime())));
                if (closedByServer(s)) {
                    closed++;
                }
            }
            assertThat(closed).isEqualTo(500);
            String metrics = exchange("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            assertThat(metrics).contains("vton_http_slow_clients_closed_total 500");
        } finally {
            stopTrickling.set(true);
            if (trickler != null) {
                trickler.join(10_000);
            }
            for (Socket s : slow) {
                s.close();
            }
        }
    }

    @Test
    void connectionsBeyondTheCapAreClosedAtOnceAndPingWorksOnceBelowIt() throws Exception {
        start(InferenceServer.builder().maxConnections(4), TryOnService.builder().pipeline(toy));
        List<Socket> held = new ArrayList<>();
        try {
            // four keep-alive connections, each proven accepted by an answered ping
            for (int i = 0; i < 4; i++) {
                Socket s = connect();
                held.add(s);
                s.getOutputStream().write("GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(readAnswer(s.getInputStream())).startsWith("HTTP/1.1 200");
            }

            try (Socket fifth = connect()) {
                assertThat(closedByServer(fifth)).as("the fifth connection is closed at once").isTrue();
            }
            Socket first = held.get(0);
            first.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(readAnswer(first.getInputStream()))
                    .contains("vton_http_refused_connections_total 1", "vton_http_connections 4");

            // below the cap again: the server sees the close on its own time, so try a bounded number of times
            held.remove(3).close();
            String answer = "";
            for (int attempt = 0; attempt < 200 && !answer.startsWith("HTTP/1.1 200"); attempt++) {
                try {
                    answer = exchange(ping());
                } catch (IOException refused) {
                    answer = "";
                }
            }
            assertThat(answer).startsWith("HTTP/1.1 200");
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }

    /** Streams a 100 MB body, reading the answer at the same time. */
    private String streamHugeBody(String head, boolean chunked, AtomicLong sent) throws Exception {
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                byte[] chunk = new byte[64 << 10];
                java.util.Arrays.fill(chunk, (byte) ' ');
                byte[] size = (Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
                try {
                    for (long total = 0; total < (100L << 20); total += chunk.length) {
                        if (chunked) {
                            out.write(size);
                        }
                        out.write(chunk);
                        if (chunked) {
                            out.write('\r');
                            out.write('\n');
                        }
                        sent.addAndGet(chunk.length);
                    }
                } catch (IOException closedByTheServer) {
                    // expected: the server stops reading after the 413
                }
            });
            long t0 = System.nanoTime();
            String answer = readAnswer(socket.getInputStream());
            assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0)).as("answered promptly").isLessThan(10);
            assertThat(closedByServer(socket)).as("the connection closes after the 413").isTrue();
            writer.get(30, TimeUnit.SECONDS);
            return answer;
        }
    }

    @Test
    void aHundredMegabyteBodyGets413WithoutTheServerReadingItAll() throws Exception {
        start(InferenceServer.builder().maxBodyBytes(1 << 20), TryOnService.builder().pipeline(toy));
        AtomicLong sent = new AtomicLong();
        String answer = streamHugeBody("POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + (100L << 20) + "\r\n\r\n", false, sent);

        assertThat(answer).startsWith("HTTP/1.1 413").contains("larger than 1048576 bytes");
        assertThat(sent.get()).as("bytes the client got to send").isLessThan(60L << 20);
    }

    @Test
    void aChunkedBodyIsRefusedWith413AsSoonAsItPassesTheLimit() throws Exception {
        start(InferenceServer.builder().maxBodyBytes(1 << 20), TryOnService.builder().pipeline(toy));
        AtomicLong sent = new AtomicLong();
        String answer = streamHugeBody("POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n", true, sent);

        assertThat(answer).startsWith("HTTP/1.1 413").contains("larger than 1048576 bytes");
        assertThat(sent.get()).as("bytes the client got to send").isLessThan(60L << 20);
    }

    @Test
    void headersDeclaringHugeBodiesHoldOnlyWhatTheirBytesNeed() throws Exception {
        long limit = 1L << 30;
        start(InferenceServer.builder().maxBodyBytes(limit), TryOnService.builder().pipeline(toy));
        // more declared bodies than the heap holds: a buffer sized by the declared length would run it out of memory
        int connections = (int) (Runtime.getRuntime().maxMemory() / limit) + 2;
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < connections; i++) {
                Socket s = connect();
                held.add(s);
                s.getOutputStream().write(invocationHead(limit));
                s.getOutputStream().write('{');
            }

            // each holds one first buffer for its one byte, counted in the shared budget
            awaitGauge("vton_http_body_buffer_bytes", (long) connections * InvocationBody.FIRST_BUFFER);
            assertThat(exchange(ping())).startsWith("HTTP/1.1 200");
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
        awaitGauge("vton_http_body_buffer_bytes", 0);
    }

    @Test
    void bodiesShareABudgetFromTheirFirstByteAndTheOneThatPassesItGets503() throws Exception {
        int limit = 1 << 20;
        start(InferenceServer.builder().maxBodyBytes(limit), TryOnService.builder().pipeline(toy));
        assertThat(bodyBudget(limit)).as("a test JVM with at least 64 MiB of heap").isEqualTo(16L * limit);
        byte[] almostAll = new byte[limit - 1];
        Arrays.fill(almostAll, (byte) ' ');
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 16; i++) {
                Socket s = connect();
                held.add(s);
                s.getOutputStream().write(invocationHead(limit));
                s.getOutputStream().write(almostAll);
            }
            // buffers grew with their bytes up to the declared length, never past it: the budget is full
            awaitGauge("vton_http_body_buffer_bytes", 16L * limit);

            try (Socket late = connect()) {
                late.getOutputStream().write(invocationHead(limit));
                late.getOutputStream().write('{');
                String answer = readAnswer(late.getInputStream());

                assertThat(answer).startsWith("HTTP/1.1 503").contains("too many large requests");
                assertThat(answer.toLowerCase(Locale.ROOT)).contains("retry-after: 1");
            }
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
        awaitGauge("vton_http_body_buffer_bytes", 0);
    }

    @Test
    void expectContinueGetsContinueThenTheAnswerOnTheSameConnection() throws Exception {
        start(InferenceServer.builder(), TryOnService.builder().pipeline(toy));
        byte[] body = seedRequest(2).getBytes(StandardCharsets.UTF_8);
        try (Socket socket = connect()) {
            socket.setSoTimeout(120_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();

            out.write(invocationHead(body.length, "Expect: 100-continue"));
            assertThat(readAnswer(in)).startsWith("HTTP/1.1 100 Continue");
            out.write(body);
            String answer = readAnswer(in);

            assertThat(answer).startsWith("HTTP/1.1 200");
            assertThat(jsonBody(answer).get("image").getAsString()).isNotEmpty();
            out.write("GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(readAnswer(in)).as("the connection serves the next request").startsWith("HTTP/1.1 200");
        }
    }

    @Test
    void expectContinueIsAnsweredOnlyOnceTheWholeBodyHasItsPlaceInTheBudget() throws Exception {
        int limit = 1 << 20;
        start(InferenceServer.builder().maxBodyBytes(limit), TryOnService.builder().pipeline(toy));
        assertThat(bodyBudget(limit)).as("a test JVM with at least 64 MiB of heap").isEqualTo(16L * limit);
        List<Socket> promised = new ArrayList<>();
        try {
            for (int i = 0; i < 16; i++) {
                Socket s = connect();
                promised.add(s);
                s.getOutputStream().write(invocationHead(limit, "Expect: 100-continue"));
                assertThat(readAnswer(s.getInputStream())).as("connection %d", i).startsWith("HTTP/1.1 100 Continue");
            }
            // each 100 Continue was written after its body's reservation: the budget is full, no byte has come
            assertThat(gauge("vton_http_body_buffer_bytes")).isEqualTo(16L * limit);

            try (Socket refused = connect()) {
                refused.getOutputStream().write(invocationHead(limit, "Expect: 100-continue"));
                assertThat(readAnswer(refused.getInputStream())).startsWith("HTTP/1.1 503");
                assertThat(closedByServer(refused)).as("no body is coming: the connection closes").isTrue();
            }

            // a promised body is read in full and answered: a 400 naming the field that is wrong
            String prefix = "{\"cloth_type\": \"hat\", \"pad\": \"";
            String padded = prefix + " ".repeat(limit - prefix.length() - 2) + "\"}";
            Socket first = promised.get(0);
            first.getOutputStream().write(padded.getBytes(StandardCharsets.US_ASCII));
            String answer = readAnswer(first.getInputStream());
            assertThat(answer).startsWith("HTTP/1.1 400");
            assertThat(jsonBody(answer).get("field").getAsString()).isEqualTo("cloth_type");
        } finally {
            for (Socket s : promised) {
                s.close();
            }
        }
        awaitGauge("vton_http_body_buffer_bytes", 0);
    }

    @Test
    void aContentLengthThatIsNotOnePlainNumberGets400WithAJsonBody() throws Exception {
        start(InferenceServer.builder(), TryOnService.builder().pipeline(toy));
        for (String length : List.of("4, 4", "18446744073709551616000", "-1", "0x10")) {
            String answer = exchange("POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + length + "\r\nConnection: close\r\n\r\n");

            assertThat(answer).as(length).startsWith("HTTP/1.1 400");
            assertThat(jsonBody(answer).get("error").getAsString()).as(length).contains("Content-Length");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"100000000\r\n{\"cloth_type\": \"upper\"}\r\n0\r\n\r\n", "100000000\r\n\r\n",
            "100000005\r\n{\"a\"}\r\n0\r\n\r\n", "80000000\r\n{}\r\n0\r\n\r\n"})
    void aChunkSizeThatOverflowsGets400AndTheConnectionCloses(String chunks) throws Exception {
        start(InferenceServer.builder(), TryOnService.builder().pipeline(toy));
        try (Socket socket = connect()) {
            // read modulo 2^32 (0 or 5), the size would end the body early and frame what follows as trailers or
            // as the next request, where a proxy in front reads 4 GiB of body
            socket.getOutputStream().write(("POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks)
                    .getBytes(StandardCharsets.US_ASCII));
            String answer = readAnswer(socket.getInputStream());

            assertThat(answer).startsWith("HTTP/1.1 400");
            assertThat(jsonBody(answer).get("error").getAsString()).contains("chunk").doesNotContain("JSON");
            assertThat(closedByServer(socket)).as("nothing after it can be framed: the connection closes").isTrue();
        }
    }

    /** The bundled toy model with a UNet that throws at timesteps in [400, 600) (vton-core's test resource). */
    private static Path toyWithThrowingUnet(Path dir) throws IOException {
        Path toyDir = Environment.bundledModel();
        Path copy = dir.resolve("toy");
        try (Stream<Path> files = Files.walk(toyDir)) {
            for (Path source : (Iterable<Path>) files::iterator) {
                Path target = copy.resolve(toyDir.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target);
                }
            }
        }
        Files.copy(Path.of("../vton-core/src/test/resources/broken/throwing_unet.pt"),
                copy.resolve("cpu-float32/unet.pt"), StandardCopyOption.REPLACE_EXISTING);
        return copy;
    }

    @Test
    void aFailedInferenceGetsAGeneric500WithTheRequestIdTheLogCarries(@TempDir Path dir) throws Exception {
        try (CatVTONPipeline broken = CatVTONPipeline.builder().modelDirectory(toyWithThrowingUnet(dir)).build()) {
            start(InferenceServer.builder(), TryOnService.builder().pipeline(broken));
            HttpResponse<String>[] response = new HttpResponse[1];

            String log = capturingLog(() -> response[0] = invoke(seedRequest(15)));

            assertThat(response[0].statusCode()).isEqualTo(500);
            JsonObject body = JsonParser.parseString(response[0].body()).getAsJsonObject();
            assertThat(body.get("error").getAsString()).isEqualTo("internal error");
            String id = body.get("request_id").getAsString();
            assertThat(response[0].headers().firstValue("X-Request-Id")).contains(id);
            assertThat(response[0].body()).doesNotContain("Exception", "injected", "timestep");
            assertThat(log).contains("500 request " + id, "injected UNet failure");
            server.shutdown(Duration.ofSeconds(5));
            server = null;
        }
    }

    @Test
    void aFailedStoreGetsAGeneric502WithoutBucketOrQueueNames() throws Exception {
        ResultSink refusing = (name, image) -> {
            throw new IOException("PutObject to bucket secret-results refused; notice to "
                    + "https://sqs.eu-west-1.amazonaws.com/123456789012/vton-done not sent");
        };
        start(InferenceServer.builder().storesResults(true), TryOnService.builder().pipeline(toy).sink(refusing));
        HttpResponse<String>[] response = new HttpResponse[1];

        String log = capturingLog(() -> response[0] = invoke(seedRequest(3)));

        assertThat(response[0].statusCode()).isEqualTo(502);
        JsonObject body = JsonParser.parseString(response[0].body()).getAsJsonObject();
        assertThat(body.get("error").getAsString()).isEqualTo("storing the result failed");
        String id = body.get("request_id").getAsString();
        assertThat(response[0].headers().firstValue("X-Request-Id")).contains(id);
        assertThat(response[0].body()).doesNotContain("secret-results", "123456789012", "IOException");
        assertThat(log).contains("502 request " + id, "secret-results");
    }

    @Test
    void aRequestPathWithCrLfAndControlCharactersIsLoggedEscaped() throws Exception {
        start(InferenceServer.builder(), TryOnService.builder().pipeline(toy));
        String[] answer = new String[1];

        String log = capturingLog(() -> answer[0] = exchange(
                "GET /nope%0d%0aINJECTED\u001b[31m HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));

        assertThat(answer[0]).startsWith("HTTP/1.1 404");
        assertThat(log).contains("/nope%0d%0aINJECTED\\u001b[31m");
        assertThat(log).doesNotContain("\u001b", "\nINJECTED", "\rINJECTED");
    }

    @Test
    void escapingKeepsOneLogLine() {
        assertThat(InferenceServer.escape("a\r\nb\tc\\d\u0000é")).isEqualTo("a\\r\\nb\\tc\\\\d\\u0000\\u00e9");
        assertThat(InferenceServer.escape("x".repeat(1000))).hasSize(259);
        assertThat(InferenceServer.rawPath("/ping%0d%0a?x=1")).isEqualTo("/ping%0d%0a");
    }
}

package io.omoib.vton.benchmarks;

import io.omoib.vton.protocol.RequestJson;
import io.omoib.vton.preprocess.Input;
import io.omoib.vton.preprocess.ClothType;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import javax.imageio.ImageIO;

/**
 * The robustness attacks of issue 19 at full size against {@code vton serve} in a process of its own
 * (toy model, {@code -Xmx1g}, 127.0.0.1, {@code --timeout 20}), while a pinger asks {@code /ping}
 * every 200 ms (a ping over 2 s, SageMaker's timeout, counts as failed):
 * <ol>
 *   <li>300 connections that send only the headers of a 6 MiB {@code /invocations} body and one byte,
 *       held open while a normal request is sent;</li>
 *   <li>three concurrent requests, each with four 40000x1000 gray PNGs;</li>
 *   <li>four requests whose images come from a local host that sends one byte every 5 s (allowed with
 *       {@code VTON_URL_ALLOW=127.0.0.1}) and, a second later, three normal requests;</li>
 *   <li>a normal request uploaded with {@code Expect: 100-continue}, as curl sends bodies over 1 MiB.</li>
 * </ol>
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.omoib.vton.benchmarks.ServerAttacks</pre>
 *
 * Prints each attack's answers by status, whether the server lived through it, the pings and the
 * server's peak resident memory. Run from the repository root; traffic goes to 127.0.0.1 only.
 */
public final class ServerAttacks {
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private ServerAttacks() {
    }

    public static void main(String[] args) throws Exception {
        try (SlowHost slow = new SlowHost();
             ServerProcess server = ServerProcess.start(List.of("-Xmx1g", "-XX:+ExitOnOutOfMemoryError"),
                     Map.of("VTON_URL_ALLOW", "127.0.0.1"), "--timeout", "20")) {
            Pinger pinger = new Pinger(server.port());
            pinger.start();
            int port = server.port();
            report("300 connections, headers of a 6 MiB body and 1 byte; then a normal request",
                    headersOnly(port, 300), server, pinger);
            report("3 concurrent requests of four 40000x1000 gray PNGs; then a normal request",
                    wideImages(port), server, pinger);
            report("4 requests from a host sending 1 byte every 5 s; 1 s later 3 normal requests",
                    slowHosts(port, slow.port()), server, pinger);
            report("a normal request with Expect: 100-continue", Map.of("normal (100-continue)", List.of(expectContinue(port))),
                    server, pinger);
            pinger.stop();
            System.out.printf(Locale.ROOT, "pings: %d, failed (not 200 within 2 s): %d, slowest %d ms; server alive: %b; "
                    + "peak RSS %d MiB%n", pinger.count.get(), pinger.failed.get(), pinger.slowest.get(), server.isAlive(),
                    server.peakResidentMib());
        }
    }

    private static void report(String attack, Map<String, List<Integer>> answers, ServerProcess server, Pinger pinger)
            throws IOException {
        StringBuilder line = new StringBuilder(attack).append(":");
        answers.forEach((kind, statuses) -> {
            Map<Integer, Integer> counts = new TreeMap<>();
            statuses.forEach(s -> counts.merge(s, 1, Integer::sum));
            line.append(" ").append(kind).append(" ").append(counts);
        });
        System.out.printf(Locale.ROOT, "%s; server alive %b, peak RSS %d MiB, pings failed so far %d%n", line,
                server.isAlive(), server.peakResidentMib(), pinger.failed.get());
    }

    private static Map<String, List<Integer>> headersOnly(int port, int connections) throws Exception {
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < connections; i++) {
                Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
                held.add(socket);
                socket.getOutputStream().write(("POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Content-Type: application/json\r\nContent-Length: 6291456\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
            }
            return Map.of("normal", List.of(normal(port)));
        } finally {
            for (Socket socket : held) {
                socket.close();
            }
        }
    }

    private static Map<String, List<Integer>> wideImages(int port) throws Exception {
        BufferedImage gray = new BufferedImage(40_000, 1000, BufferedImage.TYPE_BYTE_GRAY);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(gray, "png", png);
        RequestJson body = new RequestJson(ClothType.OVERALL).userId("attacker").timestamp("1").steps(2);
        for (Input input : Input.values()) {
            body.image(input, png.toByteArray());
        }
        List<CompletableFuture<Integer>> wide = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            wide.add(status(post(port, body.toString())));
        }
        List<Integer> statuses = wide.stream().map(CompletableFuture::join).toList();
        return Map.of("wide", statuses, "normal", List.of(normal(port)));
    }

    private static Map<String, List<Integer>> slowHosts(int port, int slowPort) throws Exception {
        String base = "http://127.0.0.1:" + slowPort + "/";
        RequestJson body = new RequestJson(ClothType.OVERALL).userId("attacker").timestamp("1")
                .url(Input.PERSON, base + "person.jpg").url(Input.MASK, base + "mask.png")
                .url(Input.UPPER, base + "upper.jpg").url(Input.LOWER, base + "lower.jpg");
        List<CompletableFuture<Integer>> slow = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            slow.add(status(post(port, body.toString())));
        }
        Thread.sleep(1000); // the scenario: the normal requests come a second later
        List<CompletableFuture<Integer>> normal = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            normal.add(status(ServerLoad.seedRequest(port)));
        }
        return Map.of("normal", normal.stream().map(CompletableFuture::join).toList(),
                "slow", slow.stream().map(CompletableFuture::join).toList());
    }

    private static int expectContinue(int port) throws Exception {
        HttpRequest seed = ServerLoad.seedRequest(port);
        byte[] body = seedBody(seed);
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(60_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write(("POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length + "\r\nExpect: 100-continue\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String interim = statusLine(in);
            if (!interim.contains(" 100 ")) {
                return Integer.parseInt(interim.split(" ")[1]);
            }
            skipHeaders(in);
            out.write(body);
            return Integer.parseInt(statusLine(in).split(" ")[1]);
        }
    }

    private static byte[] seedBody(HttpRequest request) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        request.bodyPublisher().orElseThrow().subscribe(new java.util.concurrent.Flow.Subscriber<>() {
            @Override
            public void onSubscribe(java.util.concurrent.Flow.Subscription subscription) {
                subscription.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(java.nio.ByteBuffer item) {
                byte[] bytes = new byte[item.remaining()];
                item.get(bytes);
                body.writeBytes(bytes);
            }

            @Override
            public void onError(Throwable throwable) {
                throw new IllegalStateException(throwable);
            }

            @Override
            public void onComplete() {
            }
        });
        return body.toByteArray();
    }

    private static String statusLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c >= 0 && c != '\n'; c = in.read()) {
            line.append((char) c);
        }
        return line.toString().strip();
    }

    private static void skipHeaders(InputStream in) throws IOException {
        while (!statusLine(in).isEmpty()) {
            // header lines of the interim answer
        }
    }

    private static int normal(int port) throws Exception {
        return status(ServerLoad.seedRequest(port)).join();
    }

    private static HttpRequest post(int port, String body) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/invocations"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    /** @return the status, or 0 when the connection failed (the server died or closed it without an answer) */
    private static CompletableFuture<Integer> status(HttpRequest request) {
        return CLIENT.sendAsync(request, HttpResponse.BodyHandlers.discarding()).thenApply(HttpResponse::statusCode)
                .exceptionally(e -> 0);
    }

    /** Asks /ping every 200 ms on a new connection. */
    private static final class Pinger {
        final AtomicInteger count = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();
        final java.util.concurrent.atomic.AtomicLong slowest = new java.util.concurrent.atomic.AtomicLong();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        Pinger(int port) {
            thread = new Thread(() -> {
                HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
                while (running.get()) {
                    long start = System.nanoTime();
                    boolean ok;
                    try {
                        ok = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/ping"))
                                .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
                    } catch (IOException | InterruptedException e) {
                        ok = false;
                    }
                    long ms = (System.nanoTime() - start) / 1_000_000;
                    count.incrementAndGet();
                    slowest.accumulateAndGet(ms, Math::max);
                    if (!ok || ms > 2000) {
                        failed.incrementAndGet();
                    }
                    try {
                        Thread.sleep(200);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "pinger");
            thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join();
        }
    }

    /** An HTTP host on 127.0.0.1 that answers with one byte every 5 s, forever. */
    private static final class SlowHost implements AutoCloseable {
        private final ServerSocket socket;
        private final Map<Socket, Boolean> clients = new ConcurrentHashMap<>();
        private final LongAdder accepted = new LongAdder();

        SlowHost() throws IOException {
            socket = new ServerSocket();
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Thread acceptor = new Thread(this::accept, "slow-host");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        private void accept() {
            while (!socket.isClosed()) {
                try {
                    Socket client = socket.accept();
                    accepted.increment();
                    clients.put(client, true);
                    Thread trickle = new Thread(() -> trickle(client), "slow-host-client");
                    trickle.setDaemon(true);
                    trickle.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void trickle(Socket client) {
            byte[] answer = "HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: 100000\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII);
            try (client) {
                for (byte b : answer) {
                    client.getOutputStream().write(b);
                    client.getOutputStream().flush();
                    Thread.sleep(5000);
                }
            } catch (IOException | InterruptedException e) {
                // the server gave up on it
            } finally {
                clients.remove(client);
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
            for (Socket client : clients.keySet()) {
                client.close();
            }
        }
    }
}

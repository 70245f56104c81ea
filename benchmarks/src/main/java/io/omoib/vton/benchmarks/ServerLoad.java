package io.omoib.vton.benchmarks;

import io.omoib.vton.protocol.RequestJson;
import io.omoib.vton.preprocess.Input;
import io.omoib.vton.preprocess.ClothType;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The inference server under load, in a process of its own started from this jar ({@code Vton serve}
 * with the toy model on 127.0.0.1), in interleaved rounds:
 * <ul>
 *   <li>round trips per second at 1 and 8 closed-loop clients (the seed request with base64 JPEGs,
 *       15 steps, the JPEG result), as {@link ServerBenchmark} measures them;</li>
 *   <li>{@code GET /ping} latency (a new connection per ping, as SageMaker's health check) while
 *       SOCKETS other connections trickle a never-ending request one byte per socket every 100 ms;
 *       a ping not answered within 2 s (SageMaker's ping timeout) counts as failed.</li>
 * </ul>
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.omoib.vton.benchmarks.ServerLoad [SOCKETS [SECONDS [ROUNDS]]]</pre>
 *
 * SOCKETS default 500, SECONDS per measurement default 10, ROUNDS default 3; run from the repository
 * root. Prints each round and the medians. Traffic goes to 127.0.0.1 only.
 */
public final class ServerLoad {
    private static final int PING_TIMEOUT_MS = 2000;

    private ServerLoad() {
    }

    public static void main(String[] args) throws Exception {
        int sockets = args.length > 0 ? Integer.parseInt(args[0]) : 500;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        try (ServerProcess server = ServerProcess.start(List.of(), java.util.Map.of())) {
            int port = server.port();
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpRequest request = seedRequest(port);
            roundTrips(client, request, 1, 3); // warm-up
            double[] one = new double[rounds];
            double[] eight = new double[rounds];
            double[] p50 = new double[rounds];
            double[] p99 = new double[rounds];
            double[] max = new double[rounds];
            double[] failed = new double[rounds];
            System.out.printf(Locale.ROOT, "%-5s %12s %12s %10s %10s %10s %14s%n", "round", "1 client/s", "8 clients/s",
                    "ping p50", "ping p99", "ping max", "pings failed");
            for (int r = 0; r < rounds; r++) {
                one[r] = roundTrips(client, request, 1, seconds);
                eight[r] = roundTrips(client, request, 8, seconds);
                double[] ping = pingsUnderTrickle(port, sockets, seconds);
                p50[r] = ping[0];
                p99[r] = ping[1];
                max[r] = ping[2];
                failed[r] = ping[3];
                System.out.printf(Locale.ROOT, "%-5d %12.2f %12.2f %8.1fms %8.1fms %8.1fms %9.0f of %.0f%n", r + 1,
                        one[r], eight[r], p50[r], p99[r], max[r], failed[r], ping[4]);
            }
            System.out.printf(Locale.ROOT, "%-5s %12.2f %12.2f %8.1fms %8.1fms %8.1fms %9.0f%n", "med",
                    median(one), median(eight), median(p50), median(p99), median(max), median(failed));
        }
    }

    /** The seed server's request, all four images inline, for the server on {@code port}. */
    static HttpRequest seedRequest(int port) throws Exception {
        PreprocessWork inputs = PreprocessWork.synthetic();
        RequestJson body = new RequestJson(ClothType.OVERALL).userId("bench").timestamp("1").steps(PipelineWork.STEPS);
        for (Input input : Input.values()) {
            body.image(input, inputs.encoded(input.ordinal()));
        }
        return HttpRequest.newBuilder(new URI("http://127.0.0.1:" + port + "/invocations"))
                .header("Content-Type", "application/json").header("Accept", "image/jpeg")
                .POST(HttpRequest.BodyPublishers.ofString(body.toJson())).build();
    }

    /** @return round trips per second with {@code clients} closed-loop clients for {@code seconds} */
    private static double roundTrips(HttpClient client, HttpRequest request, int clients, int seconds) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        AtomicLong done = new AtomicLong();
        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        try {
            List<Future<?>> loops = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                loops.add(pool.submit(() -> {
                    while (System.nanoTime() < end) {
                        HttpResponse<byte[]> response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
                        if (response.statusCode() != 200) {
                            throw new IllegalStateException("HTTP " + response.statusCode() + ": " + new String(response.body()));
                        }
                        done.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> loop : loops) {
                loop.get();
            }
        } finally {
            pool.shutdownNow();
        }
        return done.get() / ((System.nanoTime() - start) / 1e9);
    }

    /**
     * Opens {@code count} sockets that trickle a request that never ends, and pings every 20 ms for
     * {@code seconds}.
     *
     * @return ping latency p50, p99, max (ms; a failed ping counts as 2000), failed pings, pings
     */
    private static double[] pingsUnderTrickle(int port, int count, int seconds) throws Exception {
        List<Socket> slow = new ArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        Thread trickler = new Thread(() -> {
            byte[] line = "POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII);
            for (long pass = 0; !stop.get(); pass++) {
                for (Socket s : slow) {
                    try {
                        OutputStream o = s.getOutputStream();
                        o.write(pass < line.length ? line[(int) pass] : 'a');
                        o.flush();
                    } catch (IOException closedByServer) {
                        // the server may close a slow client; that is what it should do
                    }
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "trickler");
        try {
            for (int i = 0; i < count; i++) {
                Socket s = new Socket();
                try {
                    s.connect(new InetSocketAddress("127.0.0.1", port), PING_TIMEOUT_MS);
                } catch (IOException refused) {
                    s.close();
                    continue;
                }
                slow.add(s);
            }
            trickler.start();
            List<Double> latencies = new ArrayList<>();
            int failed = 0;
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < end) {
                double ms = ping(port);
                if (ms < 0) {
                    failed++;
                    ms = PING_TIMEOUT_MS;
                }
                latencies.add(ms);
                Thread.sleep(20);
            }
            double[] sorted = latencies.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            return new double[] {percentile(sorted, 0.5), percentile(sorted, 0.99), sorted[sorted.length - 1], failed,
                    sorted.length};
        } finally {
            stop.set(true);
            trickler.interrupt();
            trickler.join(10_000);
            for (Socket s : slow) {
                s.close();
            }
        }
    }

    /** @return milliseconds for a 200 to {@code GET /ping} on a new connection, or -1 when it failed */
    private static double ping(int port) {
        long start = System.nanoTime();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), PING_TIMEOUT_MS);
            s.setSoTimeout(PING_TIMEOUT_MS);
            s.getOutputStream().write("GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            byte[] head = new byte[12];
            int n = in.readNBytes(head, 0, head.length);
            boolean ok = n == head.length && new String(head, StandardCharsets.US_ASCII).endsWith(" 200");
            double ms = (System.nanoTime() - start) / 1e6;
            return ok && ms <= PING_TIMEOUT_MS ? ms : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    private static double percentile(double[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}

package io.omoib.vton.examples;

import io.omoib.vton.protocol.RequestJson;
import io.omoib.vton.preprocess.Input;
import io.omoib.vton.preprocess.ClothType;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Many toy-model requests through the real server, in a process of its own ({@code -Xmx512m}, a queue as
 * deep as the clients are many) at concurrency 16: every request is answered and runs (200; a 503 would
 * mean the queue was full, which 16 clients that each wait for their answer cannot cause), and the
 * server's resident memory, threads and open files level off. A queue shallower than the clients turns
 * the soak into a storm of immediate 503s (the event-driven server admits every request at once) that
 * runs little inference, which is what the memory curve is about. CI runs {@code soak.requests} = 300; {@code benchmarks/soak.sh} runs 2,000
 * and prints the curve this writes to {@code target/soak-curve.txt}.
 */
class SoakIT {
    private static final Path ROOT = Environment.bundledModel().getParent().getParent();
    private static final int CONCURRENCY = 16;

    /** What /proc says about the server process. */
    record Sample(int requests, long rssKib, int threads, int fds) {
        static Sample of(long pid, int requests) throws IOException {
            long rss = 0;
            int threads = 0;
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = Long.parseLong(line.replaceAll("[^0-9]", ""));
                } else if (line.startsWith("Threads:")) {
                    threads = Integer.parseInt(line.replaceAll("[^0-9]", ""));
                }
            }
            try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
                return new Sample(requests, rss, threads, (int) fds.count());
            }
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%6d %10.1f %8d %6d", requests, rssKib / 1024.0, threads, fds);
        }
    }

    @Test
    void everyRequestIsAnsweredAndTheServerLevelsOff() throws Exception {
        int total = Integer.getInteger("soak.requests", 300);
        Process server = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-Dvton.home=" + ROOT, "-Dai.djl.offline=true", "-Dai.djl.pytorch.graph_optimizer=false",
                "-jar", ROOT.resolve("vton-examples/target/vton.jar").toString(),
                "serve", "--host", "127.0.0.1", "--port", "0", "--queue", Integer.toString(CONCURRENCY))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
            Matcher listening = Pattern.compile("listening on http://127.0.0.1:(\\d+)").matcher(String.valueOf(out.readLine()));
            assertThat(listening.find()).isTrue();
            assertThat(out.readLine()).startsWith("warmed up:");
            assertThat(out.readLine()).startsWith("ready:");
            RequestJson body = new RequestJson(ClothType.UPPER).userId("soak").timestamp("1").steps(2)
                    .image(Input.PERSON, Samples.bytes("person.jpg")).image(Input.MASK, Samples.bytes("mask.png"))
                    .image(Input.UPPER, Samples.bytes("upper.jpg"));
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + listening.group(1) + "/invocations"))
                    .header("Content-Type", "application/json").header("Accept", "image/jpeg")
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();

            Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
            AtomicInteger sent = new AtomicInteger();
            List<Sample> curve = new ArrayList<>();
            curve.add(Sample.of(server.pid(), 0));
            ExecutorService clients = Executors.newFixedThreadPool(CONCURRENCY);
            int chunk = Math.max(CONCURRENCY, total / 10);
            while (sent.get() < total) {
                int batch = Math.min(chunk, total - sent.get());
                List<Future<?>> done = new ArrayList<>();
                for (int i = 0; i < batch; i++) {
                    done.add(clients.submit(() -> {
                        HttpResponse<Void> response = client.send(request, HttpResponse.BodyHandlers.discarding());
                        statuses.computeIfAbsent(response.statusCode(), s -> new AtomicInteger()).incrementAndGet();
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get(5, TimeUnit.MINUTES);
                }
                sent.addAndGet(batch);
                curve.add(Sample.of(server.pid(), sent.get()));
            }
            clients.shutdown();

            StringBuilder text = new StringBuilder("requests    rss MiB  threads    fds\n");
            curve.forEach(s -> text.append(s).append('\n'));
            text.append("answers: ").append(statuses).append('\n');
            Files.writeString(ROOT.resolve("vton-examples/target/soak-curve.txt"), text);
            System.out.print(text);

            int answered = statuses.values().stream().mapToInt(AtomicInteger::get).sum();
            assertThat(answered).isEqualTo(total);
            assertThat(statuses.keySet()).as("every request ran: " + text).containsOnly(200);
            // bounded: a 512 MiB heap plus libtorch, the model and per-request native buffers; a native leak
            // of one request's tensors (tens of MiB) would pass this within a few dozen requests
            Sample warm = curve.get(1);
            Sample end = curve.get(curve.size() - 1);
            long peak = curve.stream().mapToLong(Sample::rssKib).max().orElseThrow();
            assertThat(peak).as(text.toString()).isLessThan(1536 * 1024);
            assertThat(end.threads()).as(text.toString()).isLessThanOrEqualTo(warm.threads() + 4);
            assertThat(end.fds()).as(text.toString()).isLessThanOrEqualTo(warm.fds() + 8);
            if (total >= 1000) {
                // a long run levels off: the second half adds less than 100 MiB
                assertThat(end.rssKib() - curve.get(curve.size() / 2).rssKib()).as(text.toString())
                        .isLessThan(100 * 1024);
            }
        } finally {
            server.destroy();
            server.waitFor(60, TimeUnit.SECONDS);
        }
    }
}

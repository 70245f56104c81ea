package io.omoib.vton.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Round trips through the real server, in a process of its own started from this jar
 * ({@code Vton serve} with the toy model on 127.0.0.1): the seed request with base64 JPEGs
 * (1200x1600 person and mask, two garments), 15 steps, the JPEG result in the answer; 1 and 8 clients.
 * Results are round trips per second; the latency of one is its inverse at concurrency 1.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1, time = 5)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1)
public class ServerBenchmark {
    private static final Pattern LISTENING = Pattern.compile("listening on http://127.0.0.1:(\\d+)");
    private Process server;
    private HttpClient client;
    private HttpRequest request;

    @Setup
    public void setUp() throws Exception {
        Path jar = Path.of(ServerBenchmark.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path root = PipelineWork.bundledModel("toy").getParent().getParent();
        server = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dvton.home=" + root, "-Dai.djl.offline=true", "-Dai.djl.pytorch.graph_optimizer=false",
                "-cp", jar.toString(), "io.omoib.vton.examples.Vton", "serve", "--host", "127.0.0.1", "--port", "0")
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        Matcher listening = LISTENING.matcher(String.valueOf(out.readLine()));
        String ready = out.readLine();
        if (!listening.find() || ready == null || !ready.startsWith("ready:")) {
            throw new IllegalStateException("the server did not start: " + ready);
        }
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        request = ServerLoad.seedRequest(Integer.parseInt(listening.group(1)));
    }

    @TearDown
    public void tearDown() throws InterruptedException {
        server.destroy();
        server.waitFor(60, TimeUnit.SECONDS);
    }

    private int roundTrip() throws IOException, InterruptedException {
        HttpResponse<byte[]> response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("HTTP " + response.statusCode() + ": " + new String(response.body()));
        }
        return response.body().length;
    }

    @Benchmark
    @Threads(1)
    public int oneClient() throws IOException, InterruptedException {
        return roundTrip();
    }

    @Benchmark
    @Threads(8)
    public int eightClients() throws IOException, InterruptedException {
        return roundTrip();
    }
}

package io.omoib.vton.benchmarks;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
    private ServerProcess server;
    private HttpClient client;
    private HttpRequest request;

    @Setup
    public void setUp() throws Exception {
        server = ServerProcess.start(List.of(), Map.of());
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        request = ServerLoad.seedRequest(server.port());
    }

    @TearDown
    public void tearDown() throws InterruptedException {
        server.close();
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

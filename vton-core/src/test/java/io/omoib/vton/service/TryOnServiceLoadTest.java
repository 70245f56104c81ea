package io.omoib.vton.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.omoib.vton.pipeline.CatVTONPipeline;
import io.omoib.vton.pipeline.TestModels;
import io.omoib.vton.preprocess.ClothType;
import io.omoib.vton.preprocess.Garments;
import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.preprocess.RgbImage;
import io.omoib.vton.preprocess.TryOnImages;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Many threads against one {@link TryOnService} on the toy model: nothing lost, duplicated or mixed up. */
class TryOnServiceLoadTest {
    private static final int SEEDS = 4;
    private static CatVTONPipeline toy;
    private static final List<RgbImage> EXPECTED = new ArrayList<>();

    @BeforeAll
    static void load() {
        toy = CatVTONPipeline.builder().modelDirectory(TestModels.toy()).build();
        ImageCodec codec = ImageCodec.defaults();
        TryOnImages prepared = TryOnImages.prepare(codec.decode(TryOnServiceTest.PERSON, "person"),
                codec.decode(TryOnServiceTest.MASK, "mask"),
                Garments.upper(codec.decode(TryOnServiceTest.GARMENT, "garment")), ClothType.UPPER, 384, 512);
        for (int seed = 0; seed < SEEDS; seed++) {
            EXPECTED.add(toy.run(prepared, TryOnServiceTest.QUICK.toBuilder().seed(seed).build()));
        }
    }

    @AfterAll
    static void close() {
        toy.close();
    }

    @Test
    void aThousandSubmissionsFromThirtyTwoThreadsAllCompleteOnceWithTheirOwnResult() throws Exception {
        int threads = 32;
        int perThread = 1000 / threads + 1;
        AtomicInteger refusals = new AtomicInteger();
        Semaphore completions = new Semaphore(0);
        Set<String> ids = ConcurrentHashMap.newKeySet();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (TryOnService service = TryOnService.builder().pipeline(toy).maxBatch(4).queueCapacity(48)
                .maxWait(Duration.ofMillis(5)).meterRegistry(meters).build()) {
            ExecutorService clients = Executors.newFixedThreadPool(threads);
            List<Future<Integer>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(clients.submit(() -> {
                    ArrayDeque<CompletableFuture<TryOnResult>> pending = new ArrayDeque<>();
                    List<CompletableFuture<TryOnResult>> all = new ArrayList<>();
                    for (int i = 0; i < perThread && thread * perThread + i < 1000; i++) {
                        int n = thread * perThread + i;
                        TryOnRequest request = TryOnServiceTest.request(n % SEEDS).id("t" + n).build();
                        while (true) {
                            try {
                                CompletableFuture<TryOnResult> f = service.submit(request);
                                f.whenComplete((r, e) -> completions.release());
                                pending.add(f);
                                all.add(f);
                                break;
                            } catch (QueueFullException e) {
                                // refused cleanly: wait for a request to finish, then try again
                                refusals.incrementAndGet();
                                if (pending.isEmpty()) {
                                    assertThat(completions.tryAcquire(60, TimeUnit.SECONDS)).isTrue();
                                } else {
                                    pending.remove().get(60, TimeUnit.SECONDS);
                                }
                            }
                        }
                    }
                    for (CompletableFuture<TryOnResult> f : all) {
                        TryOnResult result = f.get(120, TimeUnit.SECONDS);
                        int n = Integer.parseInt(result.requestId().substring(1));
                        assertThat(result.image()).as(result.requestId()).isEqualTo(EXPECTED.get(n % SEEDS));
                        assertThat(ids.add(result.requestId())).as("duplicate " + result.requestId()).isTrue();
                    }
                    return all.size();
                }));
            }
            int total = 0;
            for (Future<Integer> f : done) {
                total += f.get(10, TimeUnit.MINUTES);
            }
            clients.shutdown();

            assertThat(total).isEqualTo(1000);
            assertThat(ids).hasSize(1000);
            assertThat(TryOnServiceTest.requests(meters, "completed")).isEqualTo(1000);
            assertThat(TryOnServiceTest.requests(meters, "failed")).isZero();
            assertThat(TryOnServiceTest.requests(meters, "rejected")).isEqualTo(refusals.get());
            assertThat(TryOnServiceTest.gauge(meters, "vton.queue.depth")).isZero();
            assertThat(TryOnServiceTest.gauge(meters, "vton.in.flight")).isZero();
            Timer latency = meters.get("vton.latency").timer();
            assertThat(latency.count()).isEqualTo(1000);
            assertThat(meters.get("vton.latency.histogram").timer().count()).isEqualTo(1000);
            double[] percentiles = java.util.Arrays.stream(latency.takeSnapshot().percentileValues())
                    .mapToDouble(p -> p.value(TimeUnit.MILLISECONDS)).toArray();
            assertThat(percentiles).hasSize(3);
            assertThat(percentiles[0]).isPositive().isLessThanOrEqualTo(percentiles[2]);
            assertThat(TryOnServiceTest.gauge(meters, "vton.throughput")).isPositive();
        }
    }

    @Test
    void closeUnderLoadAnswersEveryAcceptedRequest() throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        TryOnService service = TryOnService.builder().pipeline(toy).maxBatch(4).queueCapacity(32).meterRegistry(meters)
                .build();
        List<CompletableFuture<TryOnResult>> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
        CountDownLatch someDone = new CountDownLatch(20);
        Semaphore completions = new Semaphore(0);
        ExecutorService clients = Executors.newFixedThreadPool(8);
        List<Future<?>> submitters = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            submitters.add(clients.submit(() -> {
                for (int n = 0; ; n++) {
                    try {
                        CompletableFuture<TryOnResult> f = service.submit(TryOnServiceTest.request(n % SEEDS).build());
                        f.whenComplete((result, error) -> {
                            someDone.countDown();
                            completions.release();
                        });
                        accepted.add(f);
                    } catch (QueueFullException e) {
                        // back off until some request finishes (or a second passes), instead of spinning
                        completions.tryAcquire(1, TimeUnit.SECONDS);
                    } catch (RejectedExecutionException e) {
                        return null;
                    }
                }
            }));
        }
        assertThat(someDone.await(60, TimeUnit.SECONDS)).isTrue();

        service.close(Duration.ofMillis(500));

        for (Future<?> s : submitters) {
            s.get(60, TimeUnit.SECONDS);
        }
        clients.shutdown();
        int completed = 0;
        int refused = 0;
        for (CompletableFuture<TryOnResult> f : accepted) {
            assertThat(f).isDone();
            try {
                f.get();
                completed++;
            } catch (ExecutionException e) {
                assertThat(e.getCause()).isInstanceOf(RejectedExecutionException.class)
                        .hasMessageContaining("closed before");
                refused++;
            }
        }
        assertThat(completed).isGreaterThanOrEqualTo(20);
        assertThat(completed + refused).isEqualTo(accepted.size());
        assertThat(TryOnServiceTest.requests(meters, "completed")).isEqualTo(completed);
    }
}

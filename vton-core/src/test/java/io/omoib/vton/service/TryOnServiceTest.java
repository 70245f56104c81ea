package io.omoib.vton.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.omoib.vton.pipeline.CatVTONPipeline;
import io.omoib.vton.pipeline.InvalidParameterException;
import io.omoib.vton.pipeline.TestModels;
import io.omoib.vton.pipeline.TryOnParameters;
import io.omoib.vton.preprocess.ClothType;
import io.omoib.vton.preprocess.Garments;
import io.omoib.vton.preprocess.DecodeBudget;
import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.preprocess.Input;
import io.omoib.vton.preprocess.InvalidImageException;
import io.omoib.vton.preprocess.InvalidInputException;
import io.omoib.vton.preprocess.RgbImage;
import io.omoib.vton.preprocess.TryOnImages;
import io.omoib.vton.source.ImageSource;
import io.omoib.vton.source.ImageSourceException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link TryOnService} on the real toy model, at 384x512. */
class TryOnServiceTest {
    static final byte[] PERSON = resource("person.png");
    static final byte[] MASK = resource("mask.png");
    static final byte[] GARMENT = resource("garment.png");
    static final TryOnParameters QUICK = TryOnParameters.builder().steps(2).build();

    private static CatVTONPipeline toy;
    private static TryOnImages prepared;

    @BeforeAll
    static void load() {
        toy = CatVTONPipeline.builder().modelDirectory(TestModels.toy()).defaults(QUICK).build();
        ImageCodec codec = ImageCodec.defaults();
        prepared = TryOnImages.prepare(codec.decode(PERSON, "person"), codec.decode(MASK, "mask"),
                Garments.upper(codec.decode(GARMENT, "garment")), ClothType.UPPER, 384, 512);
    }

    @AfterAll
    static void close() {
        toy.close();
    }

    static byte[] resource(String name) {
        try (InputStream in = TryOnServiceTest.class.getResourceAsStream("/golden/" + name)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return requests that ended with {@code outcome}, as the service counted them in {@code meters} */
    static long requests(MeterRegistry meters, String outcome) {
        return (long) meters.get("vton.requests").tag("outcome", outcome).counter().count();
    }

    /** @return a gauge of the service's, now */
    static double gauge(MeterRegistry meters, String name) {
        return meters.get(name).gauge().value();
    }

    static TryOnRequest.Builder request(int seed) {
        return TryOnRequest.builder()
                .person(ImageSource.of(PERSON, "person"))
                .mask(ImageSource.of(MASK, "mask"))
                .upper(ImageSource.of(GARMENT, "garment"))
                .clothType(ClothType.UPPER)
                .size(384, 512)
                .parameters(QUICK.toBuilder().seed(seed).build());
    }

    /** A source whose read blocks until the latch opens. */
    static ImageSource gated(CountDownLatch gate, byte[] bytes) {
        return new ImageSource() {
            @Override
            public String name() {
                return "gated";
            }

            @Override
            public byte[] read() throws IOException {
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    throw new java.io.InterruptedIOException();
                }
                return bytes;
            }
        };
    }

    private static Throwable failure(CompletableFuture<?> future) {
        assertThatThrownBy(() -> future.get(60, TimeUnit.SECONDS)).isInstanceOfAny(ExecutionException.class,
                CancellationException.class);
        try {
            future.get();
            throw new AssertionError("not failed");
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (CancellationException | InterruptedException e) {
            return e;
        }
    }

    @Test
    void givesWhatThePipelineGivesDirectly() throws Exception {
        try (TryOnService service = TryOnService.builder().pipeline(toy).build()) {
            TryOnResult result = service.submit(request(5).build()).get(60, TimeUnit.SECONDS);

            assertThat(result.image()).isEqualTo(toy.run(prepared, QUICK.toBuilder().seed(5).build()));
            assertThat(result.batchSize()).isEqualTo(1);
            assertThat(result.storedAt()).isEmpty();
            assertThat(result.timings().total()).isGreaterThanOrEqualTo(result.timings().run());
        }
    }

    @Test
    void batchedResultsAreBitEqualToUnbatchedOnes() throws Exception {
        List<RgbImage> alone = new ArrayList<>();
        try (TryOnService unbatched = TryOnService.builder().pipeline(toy).maxBatch(1).build()) {
            for (int seed = 0; seed < 4; seed++) {
                alone.add(unbatched.submit(request(seed).build()).get(60, TimeUnit.SECONDS).image());
            }
        }
        CountDownLatch gate = new CountDownLatch(1);
        try (TryOnService batched = TryOnService.builder().pipeline(toy).maxBatch(4)
                .maxWait(Duration.ofSeconds(30)).build()) {
            List<CompletableFuture<TryOnResult>> futures = new ArrayList<>();
            for (int seed = 0; seed < 4; seed++) {
                futures.add(batched.submit(request(seed).person(gated(gate, PERSON)).build()));
            }
            gate.countDown();
            for (int seed = 0; seed < 4; seed++) {
                TryOnResult result = futures.get(seed).get(60, TimeUnit.SECONDS);
                assertThat(result.batchSize()).isEqualTo(4);
                assertThat(result.image()).as("seed " + seed).isEqualTo(alone.get(seed));
            }
        }
        assertThat(alone.get(0)).isNotEqualTo(alone.get(1));
    }

    @Test
    void onlyCompatibleRequestsShareABatch() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        try (TryOnService service = TryOnService.builder().pipeline(toy).maxBatch(4)
                .maxWait(Duration.ofSeconds(30)).build()) {
            CompletableFuture<TryOnResult> a = service.submit(request(1).person(gated(gate, PERSON)).build());
            CompletableFuture<TryOnResult> b = service.submit(request(2).person(gated(gate, PERSON))
                    .parameters(QUICK.toBuilder().steps(3).build()).build());
            CompletableFuture<TryOnResult> c = service.submit(request(3).person(gated(gate, PERSON)).build());
            gate.countDown();

            assertThat(a.get(60, TimeUnit.SECONDS).batchSize()).isEqualTo(2);
            assertThat(c.get(60, TimeUnit.SECONDS).batchSize()).isEqualTo(2);
            assertThat(b.get(60, TimeUnit.SECONDS).batchSize()).isEqualTo(1);
        }
    }

    @Test
    void aFullQueueRefusesMoreAndRecovers() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (TryOnService service = TryOnService.builder().pipeline(toy).queueCapacity(2).meterRegistry(meters).build()) {
            CompletableFuture<TryOnResult> first = service.submit(request(1).person(gated(gate, PERSON)).build());
            CompletableFuture<TryOnResult> second = service.submit(request(2).person(gated(gate, PERSON)).build());

            assertThatThrownBy(() -> service.submit(request(3).build())).isInstanceOf(QueueFullException.class)
                    .hasMessageContaining("2 requests waiting");
            assertThat(gauge(meters, "vton.queue.depth")).isEqualTo(2);
            assertThat(requests(meters, "rejected")).isEqualTo(1);

            gate.countDown();
            first.get(60, TimeUnit.SECONDS);
            second.get(60, TimeUnit.SECONDS);
            assertThat(service.submit(request(3).build()).get(60, TimeUnit.SECONDS).image()).isNotNull();
        }
    }

    @Test
    void aCancelledRequestLeavesWithoutHarmingTheOthers() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        List<ProgressListener.Stage> cancelledStages = new java.util.concurrent.CopyOnWriteArrayList<>();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (TryOnService service = TryOnService.builder().pipeline(toy).maxBatch(4)
                .maxWait(Duration.ofSeconds(30)).meterRegistry(meters).build()) {
            CompletableFuture<TryOnResult> kept = service.submit(request(1).person(gated(gate, PERSON)).build());
            CompletableFuture<TryOnResult> dropped = service.submit(request(2).person(gated(gate, PERSON))
                    .progress(e -> cancelledStages.add(e.stage())).build());
            dropped.cancel(true);
            gate.countDown();

            TryOnResult result = kept.get(60, TimeUnit.SECONDS);
            assertThat(result.batchSize()).isEqualTo(1);
            assertThat(result.image()).isEqualTo(toy.run(prepared, QUICK.toBuilder().seed(1).build()));
            assertThat(dropped).isCancelled();
            assertThat(cancelledStages).doesNotContain(ProgressListener.Stage.RUNNING);
            assertThat(requests(meters, "cancelled")).isEqualTo(1);
            assertThat(requests(meters, "completed")).isEqualTo(1);
        }
    }

    @Test
    void cancellingTheOnlyRequestOfARunStopsTheRun() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        TryOnParameters long_ = QUICK.toBuilder().steps(500).build();
        try (TryOnService service = TryOnService.builder().pipeline(toy).build()) {
            CompletableFuture<TryOnResult> slow = service.submit(request(1).parameters(long_)
                    .progress(e -> {
                        if (e.stage() == ProgressListener.Stage.RUNNING) {
                            running.countDown();
                        }
                    }).build());
            assertThat(running.await(60, TimeUnit.SECONDS)).isTrue();
            slow.cancel(true);

            // the worker is free again long before 500 steps would have finished
            TryOnResult next = service.submit(request(2).build()).get(60, TimeUnit.SECONDS);
            assertThat(next.image()).isEqualTo(toy.run(prepared, QUICK.toBuilder().seed(2).build()));
        }
    }

    @Test
    void aRequestPastItsDeadlineFailsWithATimeout() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (TryOnService service = TryOnService.builder().pipeline(toy).meterRegistry(meters).build()) {
            CompletableFuture<TryOnResult> late = service.submit(request(1).person(gated(gate, PERSON))
                    .timeout(Duration.ofMillis(100)).build());

            assertThat(failure(late)).isInstanceOf(TimeoutException.class).hasMessageContaining("100 ms");
            gate.countDown();
            assertThat(service.submit(request(2).build()).get(60, TimeUnit.SECONDS).image()).isNotNull();
            assertThat(requests(meters, "failed")).isEqualTo(1);
        }
    }

    @Test
    void badInputFailsItsOwnRequestOnly() throws Exception {
        try (TryOnService service = TryOnService.builder().pipeline(toy).build()) {
            CompletableFuture<TryOnResult> bad = service.submit(request(1)
                    .person(ImageSource.of("GIF89a broken".getBytes(), "person_image")).build());
            CompletableFuture<TryOnResult> missing = service.submit(request(1)
                    .mask(ImageSource.file(Path.of("no/such/mask.png"))).build());
            CompletableFuture<TryOnResult> good = service.submit(request(2).build());

            assertThat(failure(bad)).isInstanceOfSatisfying(InvalidInputException.class,
                    e -> assertThat(e.input()).isEqualTo(Input.PERSON))
                    .hasMessageContaining("person_image").hasCauseInstanceOf(InvalidImageException.class);
            assertThat(failure(missing)).isInstanceOfSatisfying(InvalidInputException.class, e -> {
                assertThat(e.input()).isEqualTo(Input.MASK);
                assertThat(e.getCause()).isInstanceOfSatisfying(ImageSourceException.class,
                        cause -> assertThat(cause.kind()).isEqualTo(ImageSourceException.Kind.NOT_FOUND));
            }).hasMessageContaining("mask.png");
            assertThat(good.get(60, TimeUnit.SECONDS).image()).isNotNull();
        }
    }

    @Test
    void aFailureNamesTheRoleOfTheInputEvenWhenTwoInputsShareASource() throws Exception {
        ImageSource broken = ImageSource.of("not an image".getBytes(), "same.png");
        try (TryOnService service = TryOnService.builder().pipeline(toy).build()) {
            CompletableFuture<TryOnResult> garments = service.submit(request(1).clothType(ClothType.OVERALL)
                    .upper(ImageSource.of(GARMENT, "garment")).lower(broken).build());
            byte[] square = ImageCodec.defaults().encodePng(RgbImage.filled(100, 100, 255, 255, 255));
            CompletableFuture<TryOnResult> mask = service.submit(request(1).mask(ImageSource.of(square, "same.png"))
                    .person(ImageSource.of(PERSON, "same.png")).build());

            assertThat(failure(garments)).isInstanceOfSatisfying(InvalidInputException.class,
                    e -> assertThat(e.input()).isEqualTo(Input.LOWER));
            // the mask is square, the person 3:4: the mask cannot line up with the person
            assertThat(failure(mask)).isInstanceOfSatisfying(InvalidInputException.class,
                    e -> assertThat(e.input()).isEqualTo(Input.MASK)).hasMessageContaining("aspect ratios differ");
        }
    }

    @Test
    void aRequestWithoutAGarmentItsClothTypeNeedsIsRefusedNamingTheGarment() {
        assertThatThrownBy(() -> request(1).clothType(ClothType.LOWER).build())
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.input()).isEqualTo(Input.LOWER))
                .hasMessageContaining("cloth type lower needs the lower garment image");
        assertThatThrownBy(() -> request(1).person(null).build())
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.input()).isEqualTo(Input.PERSON));
    }

    @Test
    void garmentsTheClothTypeDoesNotUseAreNeitherKeptNorRead() throws Exception {
        ImageSource unreadable = new ImageSource() {
            @Override
            public String name() {
                return "never read";
            }

            @Override
            public byte[] read() {
                throw new AssertionError("a garment the cloth type ignores was read");
            }
        };
        TryOnRequest upperOnly = request(1).lower(unreadable).build();

        assertThat(upperOnly.sources()).containsOnlyKeys(Input.PERSON, Input.MASK, Input.UPPER);
        try (TryOnService service = TryOnService.builder().pipeline(toy).build()) {
            assertThat(service.submit(upperOnly).get(60, TimeUnit.SECONDS).image()).isNotNull();
        }
    }

    @Test
    void concurrentLargeImagesQueueForTheDecodeBudgetOrAreTurnedAwayAndTheServiceStaysHealthy() throws Exception {
        // 4 megapixels: 36 MB to decode and 12 MB kept until the request is prepared, so an 80 MiB budget
        // fits one request's four images (72 MB at its last decode) and not two requests' at once
        byte[] large = ImageCodec.defaults().encodePng(RgbImage.filled(2000, 2000, 250, 250, 250));
        DecodeBudget budget = DecodeBudget.of(80L << 20, Duration.ofMillis(200));
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (TryOnService service = TryOnService.builder().pipeline(toy).ioThreads(4).queueCapacity(64)
                .codec(ImageCodec.builder().budget(budget).build()).meterRegistry(meters).build()) {
            List<CompletableFuture<TryOnResult>> bombs = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                ImageSource image = ImageSource.of(large, "large" + i + ".png");
                bombs.add(service.submit(request(i).clothType(ClothType.OVERALL).person(image).mask(image)
                        .upper(image).lower(image).build()));
            }
            int decoded = 0;
            int refused = 0;
            for (CompletableFuture<TryOnResult> bomb : bombs) {
                try {
                    bomb.get(120, TimeUnit.SECONDS);
                    decoded++;
                } catch (ExecutionException e) {
                    assertThat(e.getCause()).isInstanceOf(DecodeBudget.Exhausted.class);
                    refused++;
                }
            }
            assertThat(decoded + refused).isEqualTo(8);
            assertThat(budget.available()).as("every reservation returned").isEqualTo(80L << 20);
            assertThat(service.isHealthy()).isTrue();
            assertThat(service.submit(request(99).build()).get(60, TimeUnit.SECONDS).image()).isNotNull();
            assertThat(requests(meters, "failed")).isEqualTo(refused);
        }
    }

    @Test
    void eachImageStaysCountedInTheBudgetFromItsReadUntilTheRequestIsPrepared() throws Exception {
        DecodeBudget budget = DecodeBudget.of(64L << 20, Duration.ofMillis(200));
        long[] freeWhileTheMaskIsRead = new long[1];
        ImageSource mask = new ImageSource() {
            @Override
            public String name() {
                return "mask";
            }

            @Override
            public byte[] read() {
                freeWhileTheMaskIsRead[0] = budget.available();
                return MASK;
            }
        };
        try (TryOnService service = TryOnService.builder().pipeline(toy).codec(ImageCodec.builder().budget(budget).build())
                .build()) {
            service.submit(request(1).mask(mask).build()).get(60, TimeUnit.SECONDS);
        }

        // the person is read first (inputs in their order) and its bytes are kept while the mask is read
        assertThat(freeWhileTheMaskIsRead[0]).as("the person's encoded bytes, kept while the mask is read, are counted")
                .isEqualTo((64L << 20) - (PERSON.length + 1023L) / 1024 * 1024);
        assertThat(budget.available()).as("all returned once the prepared images replace them").isEqualTo(64L << 20);
    }

    @Test
    void aRequestWhoseImagesCannotFitTheBudgetTogetherFailsAtOnceNamingTheImageThatDidNot() throws Exception {
        // 1200x1300: 14 MB to decode and 4.7 MB kept; a 16 MiB budget fits one decode, not a second beside the first
        byte[] large = ImageCodec.defaults().encodePng(RgbImage.filled(1200, 1300, 250, 250, 250));
        DecodeBudget budget = DecodeBudget.of(16L << 20, Duration.ofSeconds(30));
        try (TryOnService service = TryOnService.builder().pipeline(toy)
                .codec(ImageCodec.builder().budget(budget).build()).build()) {
            long started = System.nanoTime();

            Throwable failure = failure(service.submit(request(1).person(ImageSource.of(large, "person.png"))
                    .mask(ImageSource.of(large, "mask.png")).build()));

            assertThat(failure).isInstanceOfSatisfying(InvalidInputException.class,
                    e -> assertThat(e.input()).isEqualTo(Input.MASK))
                    .hasMessageContaining("mask.png").hasMessageContaining("other images keep");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("refused, not left to wait for room that cannot come")
                    .isLessThan(Duration.ofSeconds(30));
            assertThat(budget.available()).isEqualTo(16L << 20);
        }
    }

    /** A source that says when its read began and then blocks until interrupted. */
    private static ImageSource stuck(CountDownLatch reading) {
        return new ImageSource() {
            @Override
            public String name() {
                return "stuck";
            }

            @Override
            public byte[] read() throws IOException {
                reading.countDown();
                try {
                    new CountDownLatch(1).await();
                } catch (InterruptedException e) {
                    throw new InterruptedIOException("stuck read interrupted");
                }
                throw new AssertionError("a latch nobody opens opened");
            }
        };
    }

    @Test
    void aCancelledRequestStopsReadingItsImagesAndFreesItsIoThreadAtOnce() throws Exception {
        CountDownLatch reading = new CountDownLatch(1);
        try (TryOnService service = TryOnService.builder().pipeline(toy).ioThreads(1).build()) {
            CompletableFuture<TryOnResult> first = service.submit(request(1).person(stuck(reading)).build());
            assertThat(reading.await(60, TimeUnit.SECONDS)).isTrue();

            first.cancel(true);

            // the only I/O thread was blocked in the first request's read: the next request needs it
            assertThat(service.submit(request(2).build()).get(60, TimeUnit.SECONDS).image()).isNotNull();
        }
    }

    @Test
    void aRequestPastItsDeadlineStopsReadingItsImagesAndFreesItsIoThread() throws Exception {
        try (TryOnService service = TryOnService.builder().pipeline(toy).ioThreads(1).build()) {
            CompletableFuture<TryOnResult> late = service.submit(request(1).person(stuck(new CountDownLatch(1)))
                    .timeout(Duration.ofSeconds(1)).build());

            assertThat(failure(late)).isInstanceOf(TimeoutException.class);
            assertThat(service.submit(request(2).build()).get(60, TimeUnit.SECONDS).image()).isNotNull();
        }
    }

    /** A remote source of {@code origin} that says when its read began and blocks until interrupted. */
    private static ImageSource remoteStuck(String origin, AtomicInteger started) {
        return new ImageSource() {
            @Override
            public String name() {
                return origin + "/stuck.jpg";
            }

            @Override
            public byte[] read() throws IOException {
                started.incrementAndGet();
                try {
                    new CountDownLatch(1).await();
                } catch (InterruptedException e) {
                    throw new InterruptedIOException("stuck read interrupted");
                }
                throw new AssertionError("a latch nobody opens opened");
            }

            @Override
            public Optional<String> origin() {
                return Optional.of(origin);
            }
        };
    }

    /** A remote source of {@code origin} that returns {@code bytes} once {@code together} reads have begun. */
    private static ImageSource remoteMeeting(String origin, CountDownLatch together, byte[] bytes) {
        return new ImageSource() {
            @Override
            public String name() {
                return origin + "/image";
            }

            @Override
            public byte[] read() throws IOException {
                together.countDown();
                try {
                    if (!together.await(60, TimeUnit.SECONDS)) {
                        throw new IOException(name() + " was read alone: the request's other images were not being read");
                    }
                } catch (InterruptedException e) {
                    throw new InterruptedIOException();
                }
                return bytes;
            }

            @Override
            public Optional<String> origin() {
                return Optional.of(origin);
            }
        };
    }

    @Test
    void aRequestsImagesAreReadAtTheSameTime() throws Exception {
        // each read returns only once all three are under way: one after another they would never finish
        CountDownLatch together = new CountDownLatch(3);
        try (TryOnService service = TryOnService.builder().pipeline(toy).ioThreads(1).build()) {
            TryOnResult result = service.submit(request(1)
                    .person(remoteMeeting("https://a.example:443", together, PERSON))
                    .mask(remoteMeeting("https://b.example:443", together, MASK))
                    .upper(remoteMeeting("https://a.example:443", together, GARMENT)).build()).get(60, TimeUnit.SECONDS);

            assertThat(result.image()).isEqualTo(service.submit(request(1).build()).get(60, TimeUnit.SECONDS).image());
        }
    }

    @Test
    void aStalledHostHoldsBackOnlyItsOwnReadsAndNoIoThread() throws Exception {
        String slow = "https://slow.example:443";
        AtomicInteger started = new AtomicInteger();
        try (TryOnService service = TryOnService.builder().pipeline(toy).ioThreads(1).fetchThreads(16)
                .fetchesPerOrigin(2).build()) {
            List<CompletableFuture<TryOnResult>> stalled = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                stalled.add(service.submit(request(i).person(remoteStuck(slow, started)).build()));
            }
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while ((started.get() < 2 || service.readsWaiting(slow) < 2) && System.nanoTime() < until) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // leave the cores to the reads polled for
            }

            // two reads of the slow origin run, the other two wait without a thread
            assertThat(started.get()).isEqualTo(2);
            assertThat(service.readsWaiting(slow)).isEqualTo(2);
            // the only I/O thread and the other fetch threads serve everyone else
            assertThat(service.submit(request(9).build()).get(60, TimeUnit.SECONDS).image()).isNotNull();
            CountDownLatch alone = new CountDownLatch(1);
            assertThat(service.submit(request(10).person(remoteMeeting("https://fast.example:443", alone, PERSON)).build())
                    .get(60, TimeUnit.SECONDS).image()).isNotNull();

            // the one I/O thread started the reads in order: requests 2 and 3 wait; cancelling them first, then the
            // running 1 and 0, drops the waiting reads unstarted and interrupts the running ones: the origin has room
            for (int i = 3; i >= 0; i--) {
                stalled.get(i).cancel(true);
            }
            CountDownLatch again = new CountDownLatch(1);
            assertThat(service.submit(request(11).person(remoteMeeting(slow, again, PERSON)).build())
                    .get(60, TimeUnit.SECONDS).image()).isNotNull();
            assertThat(started.get()).as("the waiting reads never started").isEqualTo(2);
        }
    }

    @Test
    void aRequestPastItsDeadlineFreesItsFetchThread() throws Exception {
        try (TryOnService service = TryOnService.builder().pipeline(toy).fetchThreads(1).build()) {
            CompletableFuture<TryOnResult> late = service.submit(request(1)
                    .person(remoteStuck("https://slow.example:443", new AtomicInteger())).timeout(Duration.ofSeconds(1)).build());

            assertThat(failure(late)).isInstanceOf(TimeoutException.class);
            // the only fetch thread was in the late request's read: the next remote read needs it
            assertThat(service.submit(request(2).person(remoteMeeting("https://fast.example:443", new CountDownLatch(1),
                    PERSON)).build()).get(60, TimeUnit.SECONDS).image()).isNotNull();
        }
    }

    /** A remote source that fails with 404 once {@code after} opens (at once for an open latch). */
    private static ImageSource notFound(String origin, CountDownLatch after, CountDownLatch reading) {
        return new ImageSource() {
            @Override
            public String name() {
                return origin + "/missing.png";
            }

            @Override
            public byte[] read() throws IOException {
                reading.countDown();
                try {
                    after.await();
                } catch (InterruptedException e) {
                    throw new InterruptedIOException();
                }
                throw new ImageSourceException(ImageSourceException.Kind.NOT_FOUND, name(), "404 Not Found", null);
            }

            @Override
            public Optional<String> origin() {
                return Optional.of(origin);
            }
        };
    }

    @Test
    void aFailedReadEndsTheRequestAtOnceNamingItsInputAndCancelsTheOthers() throws Exception {
        try (TryOnService service = TryOnService.builder().pipeline(toy).fetchThreads(2).build()) {
            Throwable failure = failure(service.submit(request(1)
                    .person(notFound("https://gone.example:443", new CountDownLatch(0), new CountDownLatch(1)))
                    .mask(remoteStuck("https://slow.example:443", new AtomicInteger())).build()));

            assertThat(failure).isInstanceOfSatisfying(InvalidInputException.class,
                    e -> assertThat(e.input()).isEqualTo(Input.PERSON)).hasMessageContaining("404");
            // the mask's stalled read was interrupted: both fetch threads serve the next request
            CountDownLatch both = new CountDownLatch(2);
            assertThat(service.submit(request(2).person(remoteMeeting("https://a.example:443", both, PERSON))
                    .mask(remoteMeeting("https://b.example:443", both, MASK)).build()).get(60, TimeUnit.SECONDS).image())
                    .isNotNull();
        }
    }

    @Test
    void ofSeveralFailedReadsTheFirstInputIsNamedWhicheverFailedFirst() throws Exception {
        CountDownLatch maskReading = new CountDownLatch(1);
        try (TryOnService service = TryOnService.builder().pipeline(toy).build()) {
            // the person's read fails only once the mask's has begun failing
            Throwable failure = failure(service.submit(request(1)
                    .person(notFound("https://a.example:443", maskReading, new CountDownLatch(1)))
                    .mask(notFound("https://b.example:443", new CountDownLatch(0), maskReading)).build()));

            assertThat(failure).isInstanceOfSatisfying(InvalidInputException.class,
                    e -> assertThat(e.input()).isEqualTo(Input.PERSON));
        }
    }

    @Test
    void metricsReadAfterAFutureCompletesAlreadyCountItsRequest() throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (TryOnService service = TryOnService.builder().pipeline(toy).meterRegistry(meters).build()) {
            for (int i = 1; i <= 20; i++) {
                service.submit(request(i).build()).get(60, TimeUnit.SECONDS);
                assertThat(requests(meters, "completed")).as("completed after result %d", i).isEqualTo(i);
                assertThat(meters.get("vton.latency").timer().count()).as("timed after result %d", i).isEqualTo(i);
                assertThat(gauge(meters, "vton.in.flight")).as("in flight after result %d", i).isZero();
                assertThat(gauge(meters, "vton.queue.depth")).as("queued after result %d", i).isZero();
            }
            CompletableFuture<TryOnResult> bad = service.submit(request(1)
                    .person(ImageSource.of(new byte[] {1, 2, 3}, "bad")).build());
            failure(bad);
            assertThat(requests(meters, "failed")).isEqualTo(1);
            assertThat(gauge(meters, "vton.queue.depth")).isZero();
            assertThat(meters.get("vton.latency").timer().count()).as("failures are not timed").isEqualTo(20);
        }
    }

    @Test
    void latencyIsTimedTwiceForPercentilesAndForAHistogramAndThroughputIsAGauge() throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (TryOnService service = TryOnService.builder().pipeline(toy).meterRegistry(meters).build()) {
            long started = System.nanoTime();
            TryOnResult result = service.submit(request(1).build()).get(60, TimeUnit.SECONDS);
            long elapsed = System.nanoTime() - started;

            Timer latency = meters.get("vton.latency").timer();
            Timer histogram = meters.get("vton.latency.histogram").timer();
            for (Timer timer : List.of(latency, histogram)) {
                assertThat(timer.count()).isEqualTo(1);
                assertThat(timer.totalTime(TimeUnit.NANOSECONDS)).as("submission to result")
                        .isGreaterThanOrEqualTo(result.timings().total()).isLessThanOrEqualTo(elapsed);
            }
            assertThat(latency.takeSnapshot().percentileValues()).extracting(v -> v.percentile())
                    .containsExactly(0.5, 0.95, 0.99);
            assertThat(gauge(meters, "vton.throughput")).isPositive();
            assertThat(meters.get("vton.requests").counters()).extracting(c -> c.getId().getTag("outcome"))
                    .containsExactlyInAnyOrder("completed", "failed", "cancelled", "rejected");
        }
    }

    @Test
    void closeRemovesTheGaugesSoThatTheNextServiceOnTheRegistryReportsItsOwn() throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        CountDownLatch gate = new CountDownLatch(1);
        try (TryOnService first = TryOnService.builder().pipeline(toy).meterRegistry(meters).build()) {
            first.submit(request(1).build()).get(60, TimeUnit.SECONDS);
        }
        assertThat(meters.find("vton.queue.depth").gauge()).isNull();
        assertThat(meters.find("vton.throughput").gauge()).isNull();

        try (TryOnService second = TryOnService.builder().pipeline(toy).meterRegistry(meters).build()) {
            CompletableFuture<TryOnResult> waiting = second.submit(request(2).person(gated(gate, PERSON)).build());

            assertThat(gauge(meters, "vton.queue.depth")).as("the second service's queue").isEqualTo(1);
            gate.countDown();
            waiting.get(60, TimeUnit.SECONDS);
            assertThat(requests(meters, "completed")).as("counters continue across services").isEqualTo(2);
        }
    }

    @Test
    void sizesTheModelDoesNotSupportAreRefusedAtSubmission() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (TryOnService service = TryOnService.builder().pipeline(toy).meterRegistry(meters).build()) {
            assertThatThrownBy(() -> service.submit(request(1).size(320, 448).build()))
                    .isInstanceOfSatisfying(InvalidParameterException.class,
                            e -> assertThat(e.parameter()).isEqualTo(InvalidParameterException.Parameter.SIZE))
                    .hasMessageContaining("not 320x448");
            assertThatThrownBy(() -> service.submit(request(1).parameters(QUICK.toBuilder().steps(1000).build())
                    .build())).isInstanceOfSatisfying(InvalidParameterException.class,
                            e -> assertThat(e.parameter()).isEqualTo(InvalidParameterException.Parameter.STEPS))
                    .hasMessageContaining("1000 steps");
            assertThat(meters.get("vton.requests").counters()).as("neither accepted nor counted")
                    .extracting(Counter::count).containsOnly(0.0);
        }
    }

    @Test
    void progressFollowsTheRequestThroughEveryStage() throws Exception {
        List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (TryOnService service = TryOnService.builder().pipeline(toy).build()) {
            service.submit(request(1).id("p1").progress(e -> events.add(e.requestId() + " " + e.stage()
                    + (e.steps() > 0 ? " " + e.step() + "/" + e.steps() : ""))).build()).get(60, TimeUnit.SECONDS);
        }
        assertThat(events).containsExactly("p1 PREPARING", "p1 QUEUED", "p1 ENCODING", "p1 RUNNING 1/2", "p1 RUNNING 2/2",
                "p1 DECODING", "p1 DONE");
    }

    @Test
    void storesResultsInTheSinkAndSaysWhere(@TempDir Path dir) throws Exception {
        LocalDirectorySink sink = LocalDirectorySink.builder(dir).format(ImageFormat.PNG).build();
        List<String> notices = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (TryOnService service = TryOnService.builder().pipeline(toy).sink(sink)
                .notifier((name, location) -> notices.add(name.userId() + " " + location)).build()) {
            TryOnResult result = service.submit(request(1).userId("u7").timestamp("1700000000").build())
                    .get(60, TimeUnit.SECONDS);

            Path file = dir.resolve("u7/u7_upper_1700000000.png");
            assertThat(result.location()).isEqualTo(file.toUri());
            assertThat(ImageCodec.defaults().decode(Files.readAllBytes(file), "stored")).isEqualTo(result.image());
            assertThat(notices).containsExactly("u7 " + file.toUri());
        }
    }

    @Test
    void closeFinishesAcceptedWorkThenRefusesMore() throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        TryOnService service = TryOnService.builder().pipeline(toy).queueCapacity(16).meterRegistry(meters).build();
        List<CompletableFuture<TryOnResult>> futures = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            futures.add(service.submit(request(i).build()));
        }
        service.close(Duration.ofSeconds(60));

        for (CompletableFuture<TryOnResult> f : futures) {
            assertThat(f).isCompleted();
        }
        assertThat(requests(meters, "completed")).isEqualTo(6);
        assertThat(service.isHealthy()).isFalse();
        assertThatThrownBy(() -> service.submit(request(9).build())).isInstanceOf(RejectedExecutionException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void closeCalledFromAResultsOwnCallbackDoesNotWaitForThatResult() throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        TryOnService service = TryOnService.builder().pipeline(toy).meterRegistry(meters).build();
        CompletableFuture<Void> closed = new CompletableFuture<>();
        service.submit(request(1).build()).whenComplete((result, error) -> {
            service.close(Duration.ofMinutes(10));
            closed.complete(null);
        });

        // a close() that waited for the future whose callback called it would take its 10-minute grace
        closed.get(120, TimeUnit.SECONDS);
        assertThat(requests(meters, "completed")).isEqualTo(1);
    }

    @Test
    void closeFailsWhatCannotFinishWithinTheGracePeriod() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        TryOnService service = TryOnService.builder().pipeline(toy).build();
        CompletableFuture<TryOnResult> stuck = service.submit(request(1).person(gated(gate, PERSON)).build());

        service.close(Duration.ofMillis(200));

        assertThat(failure(stuck)).isInstanceOf(RejectedExecutionException.class).hasMessageContaining("grace period");
        gate.countDown();
    }
}

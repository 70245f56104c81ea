package io.omoib.vton.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.omoib.vton.pipeline.CatVTONPipeline;
import io.omoib.vton.pipeline.InferenceException;
import io.omoib.vton.pipeline.TestModels;
import io.omoib.vton.pipeline.TryOnParameters;
import io.omoib.vton.preprocess.Input;
import io.omoib.vton.preprocess.InvalidInputException;
import io.omoib.vton.source.ImageSourceException;
import io.omoib.vton.source.LoopbackServer;
import io.omoib.vton.source.UrlFetcher;
import io.omoib.vton.source.UrlPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Faults inside and around the service: each fails its own request clearly and the service keeps serving. */
class FaultInjectionTest {
    @TempDir
    Path temp;

    private static Throwable cause(CompletableFuture<?> future) {
        try {
            future.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            throw new AssertionError("expected the request to fail, got " + e, e);
        }
        throw new AssertionError("expected the request to fail");
    }

    /** The toy artifact with a UNet that throws for timesteps in [400, 600) (tools/fixtures/make_broken_modules.py). */
    private Path toyWithThrowingUnet() throws IOException {
        Path copy = TestModels.copyOfToy(temp.resolve("toy"));
        try (InputStream unet = FaultInjectionTest.class.getResourceAsStream("/broken/throwing_unet.pt")) {
            Files.copy(unet, copy.resolve("cpu-float32/unet.pt"), StandardCopyOption.REPLACE_EXISTING);
        }
        return copy;
    }

    @Test
    void aUnetThatThrowsMidRunFailsThatRequestAndTheWorkerServesTheNext() throws Exception {
        List<Integer> steps = new CopyOnWriteArrayList<>();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (CatVTONPipeline broken = CatVTONPipeline.builder().modelDirectory(toyWithThrowingUnet()).build();
             TryOnService service = TryOnService.builder().pipeline(broken).meterRegistry(meters).build()) {
            CompletableFuture<TryOnResult> failing = service.submit(TryOnServiceTest.request(1)
                    .parameters(TryOnParameters.builder().steps(15).build())
                    .progress(e -> {
                        if (e.stage() == ProgressListener.Stage.RUNNING) {
                            steps.add(e.step());
                        }
                    }).build());

            assertThat(cause(failing)).isInstanceOf(InferenceException.class)
                    .hasMessageContaining("injected UNet failure at timestep 595");
            assertThat(steps).as("steps completed before the failure").containsExactly(1, 2, 3, 4, 5);

            TryOnResult next = service.submit(TryOnServiceTest.request(2)
                    .parameters(TryOnParameters.builder().steps(3).build()).build()).get(60, TimeUnit.SECONDS);
            assertThat(next.image().width()).isEqualTo(384);
            assertThat(service.isHealthy()).isTrue();
            assertThat(TryOnServiceTest.requests(meters, "failed")).isEqualTo(1);
            assertThat(TryOnServiceTest.requests(meters, "completed")).isEqualTo(1);
        }
    }

    @Test
    void aSlowDripSourceTimesOutAloneAndTheNextRequestRuns() throws Exception {
        try (LoopbackServer server = new LoopbackServer();
             CatVTONPipeline toy = CatVTONPipeline.builder().modelDirectory(TestModels.toy()).build();
             TryOnService service = TryOnService.builder().pipeline(toy).build()) {
            server.on("/drip.jpg", exchange -> {
                exchange.sendResponseHeaders(200, 100_000);
                OutputStream out = exchange.getResponseBody();
                out.write(TryOnServiceTest.PERSON, 0, 10);
                out.flush();
                server.stall();
            });
            UrlFetcher impatient = UrlFetcher.builder().policy(UrlPolicy.builder().allow("127.0.0.1").build())
                    .timeout(Duration.ofMillis(500)).build();

            CompletableFuture<TryOnResult> dripping = service.submit(TryOnServiceTest.request(1)
                    .person(impatient.source(server.url("/drip.jpg"))).build());

            assertThat(cause(dripping)).isInstanceOfSatisfying(InvalidInputException.class, e -> {
                assertThat(e.input()).isEqualTo(Input.PERSON);
                assertThat(e.getCause()).isInstanceOfSatisfying(ImageSourceException.class,
                        source -> assertThat(source.kind()).isEqualTo(ImageSourceException.Kind.TIMEOUT));
            }).hasMessageContaining("drip.jpg");
            assertThat(service.submit(TryOnServiceTest.request(2).build()).get(60, TimeUnit.SECONDS).image()).isNotNull();
        }
    }

    @Test
    void aSinkThatFailsLeavesNoPartialFileAndTheNextResultIsStored() throws Exception {
        LocalDirectorySink sink = LocalDirectorySink.builder(temp.resolve("out")).build();
        ResultName blocked = new ResultName("u1", io.omoib.vton.preprocess.ClothType.UPPER, "t1");
        Files.createDirectories(sink.fileFor(blocked).resolve("in-the-way"));
        try (CatVTONPipeline toy = CatVTONPipeline.builder().modelDirectory(TestModels.toy()).build();
             TryOnService service = TryOnService.builder().pipeline(toy).sink(sink).build()) {
            CompletableFuture<TryOnResult> failing = service.submit(TryOnServiceTest.request(1)
                    .userId("u1").timestamp("t1").build());

            assertThat(cause(failing)).isInstanceOf(IOException.class);
            TryOnResult next = service.submit(TryOnServiceTest.request(2).userId("u1").timestamp("t2").build())
                    .get(60, TimeUnit.SECONDS);

            try (Stream<Path> files = Files.walk(temp.resolve("out"))) {
                assertThat(files.filter(Files::isRegularFile)).containsExactly(Path.of(next.location()));
            }
        }
    }
}

package io.omoib.vton.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.omoib.vton.pipeline.CatVTONPipeline;
import io.omoib.vton.pipeline.TestModels;
import io.omoib.vton.pipeline.TryOnParameters;
import io.omoib.vton.pipeline.WeightDtype;
import io.omoib.vton.preprocess.ClothType;
import io.omoib.vton.preprocess.Garments;
import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.preprocess.RgbImage;
import io.omoib.vton.preprocess.TryOnImages;
import io.omoib.vton.service.ProgressListener.Stage;
import io.omoib.vton.source.ImageSources;
import io.omoib.vton.source.UrlFetcher;
import io.omoib.vton.source.UrlPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The examples of docs/JAVA.md, run as written (with the repository's model path and a temporary folder). */
class ReadmeExampleTest {
    @TempDir
    Path in;

    @Test
    void readmeExampleWritesATryOn() throws IOException {
        TryOnImages prepared = TryOnImages.prepare(RgbImage.filled(600, 800, 90, 120, 150),
                RgbImage.filled(600, 800, 255, 255, 255), Garments.upper(RgbImage.filled(300, 300, 200, 20, 20)),
                ClothType.UPPER, 768, 1024);
        Path models = TestModels.repositoryRoot().resolve("models");

        // --- as in docs/JAVA.md ---
        try (CatVTONPipeline pipeline = CatVTONPipeline.builder()
                .modelDirectory(models.resolve("toy-catvton"))
                .weightDtype(WeightDtype.FLOAT32)                   // picks the cpu-float32 variant
                .build()) {
            TryOnParameters parameters = TryOnParameters.builder().steps(15).guidance(2.5f).seed(42).build();
            RgbImage result = pipeline.run(prepared, parameters);   // prepared: the TryOnImages above
            Files.write(in.resolve("result.jpg"), ImageCodec.defaults().encodeJpeg(result));
        }
        // ---

        RgbImage written = ImageCodec.defaults().decode(in.resolve("result.jpg"));
        assertThat(written.width()).isEqualTo(768);
        assertThat(written.height()).isEqualTo(1024);
        // The whole frame is masked and the garment is red: the toy paints it red.
        int centre = written.rgb(384, 512);
        assertThat((centre >> 16) & 0xFF).isGreaterThan(((centre >> 8) & 0xFF) + 50);
    }

    @Test
    void readmeServiceExampleStoresATryOn() throws Exception {
        ImageCodec codec = ImageCodec.defaults();
        Path photos = Files.createDirectories(in.resolve("photos"));
        Files.write(photos.resolve("person.jpg"), codec.encodeJpeg(RgbImage.filled(600, 800, 90, 120, 150)));
        Files.write(photos.resolve("mask.png"), codec.encodePng(RgbImage.filled(600, 800, 255, 255, 255)));
        Files.write(photos.resolve("shirt.jpg"), codec.encodeJpeg(RgbImage.filled(300, 300, 200, 20, 20)));
        Path models = TestModels.repositoryRoot().resolve("models");
        List<ProgressListener.Event> events = new CopyOnWriteArrayList<>();

        // --- as in docs/JAVA.md ---
        ImageSources sources = ImageSources.builder()
                .fetcher(UrlFetcher.builder()                                  // http(s): 5 s connect, 30 s total,
                        .policy(UrlPolicy.builder().allow("images.internal").build())  // 20 MiB, 3 redirects
                        .build())
                .allowFiles(true)                                              // a server leaves files off
                .build();
        try (CatVTONPipeline pipeline = CatVTONPipeline.builder().modelDirectory(models.resolve("toy-catvton")).build();
             TryOnService service = TryOnService.builder()
                     .pipeline(pipeline)
                     .queueCapacity(64)                                        // QueueFullException beyond
                     .maxBatch(4).maxWait(Duration.ofMillis(20))               // compatible requests share a run
                     .sink(LocalDirectorySink.builder(in.resolve("vton_output")).build())
                     .build()) {
            CompletableFuture<TryOnResult> pending = service.submit(TryOnRequest.builder()
                    .person(sources.resolve(photos.resolve("person.jpg").toString(), "person"))
                    .mask(sources.resolve(photos.resolve("mask.png").toString(), "mask"))
                    .upper(sources.resolve(photos.resolve("shirt.jpg").toString(), "upper"))
                    .clothType(ClothType.UPPER)
                    .parameters(TryOnParameters.builder().steps(15).seed(42).build())
                    .userId("u42").timestamp("1732900000")                     // name the stored result
                    .timeout(Duration.ofSeconds(55))
                    .progress(event -> events.add(event))
                    .build());
            TryOnResult result = pending.get();
            assertThat(result.location()).isEqualTo(in.resolve("vton_output/u42/u42_upper_1732900000.jpg").toUri());
        }
        // ---

        RgbImage stored = codec.decode(in.resolve("vton_output/u42/u42_upper_1732900000.jpg"));
        assertThat(stored.width()).isEqualTo(768);
        int centre = stored.rgb(384, 512);
        assertThat((centre >> 16) & 0xFF).isGreaterThan(((centre >> 8) & 0xFF) + 50);
        assertThat(events).extracting(ProgressListener.Event::stage).containsExactly(Stage.PREPARING, Stage.QUEUED,
                Stage.ENCODING, Stage.RUNNING, Stage.RUNNING, Stage.RUNNING, Stage.RUNNING, Stage.RUNNING, Stage.RUNNING,
                Stage.RUNNING, Stage.RUNNING, Stage.RUNNING, Stage.RUNNING, Stage.RUNNING, Stage.RUNNING, Stage.RUNNING,
                Stage.RUNNING, Stage.RUNNING, Stage.DECODING, Stage.STORING, Stage.DONE);
    }
}

package io.omoib.vton.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.omoib.vton.preprocess.ClothType;
import io.omoib.vton.preprocess.Garments;
import io.omoib.vton.preprocess.GrayImage;
import io.omoib.vton.preprocess.RgbImage;
import io.omoib.vton.preprocess.TryOnImages;
import io.omoib.vton.service.TryOnRequest;
import io.omoib.vton.service.TryOnService;
import io.omoib.vton.source.ImageSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Behaviour of {@link CatVTONPipeline} beyond numerical parity: batching, progress, cancellation, sizes, repaint. */
class CatVTONPipelineTest {
    private static CatVTONPipeline mini;
    private static CatVTONPipeline toy;
    private static TryOnImages images;

    @BeforeAll
    static void load() {
        mini = CatVTONPipeline.builder().modelDirectory(TestModels.mini()).build();
        toy = CatVTONPipeline.builder().modelDirectory(TestModels.toy()).build();
        images = TryOnImages.of(TestModels.rgb("person.png"), TestModels.gray("mask.png"), TestModels.rgb("garment.png"));
    }

    @AfterAll
    static void close() {
        mini.close();
        toy.close();
    }

    private static TryOnParameters quick(int seed) {
        return TryOnParameters.builder().steps(4).seed(seed).build();
    }

    @Test
    void aBatchGivesEachRequestWhatItGetsAlone() {
        RgbImage alone42 = mini.run(images, quick(42));
        RgbImage alone7 = mini.run(images, quick(7));

        List<RgbImage> batch = mini.runBatch(List.of(new PipelineInput(images, quick(42)),
                new PipelineInput(images, quick(7))), StepListener.NONE).images();

        assertThat(alone42).isNotEqualTo(alone7);
        assertThat(batch.get(0)).isEqualTo(alone42);
        assertThat(batch.get(1)).isEqualTo(alone7);
    }

    @Test
    void theSameSeedGivesTheSameImage() {
        assertThat(mini.run(images, quick(3))).isEqualTo(mini.run(images, quick(3)));
    }

    @Test
    void listenerHearsEveryStepInOrder() {
        List<String> heard = new ArrayList<>();

        mini.runBatch(List.of(new PipelineInput(images, quick(1))), (step, steps) -> heard.add(step + "/" + steps));

        assertThat(heard).containsExactly("1/4", "2/4", "3/4", "4/4");
    }

    @Test
    void theOutputHoldsTheImagesAndTheTimeSpentInsideTheModules() {
        PipelineOutput output = mini.runBatch(List.of(new PipelineInput(images, quick(5))), StepListener.NONE);

        assertThat(output.images()).containsExactly(mini.run(images, quick(5)));
        RunTimings t = output.timings();
        // Module time is measured around each module call, the stages around the whole run: the
        // modules run inside the stages, and the denoising loop calls the UNet at every step.
        assertThat(t.modules()).isPositive().isLessThanOrEqualTo(t.total());
        assertThat(t.denoise()).isPositive();
    }

    @Test
    void interruptingTheThreadCancelsBetweenSteps() {
        List<Integer> heard = new ArrayList<>();
        try {
            assertThatThrownBy(() -> mini.runBatch(List.of(new PipelineInput(images, quick(1))), (step, steps) -> {
                heard.add(step);
                if (step == 2) {
                    Thread.currentThread().interrupt();
                }
            })).isInstanceOf(CancellationException.class).hasMessageContaining("after 2 of 4 steps");
        } finally {
            Thread.interrupted();
        }
        assertThat(heard).containsExactly(1, 2);
        // The pipeline is still usable afterwards.
        assertThat(mini.run(images, quick(1)).width()).isEqualTo(384);
    }

    @Test
    void imagesOfASizeTheModelWasNotCheckedAtAreRefused() {
        TryOnImages odd = TryOnImages.of(RgbImage.filled(448, 512, 1, 2, 3), GrayImage.filled(448, 512, 255),
                RgbImage.filled(448, 512, 1, 2, 3));

        assertThatThrownBy(() -> toy.run(odd, quick(1)))
                .isInstanceOf(InvalidParameterException.class)
                .hasMessageContaining("768x1024 or 384x512")
                .hasMessageContaining("not 448x512");
    }

    @Test
    void runsWithTheSameStepCountShareOneSchedule() {
        DdimScheduler scheduler = mini.artifact().scheduler();
        // a step count no other test of this class runs, so that the first run is the one that plans it
        TryOnParameters twoSteps = TryOnParameters.builder().steps(2).build();
        int plannedBefore = scheduler.plannedSchedules();

        mini.run(images, twoSteps);
        int plannedAfterFirstRun = scheduler.plannedSchedules();
        mini.run(images, twoSteps.toBuilder().seed(9).build());

        assertThat(plannedAfterFirstRun).as("the first run plans its schedule").isEqualTo(plannedBefore + 1);
        assertThat(scheduler.plannedSchedules()).isEqualTo(plannedAfterFirstRun);
        DdimScheduler.Schedule planned = scheduler.schedule(2);
        assertThat(scheduler.plannedSchedules()).as("the runs' schedule is the cached one").isEqualTo(plannedAfterFirstRun);
        assertThat(scheduler.schedule(2)).isSameAs(planned);
    }

    @Test
    void aStepCountBeyondTheModelsTimestepsIsRefusedWithOneMessage(@TempDir Path dir) throws Exception {
        Path model = TestModels.copyOfToy(dir.resolve("toy"));
        Path config = model.resolve("catvton.json");
        Files.writeString(config, Files.readString(config)
                .replace("\"num_train_timesteps\": 1000", "\"num_train_timesteps\": 20"));
        TryOnParameters tooMany = TryOnParameters.builder().steps(21).build();
        String message = "steps must be between 1 and 20 (the model's training timesteps), got 21;"
                + " CatVTON uses 50, fewer is faster";

        try (CatVTONPipeline short20 = CatVTONPipeline.builder().modelDirectory(model).build();
             TryOnService service = TryOnService.builder().pipeline(short20).build()) {
            assertThatThrownBy(() -> short20.run(images, tooMany)).isInstanceOf(InvalidParameterException.class)
                    .hasMessage(message);
            TryOnRequest request = TryOnRequest.builder().clothType(ClothType.UPPER)
                    .person(ImageSource.of(new byte[0], "person")).mask(ImageSource.of(new byte[0], "mask"))
                    .upper(ImageSource.of(new byte[0], "upper")).parameters(tooMany).build();
            // refused when submitted, before any image is read
            assertThatThrownBy(() -> service.submit(request)).isInstanceOf(InvalidParameterException.class)
                    .hasMessage(message);
        }
    }

    @Test
    void batchesMustShareStepsGuidanceAndEta() {
        assertThatThrownBy(() -> toy.runBatch(List.of(new PipelineInput(images, quick(1)),
                new PipelineInput(images, quick(1).toBuilder().guidance(1f).build())), StepListener.NONE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("same steps, guidance and eta");
    }

    @Test
    void rawImagesArePreparedAtTheModelsDefaultSize() {
        RgbImage person = RgbImage.filled(300, 400, 200, 150, 120);
        RgbImage mask = RgbImage.filled(300, 400, 255, 255, 255);
        RgbImage shirt = RgbImage.filled(100, 100, 10, 200, 10);

        RgbImage result = toy.run(person, mask, Garments.upper(shirt), ClothType.UPPER, quick(1));

        assertThat(result.width()).isEqualTo(768);
        assertThat(result.height()).isEqualTo(1024);
        // The whole frame is masked, so the toy paints the garment there: green dominates.
        int centre = result.rgb(384, 512);
        assertThat((centre >> 8) & 0xFF).isGreaterThan((centre >> 16) & 0xFF);
    }

    @Test
    void repaintKeepsThePersonExactlyFarOutsideTheMask() {
        TryOnParameters plain = TryOnParameters.builder().steps(3).guidance(1f).build();
        RgbImage generated = toy.run(images, plain);
        RgbImage repainted = toy.run(images, plain.toBuilder().repaint(true).build());
        RgbImage person = images.person();

        // (5, 5) is far from the mask: the toy reproduces the person only up to its 8x8 VAE blocks,
        // the repainted result is the person itself.
        assertThat(generated.rgb(5, 5)).isNotEqualTo(person.rgb(5, 5));
        assertThat(repainted.rgb(5, 5)).isEqualTo(person.rgb(5, 5));
        // Deep inside the mask the generated pixels stay.
        assertThat(repainted.rgb(192, 300)).isEqualTo(generated.rgb(192, 300));
    }

    @Test
    void closedPipelineRefusesWork() {
        CatVTONPipeline pipeline = CatVTONPipeline.builder().modelDirectory(TestModels.toy()).build();
        pipeline.close();

        assertThatThrownBy(() -> pipeline.run(images, quick(1))).hasMessageContaining("closed");
    }
}

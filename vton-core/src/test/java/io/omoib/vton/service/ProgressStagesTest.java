package io.omoib.vton.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.omoib.vton.pipeline.CatVTONPipeline;
import io.omoib.vton.pipeline.PipelineInput;
import io.omoib.vton.pipeline.StepListener;
import io.omoib.vton.pipeline.TestModels;
import io.omoib.vton.pipeline.TryOnParameters;
import io.omoib.vton.preprocess.ClothType;
import io.omoib.vton.preprocess.Garments;
import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.preprocess.TryOnImages;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every phase of a pipeline run is told to its {@link StepListener}, in order (what a request hears of them is in
 * {@code TryOnServiceTest.progressFollowsTheRequestThroughEveryStage}).
 */
class ProgressStagesTest {
    private static CatVTONPipeline toy;

    @BeforeAll
    static void load() {
        toy = CatVTONPipeline.builder().modelDirectory(TestModels.toy()).build();
    }

    @AfterAll
    static void close() {
        toy.close();
    }

    @Test
    void thePipelineTellsEachPhaseBeforeItsWorkAndEachStepInside() {
        ImageCodec codec = ImageCodec.defaults();
        TryOnImages images = TryOnImages.prepare(codec.decode(TryOnServiceTest.PERSON, "person"),
                codec.decode(TryOnServiceTest.MASK, "mask"), Garments.upper(codec.decode(TryOnServiceTest.GARMENT, "garment")),
                ClothType.UPPER, 384, 512);
        List<String> heard = new ArrayList<>();

        toy.runBatch(List.of(new PipelineInput(images, TryOnParameters.builder().steps(3).build())), new StepListener() {
            @Override
            public void onStep(int step, int steps) {
                heard.add(step + "/" + steps);
            }

            @Override
            public void onPhase(Phase phase) {
                heard.add(phase.name());
            }
        });

        assertThat(heard).containsExactly("ENCODING", "DENOISING", "1/3", "2/3", "3/3", "DECODING");
    }
}

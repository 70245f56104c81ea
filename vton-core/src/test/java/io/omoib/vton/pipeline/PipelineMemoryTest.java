package io.omoib.vton.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.omoib.vton.preprocess.TryOnImages;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

/**
 * Native memory is returned after every run: no tensor outlives its run, counted exactly through DJL's
 * managers rather than read off the process's resident size (which other threads and the allocator move).
 */
class PipelineMemoryTest {

    @Test
    void noTensorOutlivesItsRunAloneOrBatched() {
        TryOnImages images = TryOnImages.of(TestModels.rgb("person.png"), TestModels.gray("mask.png"),
                TestModels.rgb("garment.png"));
        TryOnParameters parameters = TryOnParameters.builder().steps(5).build();
        try (CatVTONPipeline toy = CatVTONPipeline.builder().modelDirectory(TestModels.toy()).build()) {
            int before = toy.liveArrays();
            for (int i = 0; i < 20; i++) {
                toy.run(images, parameters.toBuilder().seed(i).eta(i % 2).guidance(i % 3 == 0 ? 1f : 2.5f).build());
                assertThat(toy.liveArrays()).as("arrays alive after run %d", i).isEqualTo(before);
            }
            toy.runBatch(List.of(new PipelineInput(images, parameters), new PipelineInput(images, parameters)),
                    StepListener.NONE);
            assertThat(toy.liveArrays()).as("arrays alive after a batch").isEqualTo(before);
        }
    }

    @Test
    void aRunCancelledMidwayReturnsItsTensorsToo() {
        TryOnImages images = TryOnImages.of(TestModels.rgb("person.png"), TestModels.gray("mask.png"),
                TestModels.rgb("garment.png"));
        try (CatVTONPipeline toy = CatVTONPipeline.builder().modelDirectory(TestModels.toy()).build()) {
            int before = toy.liveArrays();
            try {
                assertThatThrownBy(() -> toy.runBatch(List.of(new PipelineInput(images,
                        TryOnParameters.builder().steps(5).build())), (step, steps) -> {
                            if (step == 2) {
                                Thread.currentThread().interrupt();
                            }
                        })).isInstanceOf(CancellationException.class).hasMessageContaining("after 2 of 5 steps");
            } finally {
                Thread.interrupted();
            }
            assertThat(toy.liveArrays()).isEqualTo(before);
        }
    }
}

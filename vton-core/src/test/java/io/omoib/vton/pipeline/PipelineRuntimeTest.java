package io.omoib.vton.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.omoib.vton.preprocess.RgbImage;
import io.omoib.vton.preprocess.TryOnImages;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a pipeline runs on the machine: its intra-op threads, the warm-up, and what it says when a variant fails. */
class PipelineRuntimeTest {
    private static final TryOnParameters TWO_STEPS = TryOnParameters.builder().steps(2).build();

    @TempDir
    Path temp;

    private static TryOnImages images() {
        return TryOnImages.of(TestModels.rgb("person.png"), TestModels.gray("mask.png"), TestModels.rgb("garment.png"));
    }

    /** The thread count libtorch used for operators on the run's thread, read at each step. */
    private static List<Integer> threadsDuringRun(CatVTONPipeline pipeline) {
        List<Integer> seen = new ArrayList<>();
        pipeline.runBatch(List.of(new PipelineInput(images(), TWO_STEPS)), (step, steps) -> seen.add(TorchThreads.current()));
        return seen;
    }

    @Test
    void eachRunComputesWithItsPipelinesThreadCount() {
        try (CatVTONPipeline one = CatVTONPipeline.builder().modelDirectory(TestModels.toy()).threads(1).build();
             CatVTONPipeline three = CatVTONPipeline.builder().modelDirectory(TestModels.toy()).threads(3).build()) {
            assertThat(threadsDuringRun(one)).containsExactly(1, 1);
            assertThat(threadsDuringRun(three)).containsExactly(3, 3);
            assertThat(threadsDuringRun(one)).containsExactly(1, 1);
            assertThat(one.threads()).isEqualTo(1);
        }
    }

    @Test
    void theDefaultIsTheProcessorsAvailableAtMostLibtorchsOwnCount() {
        try (CatVTONPipeline pipeline = CatVTONPipeline.builder().modelDirectory(TestModels.toy()).build()) {
            assertThat(pipeline.threads()).isEqualTo(TorchThreads.defaultCount())
                    .isBetween(1, Runtime.getRuntime().availableProcessors());
            assertThat(threadsDuringRun(pipeline)).containsOnly(pipeline.threads());
        }
    }

    @Test
    void theThreadCountIsChecked() {
        assertThatThrownBy(() -> CatVTONPipeline.builder().threads(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("threads must be 1 to 1024, got 0");
    }

    @Test
    void theThreadCountDoesNotChangeTheImage() {
        TryOnImages images = images();
        try (CatVTONPipeline one = CatVTONPipeline.builder().modelDirectory(TestModels.mini()).threads(1).build();
             CatVTONPipeline two = CatVTONPipeline.builder().modelDirectory(TestModels.mini()).threads(2).build()) {
            double[] diff = TestModels.difference(one.run(images, TWO_STEPS), two.run(images, TWO_STEPS));
            // libtorch's kernels may split sums differently with the thread count: the float32 golden bound
            assertThat(diff[0]).as("max |1 thread - 2 threads|").isLessThanOrEqualTo(2);
            assertThat(diff[1]).as("mean |1 thread - 2 threads|").isLessThanOrEqualTo(0.25);
        }
    }

    @Test
    void warmUpLeavesNoTensorsAndDoesNotChangeResults() {
        RgbImage cold;
        try (CatVTONPipeline fresh = CatVTONPipeline.builder().modelDirectory(TestModels.mini()).build()) {
            cold = fresh.run(images(), TWO_STEPS);
        }
        try (CatVTONPipeline warmed = CatVTONPipeline.builder().modelDirectory(TestModels.mini()).build()) {
            int before = warmed.liveArrays();
            assertThat(warmed.warmUp()).isPositive();
            assertThat(warmed.liveArrays()).isEqualTo(before);
            assertThat(warmed.run(images(), TWO_STEPS)).isEqualTo(cold);
        }
    }

    @Test
    void warmUpRunsTheModulesAndReportsTheirFailure() throws IOException {
        Path toy = copyOfToyWithNanDecoder("cpu-float32");
        try (CatVTONPipeline pipeline = CatVTONPipeline.builder().modelDirectory(toy).build()) {
            assertThatThrownBy(pipeline::warmUp).isInstanceOf(InferenceException.class)
                    .hasMessageContaining("VAE decoder produced NaN or infinite values (variant cpu-float32)");
        }
    }

    @Test
    void nonFiniteOutputOfABfloat16VariantSuggestsFloat32() throws IOException {
        Path toy = copyOfToyWithNanDecoder("cpu-bfloat16");
        try (CatVTONPipeline pipeline = CatVTONPipeline.builder().modelDirectory(toy).weightDtype(WeightDtype.BFLOAT16)
                .build()) {
            assertThatThrownBy(() -> pipeline.run(images(), TWO_STEPS)).isInstanceOf(InferenceException.class)
                    .hasMessageContaining("(variant cpu-bfloat16)")
                    .hasMessageContaining("try the float32 variant")
                    .hasMessageNotContaining("float16 can overflow");
        }
    }

    private Path copyOfToyWithNanDecoder(String variant) throws IOException {
        Path target = TestModels.copyOfToy(temp.resolve("toy"));
        try (InputStream nan = PipelineRuntimeTest.class.getResourceAsStream("/broken/nan_vae_decoder.pt")) {
            Files.copy(nan, target.resolve(variant + "/vae_decoder.pt"), StandardCopyOption.REPLACE_EXISTING);
        }
        return target;
    }
}

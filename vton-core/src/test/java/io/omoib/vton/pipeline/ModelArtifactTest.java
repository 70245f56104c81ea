package io.omoib.vton.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading and validating model directories, and the errors a broken one gives. */
class ModelArtifactTest {
    @TempDir
    Path temp;

    @Test
    void readsTheBundledToyModel() {
        ModelArtifact toy = ModelArtifact.load(TestModels.toy());

        assertThat(toy.name()).isEqualTo("toy-catvton");
        assertThat(toy.width()).isEqualTo(768);
        assertThat(toy.height()).isEqualTo(1024);
        assertThat(toy.sizes()).containsExactly(new ModelArtifact.Size(768, 1024), new ModelArtifact.Size(384, 512));
        assertThat(toy.sizes()).extracting(ModelArtifact.Size::toString).containsExactly("768x1024", "384x512");
        assertThat(toy.scalingFactor()).isEqualTo(0.18215f);
        assertThat(toy.variants()).extracting(ModelArtifact.Variant::id).containsExactly("cpu-float32", "cpu-bfloat16");
        // leading spacing, steps_offset 1: 14 * (1000 // 15) + 1
        assertThat(toy.scheduler().schedule(15).timestep(0)).isEqualTo(925);
    }

    @Test
    void aMissingVariantIsNamedWithTheOnesAvailable() {
        ModelArtifact toy = ModelArtifact.load(TestModels.toy());

        assertThatThrownBy(() -> toy.variant("cuda", WeightDtype.FLOAT16))
                .isInstanceOf(ModelArtifactException.class)
                .hasMessageContaining("no cuda-float16 variant")
                .hasMessageContaining("cpu-float32, cpu-bfloat16");
    }

    @Test
    void aMissingDirectoryOrManifestSaysWhatIsMissing() throws IOException {
        assertThatThrownBy(() -> ModelArtifact.load(temp.resolve("nowhere")))
                .isInstanceOf(ModelArtifactException.class).hasMessageContaining("does not exist");
        Files.createDirectories(temp.resolve("empty"));
        assertThatThrownBy(() -> ModelArtifact.load(temp.resolve("empty")))
                .isInstanceOf(ModelArtifactException.class).hasMessageContaining("has no catvton.json");
    }

    @Test
    void malformedManifestIsReported() throws IOException {
        Path copy = copyOfToy();
        Files.writeString(copy.resolve("catvton.json"), "{\"format\": ", StandardCharsets.UTF_8);

        assertThatThrownBy(() -> ModelArtifact.load(copy))
                .isInstanceOf(ModelArtifactException.class).hasMessageContaining("cannot read");
    }

    @Test
    void wrongFormatVersionIsReported() throws IOException {
        Path copy = copyOfToy();
        rewriteManifest(copy, "\"format_version\": 1", "\"format_version\": 7");

        assertThatThrownBy(() -> ModelArtifact.load(copy))
                .isInstanceOf(ModelArtifactException.class).hasMessageContaining("format_version 7");
    }

    @Test
    void aSchedulerBlockWithoutTimestepSpacingTakesDiffusersDefault() throws IOException {
        Path copy = copyOfToy();
        rewriteManifest(copy, "\"timestep_spacing\": \"leading\"", "\"_class_name\": \"PNDMScheduler\"");

        DdimScheduler scheduler = ModelArtifact.load(copy).scheduler();

        assertThat(scheduler.schedule(10).timestep(0)).isEqualTo(ModelArtifact.load(TestModels.toy()).scheduler()
                .schedule(10).timestep(0));
    }

    @Test
    void aMalformedSchedulerSettingIsNamed() throws IOException {
        Path copy = copyOfToy();
        rewriteManifest(copy, "\"timestep_spacing\": \"leading\"", "\"timestep_spacing\": 3");

        assertThatThrownBy(() -> ModelArtifact.load(copy))
                .isInstanceOf(ModelArtifactException.class)
                .hasMessageContaining("catvton.json")
                .hasMessageContaining("timestep_spacing must be one of leading, trailing, linspace, got 3");
    }

    @Test
    void aMissingModuleFileIsNamed() throws IOException {
        Path copy = copyOfToy();
        Files.delete(copy.resolve("cpu-float32/unet.pt"));

        assertThatThrownBy(() -> ModelArtifact.load(copy))
                .isInstanceOf(ModelArtifactException.class)
                .hasMessageContaining("cpu-float32/unet.pt")
                .hasMessageContaining("does not exist");
    }

    @Test
    void aCorruptModuleFailsItsChecksum() throws IOException {
        Path copy = copyOfToy();
        Path unet = copy.resolve("cpu-float32/unet.pt");
        byte[] bytes = Files.readAllBytes(unet);
        bytes[bytes.length / 2] ^= 1;
        Files.write(unet, bytes);

        ModelArtifact artifact = ModelArtifact.load(copy);
        assertThatThrownBy(() -> artifact.verifyChecksums(artifact.variant("cpu", WeightDtype.FLOAT32)))
                .isInstanceOf(ModelArtifactException.class)
                .hasMessageContaining("unet.pt is corrupt");
    }

    @Test
    void aModuleThatIsNotTorchScriptFailsToLoadWithItsName() throws IOException {
        Path copy = copyOfToy();
        Files.writeString(copy.resolve("cpu-float32/vae_decoder.pt"), "not a model");

        assertThatThrownBy(() -> CatVTONPipeline.builder().modelDirectory(copy).build())
                .isInstanceOf(ModelArtifactException.class)
                .hasMessageContaining("vae_decoder.pt");
    }

    @Test
    void aDecoderThatYieldsNanIsReportedInsteadOfABlackImage() throws IOException {
        Path copy = copyOfToy();
        try (var nan = ModelArtifactTest.class.getResourceAsStream("/broken/nan_vae_decoder.pt")) {
            Files.copy(nan, copy.resolve("cpu-float32/vae_decoder.pt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        io.omoib.vton.preprocess.TryOnImages images = io.omoib.vton.preprocess.TryOnImages.of(
                TestModels.rgb("person.png"), TestModels.gray("mask.png"), TestModels.rgb("garment.png"));

        try (CatVTONPipeline pipeline = CatVTONPipeline.builder().modelDirectory(copy).build()) {
            assertThatThrownBy(() -> pipeline.run(images, TryOnParameters.builder().steps(2).build()))
                    .isInstanceOf(InferenceException.class)
                    .hasMessageContaining("NaN or infinite")
                    .hasMessageContaining("cpu-float32");
        }
    }

    @Test
    void filesOutsideTheDirectoryAreRefused() throws IOException {
        Path copy = copyOfToy();
        rewriteManifest(copy, "\"cpu-float32/unet.pt\",", "\"../../etc/passwd\",");

        assertThatThrownBy(() -> ModelArtifact.load(copy))
                .isInstanceOf(ModelArtifactException.class).hasMessageContaining("outside the model directory");
    }

    private Path copyOfToy() throws IOException {
        return TestModels.copyOfToy(temp.resolve("toy"));
    }

    private static void rewriteManifest(Path dir, String from, String to) throws IOException {
        Path manifest = dir.resolve("catvton.json");
        String text = Files.readString(manifest);
        assertThat(text).contains(from);
        Files.writeString(manifest, text.replace(from, to));
    }
}

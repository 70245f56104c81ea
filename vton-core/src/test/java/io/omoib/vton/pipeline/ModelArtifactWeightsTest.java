package io.omoib.vton.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.omoib.vton.pipeline.ModelArtifact.Weights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The manifest's {@code weights} field: what the bundled test models declare, its default, a bad value. */
class ModelArtifactWeightsTest {
    @TempDir
    Path temp;

    @Test
    void theBundledTestModelsSayTheirWeightsAreNotTrained() {
        assertThat(ModelArtifact.load(TestModels.toy()).weights()).isEqualTo(Weights.ANALYTIC);
        assertThat(ModelArtifact.load(TestModels.mini()).weights()).isEqualTo(Weights.RANDOM);
        assertThat(ModelArtifact.load(TestModels.repositoryRoot().resolve("models/diffusers-tiny-catvton")).weights())
                .isEqualTo(Weights.RANDOM);
    }

    @Test
    void aManifestWithoutTheFieldIsAnExportOfTrainedWeights() throws IOException {
        Path copy = rewritten("  \"weights\": \"analytic\",\n", "");

        assertThat(ModelArtifact.load(copy).weights()).isEqualTo(Weights.TRAINED);
    }

    @Test
    void anUnknownValueIsNamedWithTheOnesAllowed() throws IOException {
        Path copy = rewritten("\"weights\": \"analytic\"", "\"weights\": \"pretrained\"");

        assertThatThrownBy(() -> ModelArtifact.load(copy)).isInstanceOf(ModelArtifactException.class)
                .hasMessageContaining("weights 'pretrained'").hasMessageContaining("trained, random or analytic");
    }

    private Path rewritten(String from, String to) throws IOException {
        Path copy = TestModels.copyOfToy(temp.resolve("toy"));
        Path manifest = copy.resolve("catvton.json");
        String text = Files.readString(manifest);
        assertThat(text).contains(from);
        Files.writeString(manifest, text.replace(from, to));
        return copy;
    }
}

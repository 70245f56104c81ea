package io.omoib.vton.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --dtype auto}: the variant each kind of machine runs, given the CPU flags Linux reports. */
class DtypeChoiceTest {
    /** Flags of the three CPU families the project has met (abridged /proc/cpuinfo). */
    private static final Set<String> AVX2_ONLY = Set.of("sse4_2", "avx", "avx2", "fma");
    private static final Set<String> ZEN4 = Set.of("avx2", "avx512f", "avx512bw", "avx512_vnni", "avx512_bf16");
    private static final Set<String> SAPPHIRE_RAPIDS = Set.of("avx2", "avx512f", "avx512_bf16", "amx_tile", "amx_bf16",
            "amx_int8");

    @TempDir
    Path temp;

    /** @return an artifact with the toy's settings and these variants, whose files are empty (nothing is loaded) */
    private ModelArtifact artifactWith(String... variants) throws IOException {
        Path dir = Files.createTempDirectory(temp, "artifact");
        JsonObject manifest = JsonParser.parseString(Files.readString(TestModels.toy().resolve("catvton.json")))
                .getAsJsonObject();
        JsonArray list = new JsonArray();
        for (String id : variants) {
            JsonObject v = new JsonObject();
            v.addProperty("device", id.substring(0, id.indexOf('-')));
            v.addProperty("dtype", id.substring(id.indexOf('-') + 1));
            Files.createDirectories(dir.resolve(id));
            for (String module : new String[] {"vae_encoder", "unet", "vae_decoder"}) {
                v.addProperty(module, id + "/" + module + ".pt");
                Files.createFile(dir.resolve(id + "/" + module + ".pt"));
            }
            list.add(v);
        }
        manifest.add("variants", list);
        Files.writeString(dir.resolve("catvton.json"), manifest.toString());
        return ModelArtifact.load(dir);
    }

    @Test
    void aCpuWithAmxRunsBfloat16WhenTheModelHasIt() throws IOException {
        DtypeChoice choice = DtypeChoice.auto(artifactWith("cpu-float32", "cpu-bfloat16"), Device.cpu(), SAPPHIRE_RAPIDS);

        assertThat(choice.dtype()).isEqualTo(WeightDtype.BFLOAT16);
        assertThat(choice.reason()).contains("AMX");
    }

    @Test
    void cpusWithoutAmxRunFloat32EvenWithAvx512Bfloat16() throws IOException {
        ModelArtifact both = artifactWith("cpu-float32", "cpu-bfloat16");
        for (Set<String> flags : List.of(AVX2_ONLY, ZEN4, Set.<String>of())) {
            DtypeChoice choice = DtypeChoice.auto(both, Device.cpu(), flags);
            assertThat(choice.dtype()).as("flags %s", flags).isEqualTo(WeightDtype.FLOAT32);
            assertThat(choice.reason()).contains("no AMX");
        }
    }

    @Test
    void aCpuWithAmxRunsFloat32WhenTheModelHasNoBfloat16Variant() throws IOException {
        DtypeChoice choice = DtypeChoice.auto(artifactWith("cpu-float32", "cuda-float16"), Device.cpu(), SAPPHIRE_RAPIDS);

        assertThat(choice.dtype()).isEqualTo(WeightDtype.FLOAT32);
        assertThat(choice.reason()).contains("no cpu-bfloat16 variant");
    }

    @Test
    void aGpuRunsFloat16ThenBfloat16ThenFloat32() throws IOException {
        assertThat(DtypeChoice.auto(artifactWith("cuda-bfloat16", "cuda-float16", "cpu-float32"), Device.gpu(), Set.of())
                .dtype()).isEqualTo(WeightDtype.FLOAT16);
        assertThat(DtypeChoice.auto(artifactWith("cuda-bfloat16", "cpu-float32"), Device.gpu(), Set.of()).dtype())
                .isEqualTo(WeightDtype.BFLOAT16);
        assertThat(DtypeChoice.auto(artifactWith("cuda-float32", "cpu-bfloat16"), Device.gpu(), SAPPHIRE_RAPIDS).dtype())
                .isEqualTo(WeightDtype.FLOAT32);
    }

    @Test
    void thisMachinesChoiceFollowsItsOwnFlags() {
        ModelArtifact toy = ModelArtifact.load(TestModels.toy());
        boolean amx = CpuFeatures.flags().contains("amx_bf16");

        assertThat(DtypeChoice.auto(toy, Device.cpu()).dtype()).isEqualTo(amx ? WeightDtype.BFLOAT16 : WeightDtype.FLOAT32);
    }
}

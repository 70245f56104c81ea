package io.omoib.vton.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.omoib.vton.preprocess.RgbImage;
import io.omoib.vton.preprocess.TryOnImages;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Parity with the Python reference pipeline ({@code tools/export/reference_pipeline.py} on the same
 * TorchScript files, PyTorch 1.13): the mini model (random weights, real structure) and the toy model
 * (closed form), float32 and bfloat16, with and without guidance, eta 0 and 1, several seeds.
 */
class CatVTONPipelineGoldenTest {
    private static final Map<String, CatVTONPipeline> PIPELINES = new HashMap<>();

    static Stream<Arguments> cases() {
        JsonObject index;
        try (Reader in = new InputStreamReader(CatVTONPipelineGoldenTest.class.getResourceAsStream("/golden/cases.json"),
                StandardCharsets.UTF_8)) {
            index = JsonParser.parseReader(in).getAsJsonObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return StreamSupport.stream(index.getAsJsonArray("cases").spliterator(), false)
                .map(JsonElement::getAsJsonObject)
                .map(c -> Arguments.of(c.get("id").getAsString(), c));
    }

    @AfterAll
    static void closePipelines() {
        PIPELINES.values().forEach(CatVTONPipeline::close);
    }

    private static CatVTONPipeline pipeline(String model, String dtype) {
        return PIPELINES.computeIfAbsent(model + "/" + dtype, key -> CatVTONPipeline.builder()
                .modelDirectory(TestModels.repositoryRoot().resolve(model))
                .weightDtype(WeightDtype.parse(dtype))
                .verifyChecksums(true)
                .build());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTheReferencePipeline(String id, JsonObject c) {
        TryOnImages images = TryOnImages.of(TestModels.rgb(c.get("person").getAsString()),
                TestModels.gray(c.get("mask").getAsString()), TestModels.rgb(c.get("garment").getAsString()));
        TryOnParameters parameters = TryOnParameters.builder()
                .steps(c.get("steps").getAsInt())
                .guidance(c.get("guidance").getAsFloat())
                .eta(c.get("eta").getAsFloat())
                .seed(c.get("seed").getAsInt())
                .build();

        RgbImage result = pipeline(c.get("model").getAsString(), c.get("dtype").getAsString())
                .runBatch(List.of(images), List.of(parameters), StepListener.NONE).get(0);

        JsonObject tolerance = c.getAsJsonObject("tolerance");
        double[] diff = TestModels.difference(result, TestModels.rgb(c.get("expected").getAsString()));
        assertThat(diff[0]).as("max |Java - Python| of %s", id).isLessThanOrEqualTo(tolerance.get("max_abs").getAsDouble());
        assertThat(diff[1]).as("mean |Java - Python| of %s", id).isLessThanOrEqualTo(tolerance.get("mean_abs").getAsDouble());
        if (c.has("closed_form")) {
            double[] closed = TestModels.difference(result, TestModels.rgb(c.get("closed_form").getAsString()));
            assertThat(closed[0]).as("max |Java - closed form| of %s", id)
                    .isLessThanOrEqualTo(tolerance.get("max_abs").getAsDouble());
        }
    }
}

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
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Parity with Python, case by case from the golden folders' {@code cases.json}:
 * <ul>
 *   <li>{@code golden/diffusers}: CatVTON's own {@code CatVTONPipeline.__call__} on diffusers 0.29.2's
 *       UNet and VAE (random weights, SD-1.5 inpainting layout, CatVTON's attention checkpoint), against
 *       the artifact {@code tools/export/export_catvton.py} made of the same folder: upper, lower and
 *       overall, with and without guidance, eta 0 and 1, two seeds, two sizes, float32 and bfloat16;</li>
 *   <li>{@code golden}: {@code tools/reference/reference_pipeline.py} on the mini model (random weights,
 *       real structure) and the toy model (closed form).</li>
 * </ul>
 */
class CatVTONPipelineGoldenTest {
    private static final Map<String, CatVTONPipeline> PIPELINES = new HashMap<>();

    static Stream<Arguments> cases() {
        return Stream.of("", "diffusers/").flatMap(CatVTONPipelineGoldenTest::casesIn);
    }

    /** @param folder a folder under {@code golden/}, with its trailing slash; case paths are relative to it */
    private static Stream<Arguments> casesIn(String folder) {
        JsonObject index;
        try (Reader in = new InputStreamReader(CatVTONPipelineGoldenTest.class.getResourceAsStream(
                "/golden/" + folder + "cases.json"), StandardCharsets.UTF_8)) {
            index = JsonParser.parseReader(in).getAsJsonObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return StreamSupport.stream(index.getAsJsonArray("cases").spliterator(), false)
                .map(JsonElement::getAsJsonObject)
                .map(c -> Arguments.of(c.get("id").getAsString(), folder, c));
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

    private static TryOnImages images(String folder, JsonObject c) {
        return TryOnImages.of(TestModels.rgb(folder + c.get("person").getAsString()),
                TestModels.gray(folder + c.get("mask").getAsString()),
                TestModels.rgb(folder + c.get("garment").getAsString()));
    }

    private static TryOnParameters.Builder parameters(JsonObject c) {
        return TryOnParameters.builder()
                .steps(c.get("steps").getAsInt())
                .guidance(c.get("guidance").getAsFloat())
                .eta(c.get("eta").getAsFloat())
                .seed(c.get("seed").getAsInt());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesThePythonPipeline(String id, String folder, JsonObject c) {
        RgbImage result = pipeline(c.get("model").getAsString(), c.get("dtype").getAsString())
                .run(images(folder, c), parameters(c).build());

        JsonObject tolerance = c.getAsJsonObject("tolerance");
        double[] diff = TestModels.difference(result, TestModels.rgb(folder + c.get("expected").getAsString()));
        assertThat(diff[0]).as("max |Java - Python| of %s", id).isLessThanOrEqualTo(tolerance.get("max_abs").getAsDouble());
        assertThat(diff[1]).as("mean |Java - Python| of %s", id).isLessThanOrEqualTo(tolerance.get("mean_abs").getAsDouble());
        if (c.has("closed_form")) {
            double[] closed = TestModels.difference(result, TestModels.rgb(folder + c.get("closed_form").getAsString()));
            assertThat(closed[0]).as("max |Java - closed form| of %s", id)
                    .isLessThanOrEqualTo(tolerance.get("max_abs").getAsDouble());
        }
    }

    /**
     * The first case of each model and dtype with random weights (the toy model is built to give its
     * closed form whatever the seed).
     */
    static Stream<Arguments> seededCases() {
        Set<String> seen = new HashSet<>();
        return cases().filter(a -> {
            JsonObject c = (JsonObject) a.get()[2];
            String model = c.get("model").getAsString();
            return !model.equals("models/toy-catvton") && seen.add(model + "/" + c.get("dtype").getAsString());
        });
    }

    /** The comparison can fail: the same case with the next seed is far outside its tolerance. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("seededCases")
    void anotherSeedIsOutsideTheTolerance(String id, String folder, JsonObject c) {
        RgbImage result = pipeline(c.get("model").getAsString(), c.get("dtype").getAsString())
                .run(images(folder, c), parameters(c).seed(c.get("seed").getAsInt() + 1).build());

        double[] diff = TestModels.difference(result, TestModels.rgb(folder + c.get("expected").getAsString()));
        assertThat(diff[1]).as("mean |Java with seed + 1 - Python| of %s", id)
                .isGreaterThan(4 * c.getAsJsonObject("tolerance").get("mean_abs").getAsDouble());
    }
}

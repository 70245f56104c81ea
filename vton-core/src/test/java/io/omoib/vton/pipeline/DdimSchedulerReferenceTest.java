package io.omoib.vton.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link DdimScheduler} against the independent Python implementation in
 * {@code tools/reference/reference_pipeline.py} (itself checked against diffusers): every spacing,
 * step count, eta, prediction type, {@code set_alpha_to_one} and {@code steps_offset} it dumped to
 * {@code ddim/*.json}.
 */
class DdimSchedulerReferenceTest {
    private static NDManager manager;

    @BeforeAll
    static void startEngine() {
        manager = NDManager.newBaseManager("PyTorch");
    }

    @AfterAll
    static void stopEngine() {
        manager.close();
    }

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (String file : List.of("ddim_leading.json", "ddim_trailing.json", "ddim_linspace.json")) {
            JsonObject root = read("/ddim/" + file);
            for (JsonElement c : root.getAsJsonArray("cases")) {
                JsonObject testCase = c.getAsJsonObject();
                all.add(Arguments.of(file + " " + describe(testCase), root, testCase));
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTheReference(String name, JsonObject root, JsonObject testCase) {
        DdimScheduler scheduler = schedulerFor(testCase.getAsJsonObject("config"));
        int steps = testCase.get("num_inference_steps").getAsInt();
        float eta = testCase.get("eta").getAsFloat();
        DdimScheduler.Schedule schedule = scheduler.schedule(steps);

        assertThat(schedule.timesteps()).containsExactly(ints(testCase.getAsJsonArray("timesteps")));
        int[] prev = ints(testCase.getAsJsonArray("prev_timesteps"));
        float[] variance = floats(testCase.getAsJsonArray("variance"));
        float[] alphaProd = floats(testCase.getAsJsonArray("alpha_prod_t"));
        for (int i = 0; i < steps; i++) {
            int t = schedule.timestep(i);
            assertThat(scheduler.alphasCumprod()[t]).isCloseTo(alphaProd[i], within(1e-6f * alphaProd[i]));
            assertThat(scheduler.variance(t, prev[i])).isCloseTo(variance[i], within(1e-6f + 1e-5f * variance[i]));
        }

        Shape shape = new Shape(java.util.Arrays.stream(ints(root.getAsJsonArray("shape"))).asLongStream().toArray());
        try (NDManager m = manager.newSubManager()) {
            NDArray sample = m.create(floats(root.getAsJsonArray("sample")), shape);
            NDArray output = m.create(floats(root.getAsJsonArray("model_output")), shape);
            NDArray noise = m.create(floats(root.getAsJsonArray("variance_noise")), shape);
            for (JsonElement s : testCase.getAsJsonArray("steps")) {
                JsonObject step = s.getAsJsonObject();
                float[] expected = floats(step.getAsJsonArray("prev_sample"));
                float[] actual = schedule.step(step.get("index").getAsInt(), output, sample, eta, noise).toFloatArray();
                for (int k = 0; k < expected.length; k++) {
                    assertThat(actual[k]).as("prev_sample[%d] at step %s", k, step.get("index"))
                            .isCloseTo(expected[k], within(1e-5f * Math.max(1f, Math.abs(expected[k]))));
                }
            }
        }
    }

    private static DdimScheduler schedulerFor(JsonObject config) {
        return DdimScheduler.builder()
                .numTrainTimesteps(config.get("num_train_timesteps").getAsInt())
                .betaStart(config.get("beta_start").getAsDouble())
                .betaEnd(config.get("beta_end").getAsDouble())
                .betaSchedule(DdimScheduler.BetaSchedule.valueOf(upper(config, "beta_schedule")))
                .clipSample(config.get("clip_sample").getAsBoolean())
                .stepsOffset(config.get("steps_offset").getAsInt())
                .setAlphaToOne(config.get("set_alpha_to_one").getAsBoolean())
                .predictionType(DdimScheduler.PredictionType.valueOf(upper(config, "prediction_type")))
                .timestepSpacing(DdimScheduler.TimestepSpacing.valueOf(upper(config, "timestep_spacing")))
                .build();
    }

    private static String describe(JsonObject c) {
        JsonObject config = c.getAsJsonObject("config");
        return String.format(Locale.ROOT, "steps=%d eta=%s %s alpha_to_one=%s offset=%d",
                c.get("num_inference_steps").getAsInt(), c.get("eta").getAsString(),
                config.get("prediction_type").getAsString(), config.get("set_alpha_to_one").getAsBoolean(),
                config.get("steps_offset").getAsInt());
    }

    private static String upper(JsonObject o, String key) {
        return o.get(key).getAsString().toUpperCase(Locale.ROOT);
    }

    private static JsonObject read(String resource) {
        try (Reader in = new InputStreamReader(DdimSchedulerReferenceTest.class.getResourceAsStream(resource),
                StandardCharsets.UTF_8)) {
            return JsonParser.parseReader(in).getAsJsonObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int[] ints(JsonArray array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).getAsInt();
        }
        return out;
    }

    private static float[] floats(JsonArray array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).getAsFloat();
        }
        return out;
    }
}

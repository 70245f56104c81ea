package io.omoib.vton.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.omoib.vton.pipeline.DdimScheduler.BetaSchedule;
import io.omoib.vton.pipeline.DdimScheduler.PredictionType;
import io.omoib.vton.pipeline.DdimScheduler.TimestepSpacing;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link DdimScheduler} against numbers published outside this project: diffusers' own
 * {@code tests/schedulers/test_scheduler_ddim.py} and values printed by PyTorch 1.13.
 */
class DdimSchedulerTest {
    private static NDManager manager;

    @BeforeAll
    static void startEngine() {
        manager = NDManager.newBaseManager("PyTorch");
    }

    @AfterAll
    static void stopEngine() {
        manager.close();
    }

    /** diffusers' test config: linear betas 0.0001..0.02, clip_sample on. */
    private static DdimScheduler.Builder diffusersTestConfig() {
        return DdimScheduler.builder().betaStart(0.0001).betaEnd(0.02)
                .betaSchedule(DdimScheduler.BetaSchedule.LINEAR).clipSample(true);
    }

    /** diffusers' {@code dummy_sample_deter}: arange(768) shaped [3,8,8,4] / 768, permuted to [4,3,8,8]. */
    private static NDArray dummySample(NDManager m) {
        return m.arange(0f, 768f, 1f).reshape(3, 8, 8, 4).div(768f).transpose(3, 0, 1, 2);
    }

    /** diffusers' full loop: 10 steps, eta 0, model(sample, t) = sample * t / (t + 1). */
    private static float[] fullLoopSumAndMean(DdimScheduler scheduler) {
        try (NDManager m = manager.newSubManager()) {
            DdimScheduler.Schedule schedule = scheduler.schedule(10);
            NDArray sample = dummySample(m);
            for (int i = 0; i < schedule.size(); i++) {
                float t = schedule.timestep(i);
                NDArray residual = sample.mul(t).div(t + 1);
                sample = schedule.step(i, residual, sample, 0f, null);
            }
            NDArray abs = sample.abs();
            return new float[] {abs.sum().getFloat(), abs.mean().getFloat()};
        }
    }

    @Test
    void fullLoopMatchesDiffusersPublishedResult() {
        float[] result = fullLoopSumAndMean(diffusersTestConfig().build());

        assertThat(result[0]).isCloseTo(172.0067f, within(1e-2f));
        assertThat(result[1]).isCloseTo(0.223967f, within(1e-3f));
    }

    @Test
    void fullLoopWithVPredictionMatchesDiffusers() {
        float[] result = fullLoopSumAndMean(diffusersTestConfig().predictionType(PredictionType.V_PREDICTION).build());

        assertThat(result[0]).isCloseTo(52.5302f, within(1e-2f));
        assertThat(result[1]).isCloseTo(0.0684f, within(1e-3f));
    }

    @Test
    void setAlphaToOneChangesTheLastStepAsInDiffusers() {
        float[] withOne = fullLoopSumAndMean(diffusersTestConfig().betaStart(0.01).setAlphaToOne(true).build());
        float[] withoutOne = fullLoopSumAndMean(diffusersTestConfig().betaStart(0.01).setAlphaToOne(false).build());

        assertThat(withOne[0]).isCloseTo(149.8295f, within(1e-2f));
        assertThat(withOne[1]).isCloseTo(0.1951f, within(1e-3f));
        assertThat(withoutOne[0]).isCloseTo(149.0784f, within(1e-2f));
        assertThat(withoutOne[1]).isCloseTo(0.1941f, within(1e-3f));
    }

    @Test
    void varianceMatchesDiffusers() {
        DdimScheduler scheduler = diffusersTestConfig().build();

        assertThat(scheduler.variance(0, 0)).isCloseTo(0f, within(1e-5f));
        assertThat(scheduler.variance(420, 400)).isCloseTo(0.14771f, within(1e-5f));
        assertThat(scheduler.variance(980, 960)).isCloseTo(0.32460f, within(1e-5f));
        assertThat(scheduler.variance(487, 486)).isCloseTo(0.00979f, within(1e-5f));
        assertThat(scheduler.variance(999, 998)).isCloseTo(0.02f, within(1e-5f));
    }

    @Test
    void leadingSpacingAddsTheStepsOffset() {
        DdimScheduler scheduler = diffusersTestConfig().stepsOffset(1).build();

        assertThat(scheduler.schedule(5).timesteps()).containsExactly(801, 601, 401, 201, 1);
    }

    @Test
    void trailingAndLinspaceSpacingsMatchNumpy() {
        // numpy: round(arange(1000, 0, -1000/7)) - 1 and round(linspace(0, 999, 7))[::-1]
        assertThat(diffusersTestConfig().timestepSpacing(TimestepSpacing.TRAILING).build().schedule(7).timesteps())
                .containsExactly(999, 856, 713, 570, 428, 285, 142);
        assertThat(diffusersTestConfig().timestepSpacing(TimestepSpacing.LINSPACE).build().schedule(7).timesteps())
                .containsExactly(999, 832, 666, 500, 333, 166, 0);
    }

    @Test
    void scaledLinearAlphasMatchPyTorchToAMillionth() {
        float[] acp = DdimScheduler.builder().betaStart(0.00085).betaEnd(0.012)
                .betaSchedule(DdimScheduler.BetaSchedule.SCALED_LINEAR).build().alphasCumprod();

        // torch.cumprod(1 - torch.linspace(0.00085**0.5, 0.012**0.5, 1000, dtype=torch.float32)**2, 0);
        // torch's vectorised linspace rounds some betas an ulp away from the scalar formula.
        assertThat(acp[0]).isEqualTo(0.9991499781608582f);
        assertThat(acp[1]).isEqualTo(0.9982960224151611f);
        assertThat(acp[500]).isCloseTo(0.2763324975967407f, within(1e-6f * 0.2763325f));
        assertThat(acp[999]).isCloseTo(0.0046600960195064545f, within(1e-6f * 0.00466f));
    }

    @Test
    void etaAddsScaledNoise() {
        DdimScheduler scheduler = diffusersTestConfig().clipSample(false).build();
        DdimScheduler.Schedule schedule = scheduler.schedule(10);
        try (NDManager m = manager.newSubManager()) {
            NDArray sample = m.ones(new Shape(1, 4));
            NDArray output = m.zeros(new Shape(1, 4));
            NDArray noise = m.ones(new Shape(1, 4));

            float deterministic = schedule.step(3, output, sample, 0f, null).getFloat(0, 0);
            float noisy = schedule.step(3, output, sample, 1f, noise).getFloat(0, 0);
            int t = schedule.timestep(3);
            float std = (float) Math.sqrt(scheduler.variance(t, t - 100));

            // With eta = 1 the direction term shrinks and std * noise is added.
            float aPrev = scheduler.alphasCumprod()[t - 100];
            float a = scheduler.alphasCumprod()[t];
            float x0 = 1 / (float) Math.sqrt(a);
            assertThat(deterministic).isCloseTo((float) Math.sqrt(aPrev) * x0, within(1e-5f));
            assertThat(noisy - deterministic).isCloseTo(std, within(1e-5f));
        }
    }

    @Test
    void stepCountIsChecked() {
        DdimScheduler scheduler = DdimScheduler.builder().build();

        assertThatThrownBy(() -> scheduler.schedule(0)).hasMessageContaining("between 1 and 1000");
        assertThatThrownBy(() -> scheduler.schedule(1001)).hasMessageContaining("got 1001");
    }

    @Test
    void eachStepCountIsPlannedOnceAndShared() {
        DdimScheduler scheduler = DdimScheduler.builder().build();

        DdimScheduler.Schedule first = scheduler.schedule(12);

        assertThat(scheduler.schedule(12)).isSameAs(first);
        assertThat(scheduler.schedule(13)).isNotSameAs(first);
        assertThat(scheduler.plannedSchedules()).isEqualTo(2);
    }

    @Test
    void aRefusedStepCountIsNotKept() {
        DdimScheduler scheduler = DdimScheduler.builder().numTrainTimesteps(20).build();

        assertThatThrownBy(() -> scheduler.schedule(21)).isInstanceOf(InvalidParameterException.class)
                .hasMessage("steps must be between 1 and 20 (the model's training timesteps), got 21;"
                        + " CatVTON uses 50, fewer is faster");
        assertThat(scheduler.plannedSchedules()).isZero();
    }

    @Test
    void threadsAskingForOneStepCountAtOnceShareOneSchedule() throws Exception {
        DdimScheduler scheduler = DdimScheduler.builder().build();
        int threads = 8;
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<DdimScheduler.Schedule>> planned = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                planned.add(pool.submit(() -> {
                    start.await();
                    return scheduler.schedule(50);
                }));
            }
            DdimScheduler.Schedule first = planned.get(0).get();
            for (Future<DdimScheduler.Schedule> other : planned) {
                assertThat(other.get()).isSameAs(first);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(scheduler.plannedSchedules()).isEqualTo(1);
    }

    @Test
    void anEmptyConfigIsDiffusersDefaultDdimScheduler() {
        DdimScheduler fromConfig = DdimScheduler.fromConfig(new JsonObject());
        DdimScheduler defaults = DdimScheduler.builder().build();

        assertThat(fromConfig.toString()).isEqualTo(defaults.toString());
        assertThat(fromConfig.alphasCumprod()).containsExactly(defaults.alphasCumprod());
        // set_alpha_to_one defaults to true: past the start the previous alpha is 1, so the variance is 0
        assertThat(fromConfig.variance(1, -1)).isZero();
    }

    @Test
    void stableDiffusionInpaintingsPndmConfigGivesCatvtonsDdimSettings() {
        JsonObject pndm = JsonParser.parseString("""
                {"_class_name": "PNDMScheduler", "_diffusers_version": "0.6.0", "beta_end": 0.012,
                 "beta_schedule": "scaled_linear", "beta_start": 0.00085, "num_train_timesteps": 1000,
                 "set_alpha_to_one": false, "skip_prk_steps": true, "steps_offset": 1, "trained_betas": null,
                 "clip_sample": false}""").getAsJsonObject();

        DdimScheduler scheduler = DdimScheduler.fromConfig(pndm);

        assertThat(scheduler.toString()).isEqualTo(DdimScheduler.builder().betaStart(0.00085).betaEnd(0.012)
                .betaSchedule(BetaSchedule.SCALED_LINEAR).setAlphaToOne(false).clipSample(false).stepsOffset(1)
                .build().toString());
        assertThat(scheduler.schedule(15).timestep(0)).isEqualTo(925);
    }

    @Test
    void malformedOrUnsupportedSettingsAreRefusedNamingTheKey() {
        assertThatThrownBy(() -> DdimScheduler.fromConfig(json("{\"beta_schedule\": \"sigmoid\"}")))
                .hasMessageContaining("beta_schedule must be one of linear, scaled_linear, squaredcos_cap_v2");
        assertThatThrownBy(() -> DdimScheduler.fromConfig(json("{\"steps_offset\": 0.5}")))
                .hasMessageContaining("steps_offset must be a whole number");
        assertThatThrownBy(() -> DdimScheduler.fromConfig(json("{\"clip_sample\": \"yes\"}")))
                .hasMessageContaining("clip_sample must be true or false");
        assertThatThrownBy(() -> DdimScheduler.fromConfig(json("{\"thresholding\": true}")))
                .hasMessageContaining("thresholding");
        assertThatThrownBy(() -> DdimScheduler.fromConfig(json("{\"trained_betas\": [0.1, 0.2]}")))
                .hasMessageContaining("trained_betas");
    }

    private static JsonObject json(String text) {
        return JsonParser.parseString(text).getAsJsonObject();
    }
}

package io.omoib.vton.pipeline;

import ai.djl.ndarray.NDArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.omoib.vton.pipeline.InvalidParameterException.Parameter;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The DDIM sampler, exact to diffusers' {@code DDIMScheduler}: the same beta schedules, timestep
 * spacings, {@code steps_offset}, {@code set_alpha_to_one}, {@code eta}, {@code clip_sample} and
 * prediction types, with every scalar computed in float32 as PyTorch computes it, and each tensor
 * update done with the same float32 operations in the same order.
 *
 * <p>Like its diffusers counterpart it knows nothing of models: {@link #schedule(int)} plans the
 * timesteps of a run, and {@link Schedule#step} turns one model output into the previous sample.
 *
 * <p>Thread safety: instances are immutable and thread-safe. Each step count is planned once and its
 * {@link Schedule} (also immutable) is kept for the scheduler's lifetime, so every run with that count
 * shares it; the cache holds at most one schedule per legal step count.
 */
public final class DdimScheduler {
    /** How betas grow over the training timesteps. */
    public enum BetaSchedule {
        /** {@code linspace(beta_start, beta_end)}. */
        LINEAR,
        /** {@code linspace(sqrt(beta_start), sqrt(beta_end)) ^ 2}, Stable Diffusion's. */
        SCALED_LINEAR,
        /** The Glide cosine schedule ({@code betas_for_alpha_bar}, cosine, max beta 0.999). */
        SQUAREDCOS_CAP_V2
    }

    /** How inference timesteps are spread over the training ones (Table 2 of arXiv 2305.08891). */
    public enum TimestepSpacing {
        /** {@code arange(n) * (N // n)} reversed, plus {@code steps_offset}. */
        LEADING,
        /** {@code round(arange(N, 0, -N / n)) - 1}. */
        TRAILING,
        /** {@code round(linspace(0, N - 1, n))} reversed. */
        LINSPACE
    }

    /** What the model predicts. */
    public enum PredictionType {
        /** The noise. */
        EPSILON,
        /** The velocity {@code sqrt(a) * noise - sqrt(1 - a) * x0}. */
        V_PREDICTION,
        /** The clean sample itself. */
        SAMPLE
    }

    private final Builder config;
    private final float[] alphasCumprod;
    private final float finalAlphaCumprod;
    /** The schedule of each step count planned so far, indexed by the count; at most one per legal count. */
    private final AtomicReferenceArray<Schedule> schedules;

    private DdimScheduler(Builder builder) {
        this.config = builder.copy();
        float[] betas = betas(builder);
        this.alphasCumprod = new float[betas.length];
        // torch.cumprod on CPU accumulates float32 in double and rounds each output.
        double product = 1.0;
        for (int i = 0; i < betas.length; i++) {
            product *= 1.0f - betas[i];
            alphasCumprod[i] = (float) product;
        }
        this.finalAlphaCumprod = builder.setAlphaToOne ? 1.0f : alphasCumprod[0];
        this.schedules = new AtomicReferenceArray<>(builder.numTrainTimesteps + 1);
    }

    /** {@return a builder with diffusers' {@code DDIMScheduler} defaults} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Builds the scheduler from a diffusers scheduler config ({@code scheduler_config.json}, or the
     * {@code scheduler} block of {@code catvton.json}) as {@code DDIMScheduler.from_config} does: a key
     * that is absent takes {@code DDIMScheduler}'s default ({@code num_train_timesteps} 1000,
     * {@code beta_start} 0.0001, {@code beta_end} 0.02, {@code beta_schedule} linear,
     * {@code clip_sample} true, {@code clip_sample_range} 1, {@code set_alpha_to_one} true,
     * {@code steps_offset} 0, {@code prediction_type} epsilon, {@code timestep_spacing} leading), and
     * keys of other schedulers ({@code _class_name}, PNDM's {@code skip_prk_steps}, ...) are ignored.
     * Settings this scheduler does not implement ({@code trained_betas}, {@code thresholding},
     * {@code rescale_betas_zero_snr}) are refused unless they are off.
     *
     * <p>Package-private: gson is no part of this library's API; an artifact's manifest reaches it through
     * {@link ModelArtifact#load}, and other code configures the {@link #builder()}.
     *
     * @param config the JSON object
     * @return the scheduler
     * @throws IllegalArgumentException naming the first key whose value is malformed or unsupported
     */
    static DdimScheduler fromConfig(JsonObject config) {
        Builder b = new Builder();
        ConfigReader read = new ConfigReader(config);
        read.integer("num_train_timesteps").ifPresent(b::numTrainTimesteps);
        read.number("beta_start").ifPresent(b::betaStart);
        read.number("beta_end").ifPresent(b::betaEnd);
        read.choice("beta_schedule", BetaSchedule.class).ifPresent(b::betaSchedule);
        read.bool("clip_sample").ifPresent(b::clipSample);
        read.number("clip_sample_range").ifPresent(v -> b.clipSampleRange((float) v));
        read.bool("set_alpha_to_one").ifPresent(b::setAlphaToOne);
        read.integer("steps_offset").ifPresent(b::stepsOffset);
        read.choice("prediction_type", PredictionType.class).ifPresent(b::predictionType);
        read.choice("timestep_spacing", TimestepSpacing.class).ifPresent(b::timestepSpacing);
        read.off("trained_betas");
        read.off("thresholding");
        read.off("rescale_betas_zero_snr");
        return b.build();
    }

    /** {@return {@code alphas_cumprod}, one per training timestep} */
    public float[] alphasCumprod() {
        return alphasCumprod.clone();
    }

    /** {@return the number of training timesteps} */
    public int numTrainTimesteps() {
        return config.numTrainTimesteps;
    }

    /** {@return the prediction type the model was trained with} */
    public PredictionType predictionType() {
        return config.predictionType;
    }

    /**
     * diffusers' {@code _get_variance}: {@code (1 - a_prev) / (1 - a) * (1 - a / a_prev)}.
     *
     * @param timestep training timestep {@code t}
     * @param prevTimestep the previous one; negative means "past the start"
     * @return the variance, float32
     */
    public float variance(int timestep, int prevTimestep) {
        float alphaProd = alphasCumprod[timestep];
        float alphaProdPrev = prevTimestep >= 0 ? alphasCumprod[prevTimestep] : finalAlphaCumprod;
        float betaProd = 1 - alphaProd;
        float betaProdPrev = 1 - alphaProdPrev;
        return (betaProdPrev / betaProd) * (1 - alphaProd / alphaProdPrev);
    }

    /**
     * Plans a run: diffusers' {@code set_timesteps}. This is where a step count is checked against the
     * model; the plan of each count is made once and shared by every later call.
     *
     * @param steps number of inference steps, 1 to {@link #numTrainTimesteps()}
     * @return the plan, the same object for every call with the same count
     * @throws InvalidParameterException if {@code steps} is out of range
     */
    public Schedule schedule(int steps) {
        checkSteps(steps, config.numTrainTimesteps, "the model's training timesteps");
        Schedule cached = schedules.get(steps);
        if (cached != null) {
            return cached;
        }
        Schedule planned = plan(steps);
        Schedule raced = schedules.compareAndExchange(steps, null, planned);
        return raced != null ? raced : planned;
    }

    /** {@return how many step counts have a planned schedule now (tests)} */
    int plannedSchedules() {
        int planned = 0;
        for (int i = 0; i < schedules.length(); i++) {
            planned += schedules.get(i) != null ? 1 : 0;
        }
        return planned;
    }

    /**
     * Refuses a step count outside {@code 1..max}: the one message for a bad count, whether the bound
     * is the model's ({@link #schedule}) or any model's ({@link TryOnParameters.Builder#steps}).
     *
     * @param steps the count asked for
     * @param max the most steps allowed
     * @param bound what {@code max} is, for the message
     * @throws InvalidParameterException if {@code steps} is out of range
     */
    static void checkSteps(int steps, int max, String bound) {
        if (steps < 1 || steps > max) {
            throw new InvalidParameterException(Parameter.STEPS, "steps must be between 1 and " + max + " (" + bound
                    + "), got " + steps + "; CatVTON uses " + TryOnParameters.DEFAULT_STEPS + ", fewer is faster");
        }
    }

    private Schedule plan(int steps) {
        int n = config.numTrainTimesteps;
        int[] timesteps = new int[steps];
        switch (config.timestepSpacing) {
            case LEADING -> {
                int ratio = n / steps;
                for (int i = 0; i < steps; i++) {
                    timesteps[i] = (steps - 1 - i) * ratio + config.stepsOffset;
                }
            }
            case TRAILING -> {
                double ratio = (double) n / steps;
                for (int i = 0; i < steps; i++) {
                    // numpy's arange(n, 0, -ratio)[i] is n - i * ratio, rounded half to even.
                    timesteps[i] = (int) Math.rint(n - i * ratio) - 1;
                }
            }
            case LINSPACE -> {
                double[] points = linspace(0, n - 1, steps);
                for (int i = 0; i < steps; i++) {
                    timesteps[i] = (int) Math.rint(points[steps - 1 - i]);
                }
            }
            default -> throw new AssertionError(config.timestepSpacing);
        }
        for (int t : timesteps) {
            if (t < 0 || t >= n) {
                throw new InvalidParameterException(Parameter.STEPS, "steps_offset " + config.stepsOffset + " with "
                        + steps + " steps gives timestep " + t + ", outside 0.." + (n - 1) + "; use fewer steps");
            }
        }
        return new Schedule(timesteps, n / steps);
    }

    /** The timesteps of one run, and the update that goes with each. Immutable. */
    public final class Schedule {
        private final int[] timesteps;
        private final int stride;

        private Schedule(int[] timesteps, int stride) {
            this.timesteps = timesteps;
            this.stride = stride;
        }

        /** {@return number of steps} */
        public int size() {
            return timesteps.length;
        }

        /** {@return the training timesteps, highest first} */
        public int[] timesteps() {
            return timesteps.clone();
        }

        /**
         * {@return the training timestep fed to the model at that step}
         *
         * @param index step index, 0 first
         */
        public int timestep(int index) {
            return timesteps[index];
        }

        /**
         * diffusers' {@code step}: one denoising update, {@code x_t -> x_{t-1}}. The arrays may live on
         * any device; scalars are float32 and each tensor operation is the one diffusers applies.
         *
         * @param index step index, 0 first
         * @param modelOutput the model's prediction, float32, shape of {@code sample}
         * @param sample the current sample {@code x_t}, float32
         * @param eta DDIM's eta: 0 deterministic, 1 DDPM-like
         * @param varianceNoise standard normal noise of the sample's shape, used when {@code eta > 0}
         *     (may be null otherwise)
         * @return the previous sample {@code x_{t-1}}, attached to the sample's manager
         */
        public NDArray step(int index, NDArray modelOutput, NDArray sample, float eta, NDArray varianceNoise) {
            int t = timesteps[index];
            int prev = t - stride;
            float alphaProd = alphasCumprod[t];
            float alphaProdPrev = prev >= 0 ? alphasCumprod[prev] : finalAlphaCumprod;
            float betaProd = 1 - alphaProd;
            float sqrtAlpha = sqrt(alphaProd);
            float sqrtBeta = sqrt(betaProd);

            NDArray original;
            NDArray epsilon;
            switch (config.predictionType) {
                case EPSILON -> {
                    original = sample.sub(modelOutput.mul(sqrtBeta)).div(sqrtAlpha);
                    epsilon = modelOutput;
                }
                case SAMPLE -> {
                    original = modelOutput;
                    epsilon = sample.sub(original.mul(sqrtAlpha)).div(sqrtBeta);
                }
                case V_PREDICTION -> {
                    original = sample.mul(sqrtAlpha).sub(modelOutput.mul(sqrtBeta));
                    epsilon = modelOutput.mul(sqrtAlpha).add(sample.mul(sqrtBeta));
                }
                default -> throw new AssertionError(config.predictionType);
            }
            if (config.clipSample) {
                original = original.clip(-config.clipSampleRange, config.clipSampleRange);
            }
            float std = eta * sqrt(variance(t, prev));
            NDArray direction = epsilon.mul(sqrt(1 - alphaProdPrev - std * std));
            NDArray previous = original.mul(sqrt(alphaProdPrev)).add(direction);
            if (eta > 0) {
                Objects.requireNonNull(varianceNoise, "varianceNoise is required when eta > 0");
                previous = previous.add(varianceNoise.mul(std));
            }
            return previous;
        }
    }

    private static float sqrt(float x) {
        return (float) Math.sqrt(x);
    }

    private static float[] betas(Builder c) {
        int n = c.numTrainTimesteps;
        float[] betas = new float[n];
        switch (c.betaSchedule) {
            case LINEAR -> {
                float[] line = linspaceFloat((float) c.betaStart, (float) c.betaEnd, n);
                System.arraycopy(line, 0, betas, 0, n);
            }
            case SCALED_LINEAR -> {
                float[] line = linspaceFloat((float) Math.sqrt(c.betaStart), (float) Math.sqrt(c.betaEnd), n);
                for (int i = 0; i < n; i++) {
                    betas[i] = line[i] * line[i];
                }
            }
            case SQUAREDCOS_CAP_V2 -> {
                for (int i = 0; i < n; i++) {
                    double t1 = (double) i / n;
                    double t2 = (double) (i + 1) / n;
                    betas[i] = (float) Math.min(1 - alphaBar(t2) / alphaBar(t1), 0.999);
                }
            }
            default -> throw new AssertionError(c.betaSchedule);
        }
        return betas;
    }

    private static double alphaBar(double t) {
        double c = Math.cos((t + 0.008) / 1.008 * Math.PI / 2);
        return c * c;
    }

    /**
     * {@code torch.linspace(start, end, n, dtype=float32)} on the CPU: the step in float32, the first
     * half counted from the start and the second half back from the end.
     */
    static float[] linspaceFloat(float start, float end, int n) {
        float[] out = new float[n];
        if (n == 1) {
            out[0] = start;
            return out;
        }
        float step = (end - start) / (n - 1);
        int halfway = n / 2;
        for (int i = 0; i < n; i++) {
            out[i] = i < halfway ? start + step * i : end - step * (n - i - 1);
        }
        return out;
    }

    /** {@code numpy.linspace} in float64. */
    private static double[] linspace(double start, double end, int n) {
        double[] out = new double[n];
        if (n == 1) {
            out[0] = start;
            return out;
        }
        double step = (end - start) / (n - 1);
        for (int i = 0; i < n; i++) {
            out[i] = start + i * step;
        }
        out[n - 1] = end;
        return out;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "DdimScheduler[%s]", config);
    }

    /**
     * Settings, named as in diffusers' scheduler config; defaults are diffusers' {@code DDIMScheduler}
     * defaults (CatVTON's artifacts set their own in {@code catvton.json}).
     */
    public static final class Builder {
        private int numTrainTimesteps = 1000;
        private double betaStart = 0.0001;
        private double betaEnd = 0.02;
        private BetaSchedule betaSchedule = BetaSchedule.LINEAR;
        private boolean clipSample = true;
        private float clipSampleRange = 1.0f;
        private boolean setAlphaToOne = true;
        private int stepsOffset = 0;
        private PredictionType predictionType = PredictionType.EPSILON;
        private TimestepSpacing timestepSpacing = TimestepSpacing.LEADING;

        private Builder() {
        }

        /**
         * Sets diffusers' {@code num_train_timesteps}.
         *
         * @param value {@code num_train_timesteps}, default 1000
         * @return this builder
         */
        public Builder numTrainTimesteps(int value) {
            if (value < 1) {
                throw new IllegalArgumentException("num_train_timesteps must be positive, got " + value);
            }
            this.numTrainTimesteps = value;
            return this;
        }

        /**
         * Sets diffusers' {@code beta_start}.
         *
         * @param value {@code beta_start}, default 0.0001
         * @return this builder
         */
        public Builder betaStart(double value) {
            this.betaStart = value;
            return this;
        }

        /**
         * Sets diffusers' {@code beta_end}.
         *
         * @param value {@code beta_end}, default 0.02
         * @return this builder
         */
        public Builder betaEnd(double value) {
            this.betaEnd = value;
            return this;
        }

        /**
         * Sets diffusers' {@code beta_schedule}.
         *
         * @param value {@code beta_schedule}, default linear
         * @return this builder
         */
        public Builder betaSchedule(BetaSchedule value) {
            this.betaSchedule = Objects.requireNonNull(value);
            return this;
        }

        /**
         * Sets diffusers' {@code clip_sample}.
         *
         * @param value {@code clip_sample}: clamp the predicted x0 to ±{@code clip_sample_range}; default true
         * @return this builder
         */
        public Builder clipSample(boolean value) {
            this.clipSample = value;
            return this;
        }

        /**
         * Sets diffusers' {@code clip_sample_range}.
         *
         * @param value {@code clip_sample_range}, default 1
         * @return this builder
         */
        public Builder clipSampleRange(float value) {
            this.clipSampleRange = value;
            return this;
        }

        /**
         * Sets diffusers' {@code set_alpha_to_one}.
         *
         * @param value {@code set_alpha_to_one}: the last step's previous alpha is 1, not alphas_cumprod[0];
         *     default true
         * @return this builder
         */
        public Builder setAlphaToOne(boolean value) {
            this.setAlphaToOne = value;
            return this;
        }

        /**
         * Sets diffusers' {@code steps_offset}.
         *
         * @param value {@code steps_offset}, added to leading timesteps; default 0
         * @return this builder
         */
        public Builder stepsOffset(int value) {
            this.stepsOffset = value;
            return this;
        }

        /**
         * Sets diffusers' {@code prediction_type}.
         *
         * @param value {@code prediction_type}, default epsilon
         * @return this builder
         */
        public Builder predictionType(PredictionType value) {
            this.predictionType = Objects.requireNonNull(value);
            return this;
        }

        /**
         * Sets diffusers' {@code timestep_spacing}.
         *
         * @param value {@code timestep_spacing}, default leading
         * @return this builder
         */
        public Builder timestepSpacing(TimestepSpacing value) {
            this.timestepSpacing = Objects.requireNonNull(value);
            return this;
        }

        /** {@return the scheduler} */
        public DdimScheduler build() {
            return new DdimScheduler(this);
        }

        private Builder copy() {
            Builder b = new Builder();
            b.numTrainTimesteps = numTrainTimesteps;
            b.betaStart = betaStart;
            b.betaEnd = betaEnd;
            b.betaSchedule = betaSchedule;
            b.clipSample = clipSample;
            b.clipSampleRange = clipSampleRange;
            b.setAlphaToOne = setAlphaToOne;
            b.stepsOffset = stepsOffset;
            b.predictionType = predictionType;
            b.timestepSpacing = timestepSpacing;
            return b;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "num_train_timesteps=%d, beta_start=%s, beta_end=%s, beta_schedule=%s,"
                            + " clip_sample=%s, set_alpha_to_one=%s, steps_offset=%d, prediction_type=%s,"
                            + " timestep_spacing=%s", numTrainTimesteps, betaStart, betaEnd,
                    betaSchedule.name().toLowerCase(Locale.ROOT), clipSample, setAlphaToOne, stepsOffset,
                    predictionType.name().toLowerCase(Locale.ROOT), timestepSpacing.name().toLowerCase(Locale.ROOT));
        }
    }

    /** Reads typed values of a diffusers config, naming the key and what it holds when one is malformed. */
    private record ConfigReader(JsonObject config) {
        private JsonPrimitive primitive(String key) {
            JsonElement e = config.get(key);
            if (e == null || e.isJsonNull()) {
                return null;
            }
            if (!e.isJsonPrimitive()) {
                throw malformed(key, e, "a single value");
            }
            return e.getAsJsonPrimitive();
        }

        OptionalDouble number(String key) {
            JsonPrimitive p = primitive(key);
            if (p == null) {
                return OptionalDouble.empty();
            }
            if (!p.isNumber() || !Double.isFinite(p.getAsDouble())) {
                throw malformed(key, p, "a number");
            }
            return OptionalDouble.of(p.getAsDouble());
        }

        OptionalInt integer(String key) {
            OptionalDouble value = number(key);
            if (value.isEmpty()) {
                return OptionalInt.empty();
            }
            double d = value.getAsDouble();
            if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
                throw malformed(key, config.get(key), "a whole number");
            }
            return OptionalInt.of((int) d);
        }

        Optional<Boolean> bool(String key) {
            JsonPrimitive p = primitive(key);
            if (p == null) {
                return Optional.empty();
            }
            if (!p.isBoolean()) {
                throw malformed(key, p, "true or false");
            }
            return Optional.of(p.getAsBoolean());
        }

        <E extends Enum<E>> Optional<E> choice(String key, Class<E> type) {
            JsonPrimitive p = primitive(key);
            if (p == null) {
                return Optional.empty();
            }
            for (E value : type.getEnumConstants()) {
                if (p.isString() && value.name().equalsIgnoreCase(p.getAsString())) {
                    return Optional.of(value);
                }
            }
            StringBuilder accepted = new StringBuilder();
            for (E value : type.getEnumConstants()) {
                accepted.append(accepted.length() == 0 ? "" : ", ").append(value.name().toLowerCase(Locale.ROOT));
            }
            throw malformed(key, p, "one of " + accepted);
        }

        /** A setting this scheduler does not implement: accepted only when absent, null or false. */
        void off(String key) {
            JsonElement e = config.get(key);
            if (e != null && !e.isJsonNull() && !(e.isJsonPrimitive() && e.getAsJsonPrimitive().isBoolean()
                    && !e.getAsBoolean())) {
                throw new IllegalArgumentException("scheduler setting " + key + " = " + e
                        + " is not supported by the Java DDIM scheduler; export with " + key + " off");
            }
        }

        private static IllegalArgumentException malformed(String key, JsonElement value, String expected) {
            return new IllegalArgumentException("scheduler setting " + key + " must be " + expected + ", got " + value);
        }
    }
}

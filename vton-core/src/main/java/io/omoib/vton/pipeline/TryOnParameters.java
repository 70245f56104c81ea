package io.omoib.vton.pipeline;

import io.omoib.vton.pipeline.InvalidParameterException.Parameter;
import java.util.Locale;
import java.util.Objects;

/**
 * How one try-on is sampled: DDIM steps, classifier-free guidance, eta, the random seed and whether
 * the result is repainted with the original outside the mask. Immutable; build with
 * {@link #builder()} or start from {@link #defaults()}.
 */
public final class TryOnParameters {
    /** CatVTON's default number of DDIM steps (the SageMaker server defaults to 15). */
    public static final int DEFAULT_STEPS = 50;
    /** The most DDIM steps any model is asked for: one per training timestep of Stable Diffusion's 1000. */
    public static final int MAX_STEPS = 1000;
    /** CatVTON's default guidance scale. */
    public static final float DEFAULT_GUIDANCE = 2.5f;
    /** CatVTON's default eta. */
    public static final float DEFAULT_ETA = 1.0f;
    /** The largest guidance scale accepted: far beyond any useful value (CatVTON uses 2.5), short of overflow. */
    public static final float MAX_GUIDANCE = 50f;
    /** CatVTON's default seed. */
    public static final int DEFAULT_SEED = 42;

    private static final TryOnParameters DEFAULTS = new Builder().build();

    private final int steps;
    private final float guidance;
    private final float eta;
    private final int seed;
    private final boolean repaint;

    private TryOnParameters(Builder b) {
        this.steps = b.steps;
        this.guidance = b.guidance;
        this.eta = b.eta;
        this.seed = b.seed;
        this.repaint = b.repaint;
    }

    /** {@return CatVTON's defaults: 50 steps, guidance 2.5, eta 1, seed 42, no repaint} */
    public static TryOnParameters defaults() {
        return DEFAULTS;
    }

    /** {@return a builder starting from {@link #defaults()}} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return a builder starting from these values} */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.steps = steps;
        b.guidance = guidance;
        b.eta = eta;
        b.seed = seed;
        b.repaint = repaint;
        return b;
    }

    /** {@return DDIM steps, 1 to {@value #MAX_STEPS}} */
    public int steps() {
        return steps;
    }

    /** {@return the classifier-free guidance scale; at most 1 turns guidance off} */
    public float guidance() {
        return guidance;
    }

    /** {@return DDIM's eta: 0 deterministic, 1 as CatVTON} */
    public float eta() {
        return eta;
    }

    /** {@return the seed of the request's random numbers, 0 to {@link Integer#MAX_VALUE}} */
    public int seed() {
        return seed;
    }

    /** {@return whether the result keeps the original person outside a blurred mask} */
    public boolean repaint() {
        return repaint;
    }

    /**
     * Whether two requests can share one batch: same steps, guidance and eta (seeds and repaint may
     * differ).
     *
     * @param other another request's parameters
     * @return true if they batch together
     */
    public boolean batchesWith(TryOnParameters other) {
        return steps == other.steps && Float.compare(guidance, other.guidance) == 0
                && Float.compare(eta, other.eta) == 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TryOnParameters p && batchesWith(p) && seed == p.seed && repaint == p.repaint;
    }

    @Override
    public int hashCode() {
        return Objects.hash(steps, guidance, eta, seed, repaint);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "TryOnParameters[steps=%d, guidance=%s, eta=%s, seed=%d, repaint=%s]",
                steps, guidance, eta, seed, repaint);
    }

    /** Builds {@link TryOnParameters}; every setter checks its value. */
    public static final class Builder {
        private int steps = DEFAULT_STEPS;
        private float guidance = DEFAULT_GUIDANCE;
        private float eta = DEFAULT_ETA;
        private int seed = DEFAULT_SEED;
        private boolean repaint;

        private Builder() {
        }

        /**
         * Sets the number of DDIM steps.
         *
         * @param value DDIM steps, 1 to {@value #MAX_STEPS} (default 50)
         * @return this builder
         */
        public Builder steps(int value) {
            DdimScheduler.checkSteps(value, MAX_STEPS, "for any model");
            this.steps = value;
            return this;
        }

        /**
         * Sets the classifier-free guidance scale.
         *
         * @param value guidance scale, 0 to {@value #MAX_GUIDANCE} (default 2.5; at most 1 disables guidance)
         * @return this builder
         */
        public Builder guidance(float value) {
            if (!(value >= 0 && value <= MAX_GUIDANCE)) {
                throw new InvalidParameterException(Parameter.GUIDANCE, "guidance must be between 0 and "
                        + MAX_GUIDANCE + ", got " + value + " (CatVTON uses 2.5; 1 or less turns guidance off)");
            }
            this.guidance = value;
            return this;
        }

        /**
         * Sets DDIM's eta.
         *
         * @param value DDIM eta, 0 (deterministic) to 1 (DDPM-like; the default)
         * @return this builder
         */
        public Builder eta(float value) {
            if (!(value >= 0 && value <= 1)) {
                throw new InvalidParameterException(Parameter.ETA, "eta must be between 0 and 1, got " + value);
            }
            this.eta = value;
            return this;
        }

        /**
         * Sets the seed of the random numbers.
         *
         * @param value seed, 0 to 2147483647 (default 42)
         * @return this builder
         */
        public Builder seed(long value) {
            if (value < 0 || value > Integer.MAX_VALUE) {
                throw new InvalidParameterException(Parameter.SEED, "seed must be between 0 and " + Integer.MAX_VALUE + ", got " + value);
            }
            this.seed = (int) value;
            return this;
        }

        /**
         * Sets whether the result keeps the original person outside a blurred mask.
         *
         * @param value keep the original person outside a blurred mask (CatVTON's --repaint; default false)
         * @return this builder
         */
        public Builder repaint(boolean value) {
            this.repaint = value;
            return this;
        }

        /** {@return the parameters} */
        public TryOnParameters build() {
            return new TryOnParameters(this);
        }
    }
}

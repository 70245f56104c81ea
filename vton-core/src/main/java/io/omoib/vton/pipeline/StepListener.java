package io.omoib.vton.pipeline;

/**
 * Told as a pipeline run enters each phase and after each denoising step, on the thread running it. Keep it
 * quick.
 */
@FunctionalInterface
public interface StepListener {
    /** Ignores every phase and step. */
    StepListener NONE = (step, steps) -> { };

    /** A part of a pipeline run, in the order every run goes through them. */
    enum Phase {
        /** The VAE encodes the masked person and the garment ({@link RunTimings#encode()}). */
        ENCODING,
        /** The UNet's denoising steps, each told to {@link #onStep} ({@link RunTimings#denoise()}). */
        DENOISING,
        /** The VAE decodes the result ({@link RunTimings#decode()}). */
        DECODING
    }

    /**
     * Told after each denoising step.
     *
     * @param step steps completed so far, 1 to {@code steps}
     * @param steps steps in the run
     */
    void onStep(int step, int steps);

    /**
     * Told as the run enters a phase, before its work starts. Ignores it unless overridden.
     *
     * @param phase the phase starting
     */
    default void onPhase(Phase phase) {
    }
}

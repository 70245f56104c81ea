package io.omoib.vton.pipeline;

/** Told after each denoising step of a pipeline run, on the thread running it. Keep it quick. */
@FunctionalInterface
public interface StepListener {
    /** Ignores every step. */
    StepListener NONE = (step, steps) -> { };

    /**
     * @param step steps completed so far, 1 to {@code steps}
     * @param steps steps in the run
     */
    void onStep(int step, int steps);
}

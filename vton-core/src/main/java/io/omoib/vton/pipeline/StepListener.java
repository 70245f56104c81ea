package io.omoib.vton.pipeline;

/** Told after each denoising step of a pipeline run, on the thread running it. Keep it quick. */
@FunctionalInterface
public interface StepListener {
    /** Ignores every step. */
    StepListener NONE = (step, steps) -> { };

    /**
     * Called after each denoising step, on the thread that runs the pipeline.
     *
     * @param step steps completed so far, 1 to {@code steps}
     * @param steps steps in the run
     */
    void onStep(int step, int steps);
}

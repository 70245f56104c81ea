package io.omoib.vton.pipeline;

/** Told about a pipeline run as it goes, on the thread running it. Keep it quick. */
@FunctionalInterface
public interface StepListener {
    /** Ignores every step. */
    StepListener NONE = (step, steps) -> { };

    /**
     * @param step steps completed so far, 1 to {@code steps}
     * @param steps steps in the run
     */
    void onStep(int step, int steps);

    /**
     * Told once when a run has finished successfully.
     *
     * @param timings where the run's time went
     */
    default void onFinished(RunTimings timings) {
    }
}

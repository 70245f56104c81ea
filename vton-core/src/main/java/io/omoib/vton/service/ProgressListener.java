package io.omoib.vton.service;

/**
 * Told as a {@link TryOnRequest} moves through {@link TryOnService}, on service threads. Keep it quick. Stages
 * come in the order of {@link Stage}'s constants, skipping those that do not apply ({@code STORING} without a
 * sink; the rest after a failure or a cancellation, which go straight to {@code DONE}).
 */
@FunctionalInterface
public interface ProgressListener {
    /** Ignores every event. */
    ProgressListener NONE = event -> { };

    /** Where a request is. */
    enum Stage {
        /** Fetching, decoding and preparing the images. */
        PREPARING,
        /** Prepared, waiting for the inference worker. */
        QUEUED,
        /** In a pipeline run: the VAE encodes the images. */
        ENCODING,
        /** In a pipeline run: denoising, {@code step} of {@code steps} done (told after each step). */
        RUNNING,
        /** In a pipeline run: the VAE decodes the result. */
        DECODING,
        /** Encoding and storing the result. */
        STORING,
        /** Finished: told once, just before the future completes. */
        DONE
    }

    /**
     * One step of a request's progress.
     *
     * @param requestId the request's id
     * @param stage where it is
     * @param step steps done, during {@code RUNNING}; otherwise 0
     * @param steps steps in the run, during {@code RUNNING}; otherwise 0
     */
    record Event(String requestId, Stage stage, int step, int steps) {
    }

    /**
     * Called as a request moves along, on service threads; keep it quick.
     *
     * @param event what happened
     */
    void onProgress(Event event);
}

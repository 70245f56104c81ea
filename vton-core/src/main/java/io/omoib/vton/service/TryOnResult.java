package io.omoib.vton.service;

import io.omoib.vton.pipeline.RunTimings;
import io.omoib.vton.preprocess.RgbImage;
import java.net.URI;
import java.util.Optional;

/**
 * What {@link TryOnService} gives back for one request.
 *
 * @param requestId the request's id
 * @param image the try-on result at the prepared size
 * @param location where the service's sink stored it, or {@code null} without a sink
 * @param batchSize how many requests shared the pipeline run, 1 to {@code maxBatch}
 * @param timings where the request's time went
 */
public record TryOnResult(String requestId, RgbImage image, URI location, int batchSize, Timings timings) {
    /** {@return where the sink stored the result, if the service has one} */
    public Optional<URI> storedAt() {
        return Optional.ofNullable(location);
    }

    /**
     * Where one request's time went, in nanoseconds of wall time.
     *
     * @param prepare fetching, decoding and preparing its images
     * @param queued waiting for the inference worker once prepared
     * @param run the pipeline run it shared (see {@code RunTimings})
     * @param store encoding, storing and notifying; 0 without a sink
     * @param total from submission to the result
     * @param pipeline the pipeline's own timings of the run
     */
    public record Timings(long prepare, long queued, long run, long store, long total, RunTimings pipeline) {
    }
}

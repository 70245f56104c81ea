package io.omoib.vton.service;

/**
 * A snapshot of {@link TryOnService}'s state and counters since it started.
 *
 * @param queued requests accepted and not yet running (preparing or waiting for the worker)
 * @param inFlight requests inside a pipeline run now
 * @param submitted requests accepted
 * @param completed requests that gave a result
 * @param failed requests that ended with an error (bad input, model failure, deadline passed)
 * @param cancelled requests cancelled by their caller or by {@code close}
 * @param rejected submissions refused because the queue was full or the service closed
 * @param latencyP50Millis median time from submission to result, over the last 1,024 results
 * @param latencyP95Millis 95th percentile, likewise
 * @param latencyP99Millis 99th percentile, likewise
 * @param imagesPerSecond results per second over the last minute (or since the start, if sooner)
 */
public record ServiceMetrics(int queued, int inFlight, long submitted, long completed, long failed, long cancelled,
                             long rejected, double latencyP50Millis, double latencyP95Millis,
                             double latencyP99Millis, double imagesPerSecond) {
}

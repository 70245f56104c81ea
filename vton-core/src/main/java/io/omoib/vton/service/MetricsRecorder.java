package io.omoib.vton.service;

import io.omoib.vton.internal.LatencyWindow;
import io.omoib.vton.preprocess.DecodeBudget;
import java.util.concurrent.CancellationException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The counters and latency window behind {@link TryOnService#metrics()}. Every update happens before
 * the request's future completes, so a snapshot taken after {@code get()} includes that request.
 */
final class MetricsRecorder {
    private final AtomicLong submitted = new AtomicLong();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong cancelled = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final LatencyWindow latency = new LatencyWindow();

    void submitted() {
        submitted.incrementAndGet();
    }

    void rejected() {
        rejected.incrementAndGet();
    }

    void runStarted(int requests) {
        inFlight.addAndGet(requests);
    }

    void runEnded(int requests) {
        inFlight.addAndGet(-requests);
    }

    /**
     * Counts how a request ended.
     *
     * @param error {@code null} for a result; a cancellation, or a rejection because the service closed,
     *     counts as cancelled; anything else (a decode refused for lack of memory included) as failed
     * @param latencyNanos from submission to now
     */
    void ended(Throwable error, long latencyNanos) {
        if (error == null) {
            completed.incrementAndGet();
            latency.add(latencyNanos);
        } else if (error instanceof CancellationException || (error instanceof RejectedExecutionException
                && !(error instanceof DecodeBudget.Exhausted))) {
            cancelled.incrementAndGet();
        } else {
            failed.incrementAndGet();
        }
    }

    /** @param queued requests accepted and not yet running */
    ServiceMetrics snapshot(int queued) {
        double[] p = latency.percentilesMillis(0.50, 0.95, 0.99);
        return new ServiceMetrics(queued, inFlight.get(), submitted.get(), completed.get(), failed.get(),
                cancelled.get(), rejected.get(), p[0], p[1], p[2], latency.perSecond());
    }
}

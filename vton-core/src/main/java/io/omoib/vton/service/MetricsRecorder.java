package io.omoib.vton.service;

import io.omoib.vton.preprocess.DecodeBudget;
import java.util.Arrays;
import java.util.concurrent.CancellationException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The counters and latency window behind {@link TryOnService#metrics()}. Every update happens before
 * the request's future completes, so a snapshot taken after {@code get()} includes that request.
 */
final class MetricsRecorder {
    private static final int WINDOW = 1024;
    private static final long MINUTE = TimeUnit.MINUTES.toNanos(1);

    private final AtomicLong submitted = new AtomicLong();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong cancelled = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final long started = System.nanoTime();
    /** Latencies and completion times of the last {@link #WINDOW} results; guarded by {@code this}. */
    private final long[] latency = new long[WINDOW];
    private final long[] at = new long[WINDOW];
    private int count;
    private int next;

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
            addLatency(latencyNanos);
        } else if (error instanceof CancellationException || (error instanceof RejectedExecutionException
                && !(error instanceof DecodeBudget.Exhausted))) {
            cancelled.incrementAndGet();
        } else {
            failed.incrementAndGet();
        }
    }

    /** @param queued requests accepted and not yet running */
    ServiceMetrics snapshot(int queued) {
        double[] p = percentiles(0.50, 0.95, 0.99);
        return new ServiceMetrics(queued, inFlight.get(), submitted.get(), completed.get(), failed.get(),
                cancelled.get(), rejected.get(), p[0], p[1], p[2], perSecond());
    }

    private synchronized void addLatency(long nanos) {
        latency[next] = nanos;
        at[next] = System.nanoTime();
        next = (next + 1) % WINDOW;
        count = Math.min(count + 1, WINDOW);
    }

    private synchronized double[] percentiles(double... quantiles) {
        double[] out = new double[quantiles.length];
        if (count == 0) {
            return out;
        }
        long[] sorted = Arrays.copyOf(latency, count);
        Arrays.sort(sorted);
        for (int i = 0; i < quantiles.length; i++) {
            int index = (int) Math.ceil(quantiles[i] * count) - 1;
            out[i] = sorted[Math.max(0, index)] / 1e6;
        }
        return out;
    }

    private synchronized double perSecond() {
        long now = System.nanoTime();
        int recent = 0;
        for (int i = 0; i < count; i++) {
            if (now - at[i] <= MINUTE) {
                recent++;
            }
        }
        long window = Math.min(MINUTE, now - started);
        return window <= 0 ? 0 : recent * 1e9 / window;
    }
}

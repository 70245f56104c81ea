package io.omoib.vton.service;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.omoib.vton.internal.Latency;
import io.omoib.vton.internal.Throughput;
import io.omoib.vton.preprocess.DecodeBudget;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

/**
 * {@link TryOnService}'s meters in the registry its builder was given (see
 * {@link TryOnService.Builder#meterRegistry}). Every update happens before the request's future
 * completes, so a meter read after {@code get()} includes that request.
 */
final class MetricsRecorder {
    private final MeterRegistry registry;
    private final IntSupplier queued;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Counter completed;
    private final Counter failed;
    private final Counter cancelled;
    private final Counter rejected;
    private final Latency latency;
    private final Throughput throughput;
    private final List<Gauge> gauges;
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * Registers the service's meters in a registry.
     *
     * @param registry where the meters go
     * @param queued requests accepted and not yet running, now
     */
    MetricsRecorder(MeterRegistry registry, IntSupplier queued) {
        this.registry = registry;
        this.queued = queued;
        this.completed = outcome(registry, "completed");
        this.failed = outcome(registry, "failed");
        this.cancelled = outcome(registry, "cancelled");
        this.rejected = outcome(registry, "rejected");
        this.latency = new Latency(registry, "vton.latency", "time from submission to result");
        this.throughput = new Throughput(registry, "vton.throughput", "try-ons per second over the last minute");
        this.gauges = List.of(
                Gauge.builder("vton.queue.depth", this, r -> r.queued.getAsInt())
                        .description("requests accepted and not yet running").register(registry),
                Gauge.builder("vton.in.flight", inFlight, AtomicInteger::get)
                        .description("requests inside a pipeline run").register(registry));
    }

    private static Counter outcome(MeterRegistry registry, String outcome) {
        return Counter.builder("vton.requests").tag("outcome", outcome).description("try-on requests by outcome")
                .register(registry);
    }

    /** Counts a request refused at submission. */
    void rejected() {
        rejected.increment();
    }

    /** Counts requests entering a pipeline run, for the in-flight gauge. */
    void runStarted(int requests) {
        inFlight.addAndGet(requests);
    }

    /** Counts requests leaving a pipeline run. */
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
            completed.increment();
            latency.record(latencyNanos);
            throughput.add();
        } else if (error instanceof CancellationException || (error instanceof RejectedExecutionException
                && !(error instanceof DecodeBudget.Exhausted))) {
            cancelled.increment();
        } else {
            failed.increment();
        }
    }

    /**
     * Removes the gauges, which read this service, from the registry; the counters and timers stay, so
     * that a service built next on the same registry continues them. Once: a later call must not remove
     * the gauges of that next service.
     */
    void close() {
        if (closed.compareAndSet(false, true)) {
            gauges.forEach(registry::remove);
            throughput.remove();
        }
    }
}

package io.omoib.vton.internal;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Arrays;

/**
 * Events per second over the last minute (or since creation, if sooner), as a gauge in a
 * {@link MeterRegistry}: what Prometheus computes as {@code rate(NAME_count[1m])} from a timer, kept for
 * readers of {@code /metrics} without a query language. Counts are kept per second, the last 60 of
 * them, by the registry's clock. Thread-safe.
 */
public final class Throughput {
    private static final int SECONDS = 60;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final Clock clock;
    private final long started;
    /** Slot {@code s % 60} counts the events of second {@code s} since creation; -1: no such second yet. */
    private final long[] second = new long[SECONDS];
    private final long[] count = new long[SECONDS];
    private final MeterRegistry registry;
    private final Gauge gauge;

    /**
     * Registers the gauge. A registry holding a gauge of this name already keeps that one, so give each
     * live instance a registry of its own (or remove the old one first).
     *
     * @param registry where the gauge is registered
     * @param name the gauge's name, dot-separated ({@code vton.throughput})
     * @param description what is counted, per second over the last minute
     */
    public Throughput(MeterRegistry registry, String name, String description) {
        Arrays.fill(second, -1);
        this.registry = registry;
        this.clock = registry.config().clock();
        this.started = clock.monotonicTime();
        this.gauge = Gauge.builder(name, this, Throughput::perSecond).description(description).register(registry);
    }

    /** Counts one event, now. */
    public synchronized void add() {
        long now = (clock.monotonicTime() - started) / NANOS_PER_SECOND;
        int slot = (int) (now % SECONDS);
        if (second[slot] != now) {
            second[slot] = now;
            count[slot] = 0;
        }
        count[slot]++;
    }

    /**
     * Reads the rate, as the gauge does.
     *
     * @return events per second in the last minute, or since creation if that was sooner
     */
    public synchronized double perSecond() {
        long elapsed = clock.monotonicTime() - started;
        long now = elapsed / NANOS_PER_SECOND;
        long recent = 0;
        for (int i = 0; i < SECONDS; i++) {
            if (second[i] >= 0 && now - second[i] < SECONDS) {
                recent += count[i];
            }
        }
        long window = Math.min(SECONDS * NANOS_PER_SECOND, elapsed);
        return window <= 0 ? 0 : recent * (double) NANOS_PER_SECOND / window;
    }

    /** Removes the gauge from its registry; a later instance may register the name again. */
    public void remove() {
        registry.remove(gauge);
    }
}

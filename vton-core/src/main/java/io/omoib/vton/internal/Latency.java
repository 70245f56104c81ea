package io.omoib.vton.internal;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A latency recorded in a {@link MeterRegistry} as two timers: {@code NAME}, with its 0.5, 0.95 and
 * 0.99 percentiles computed here over the last few minutes (Prometheus: {@code NAME_seconds{quantile}},
 * {@code _count}, {@code _sum}, {@code _max}), and {@code NAME.histogram}, a percentile histogram from
 * 10 ms to 1 h whose buckets add up across instances (Prometheus: {@code NAME_histogram_seconds_bucket{le}},
 * {@code _count}, {@code _sum}, {@code _max}; quantiles of a fleet through {@code histogram_quantile};
 * longer latencies count in the {@code +Inf} bucket only).
 *
 * <p>Two timers, because a Prometheus metric family is either a summary (quantiles) or a histogram
 * (buckets): Micrometer's Prometheus registry drops the precomputed percentiles of a timer that also
 * has a histogram, and the quantile series are the ones dashboards read today. Thread-safe.
 */
public final class Latency {
    private final Timer percentiles;
    private final Timer histogram;

    /**
     * Registers both timers, or finds them if the registry has them already.
     *
     * @param registry where they are registered
     * @param name the timer's name, dot-separated ({@code vton.latency})
     * @param description what is timed, from when to when
     */
    public Latency(MeterRegistry registry, String name, String description) {
        this.percentiles = Timer.builder(name).description(description)
                .publishPercentiles(0.5, 0.95, 0.99).percentilePrecision(2)
                .register(registry);
        this.histogram = Timer.builder(name + ".histogram").description(description + " (histogram)")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(10))
                .maximumExpectedValue(Duration.ofHours(1))
                .register(registry);
    }

    /**
     * Records one latency in both timers.
     *
     * @param nanos the latency, in nanoseconds
     */
    public void record(long nanos) {
        percentiles.record(nanos, TimeUnit.NANOSECONDS);
        histogram.record(nanos, TimeUnit.NANOSECONDS);
    }
}

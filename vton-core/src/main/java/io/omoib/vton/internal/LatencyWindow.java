package io.omoib.vton.internal;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * The last {@value #SIZE} latencies and when they ended: percentiles and the rate of the last minute,
 * for the service's and the queue worker's metrics. Thread-safe.
 */
public final class LatencyWindow {
    /** How many of the latest samples are kept. */
    public static final int SIZE = 1024;
    private static final long MINUTE = TimeUnit.MINUTES.toNanos(1);

    private final long started = System.nanoTime();
    private final long[] latency = new long[SIZE];
    private final long[] at = new long[SIZE];
    private int count;
    private int next;

    /** @param nanos one latency, ending now */
    public synchronized void add(long nanos) {
        latency[next] = nanos;
        at[next] = System.nanoTime();
        next = (next + 1) % SIZE;
        count = Math.min(count + 1, SIZE);
    }

    /**
     * @param quantiles each in (0, 1]
     * @return for each quantile, the nearest-rank latency of the window in milliseconds; 0 when empty
     */
    public synchronized double[] percentilesMillis(double... quantiles) {
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

    /** @return samples per second that ended in the last minute (or since creation, if sooner) */
    public synchronized double perSecond() {
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

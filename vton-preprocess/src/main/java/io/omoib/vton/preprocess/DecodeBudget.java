package io.omoib.vton.preprocess;

import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A budget for the memory that image decoders hold at once, shared by every {@link ImageCodec} that
 * is given it (by default one per process, a quarter of the maximum heap). A decode reserves what it
 * will need, estimated from the image's header, before it reads any pixel, and returns it when done;
 * a decode that cannot get its share within the wait is refused with {@link Exhausted}, so concurrent
 * decompression bombs queue or are turned away instead of running the heap out of memory.
 */
public final class DecodeBudget {
    private static final DecodeBudget SHARED = new DecodeBudget(Runtime.getRuntime().maxMemory() / 4, Duration.ofSeconds(10));

    private final long bytes;
    private final Duration wait;
    /** One permit per KiB. */
    private final Semaphore kibibytes;

    private DecodeBudget(long bytes, Duration wait) {
        if (bytes < 1024 || bytes / 1024 > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a decode budget must be 1 KiB to 2 TiB, got " + bytes + " bytes");
        }
        if (wait.isNegative()) {
            throw new IllegalArgumentException("the wait for a decode budget must not be negative, got " + wait);
        }
        this.bytes = bytes;
        this.wait = wait;
        this.kibibytes = new Semaphore((int) (bytes / 1024), true);
    }

    /**
     * @param bytes the memory decoders may hold at once, at least 1 KiB
     * @param wait how long a decode waits for its share before it is refused
     * @return a budget of its own (give the same instance to every codec that should share it)
     */
    public static DecodeBudget of(long bytes, Duration wait) {
        return new DecodeBudget(bytes, wait);
    }

    /** @return the process-wide budget: a quarter of the maximum heap, 10 s wait */
    public static DecodeBudget shared() {
        return SHARED;
    }

    /** @return the memory decoders may hold at once, in bytes */
    public long bytes() {
        return bytes;
    }

    /** @return bytes not reserved now */
    public long available() {
        return (long) kibibytes.availablePermits() * 1024;
    }

    /**
     * Reserves memory for one decode.
     *
     * @param need bytes the decode will hold
     * @param name the input, for messages
     * @return the reservation; close it when the decoder's memory is released
     * @throws InvalidImageException if the decode needs more than the whole budget
     * @throws Exhausted if the budget stayed too full for the whole wait, or the thread was interrupted
     */
    Reservation reserve(long need, String name) {
        long kib = Math.max(1, (need + 1023) / 1024);
        if (kib * 1024 > bytes) {
            throw new InvalidImageException(name, "decoding it needs about " + (need >> 20) + " MiB, more than the "
                    + (bytes >> 20) + " MiB all decoders may use; send a smaller image");
        }
        try {
            if (!kibibytes.tryAcquire((int) kib, wait.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new Exhausted(name + ": the server is decoding other large images (" + (need >> 20)
                        + " MiB needed, " + (available() >> 20) + " MiB of " + (bytes >> 20)
                        + " MiB free after " + wait.toMillis() + " ms); try again shortly");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Exhausted(name + ": interrupted while waiting to decode");
        }
        return () -> kibibytes.release((int) kib);
    }

    /** Memory held for one decode; closing returns it. */
    interface Reservation extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * The budget stayed too full: the input is fine, the server is busy (HTTP 503). A
     * {@link RejectedExecutionException}, as for any work refused for lack of capacity.
     */
    public static final class Exhausted extends RejectedExecutionException {
        private static final long serialVersionUID = 1L;

        Exhausted(String message) {
            super(message);
        }
    }
}

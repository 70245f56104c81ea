package io.omoib.vton.preprocess;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A budget for the memory that image decoders hold at once, shared by every {@link ImageCodec} that
 * is given it (by default one per process, a quarter of the maximum heap). A decode reserves what it
 * will need, estimated from the image's header, before it reads any pixel, and returns it when done;
 * a decode that cannot get its share within the wait is refused with {@link Exhausted}, so concurrent
 * decompression bombs queue or are turned away instead of running the heap out of memory.
 *
 * <p>A decoded image outlives its decode: a request keeps it while it decodes its other images. A
 * caller that keeps images passes a {@link Holding} to the decode, which then keeps the decoded image's
 * bytes reserved in it until the holding is closed; a decode that would need more than the budget
 * together with what its holding keeps is refused as too large, since no wait could make room for it.
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
     * {@return a budget of its own (give the same instance to every codec that should share it)}
     *
     * @param bytes the memory decoders may hold at once, at least 1 KiB
     * @param wait how long a decode waits for its share before it is refused
     */
    public static DecodeBudget of(long bytes, Duration wait) {
        return new DecodeBudget(bytes, wait);
    }

    /** {@return the process-wide budget: a quarter of the maximum heap, 10 s wait} */
    public static DecodeBudget shared() {
        return SHARED;
    }

    /** {@return the memory decoders may hold at once, in bytes} */
    public long bytes() {
        return bytes;
    }

    /** {@return bytes not reserved now} */
    public long available() {
        return (long) kibibytes.availablePermits() * 1024;
    }

    /** {@return an empty holding of this budget, for the decoded images of one request} */
    public Holding holding() {
        return new Holding();
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
        return reserve(need, name, null);
    }

    /**
     * Reserves memory for one decode whose caller already keeps {@code holding}'s images.
     *
     * @param need bytes the decode will hold
     * @param name the input, for messages
     * @param holding what the caller keeps from this budget, or {@code null}
     * @return the reservation; close it when the decoder's memory is released
     * @throws InvalidImageException if the decode needs more than the budget less what {@code holding} keeps
     * @throws Exhausted if the budget stayed too full for the whole wait, or the thread was interrupted
     */
    Reservation reserve(long need, String name, Holding holding) {
        long kib = kibibytesFor(need);
        long kept = holding == null ? 0 : holding.bytes();
        if (kib * 1024 > bytes - kept) {
            throw new InvalidImageException(name, "decoding it needs about " + (need >> 20) + " MiB, " + (kept == 0
                    ? "more than the " + (bytes >> 20) + " MiB all decoders may use; send a smaller image"
                    : "and the request's other images keep " + String.format(Locale.ROOT, "%.1f", kept / 1048576.0)
                    + " MiB: more together than the "
                    + (bytes >> 20) + " MiB all decoders may use; send smaller images"));
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
        return new Reservation((int) kib);
    }

    private static long kibibytesFor(long bytes) {
        return Math.max(1, (bytes + 1023) / 1024);
    }

    /** Memory held for one decode, used by one thread; closing returns what it still holds. */
    final class Reservation implements AutoCloseable {
        private int kib;

        private Reservation(int kib) {
            this.kib = kib;
        }

        /**
         * Moves part of this reservation into a holding, where it stays after this reservation closes.
         *
         * @param keep bytes the decoded image keeps
         * @param holding where they stay reserved
         */
        void keep(long keep, Holding holding) {
            int moved = (int) Math.min(kib, kibibytesFor(keep));
            kib -= moved;
            holding.add(moved);
        }

        @Override
        public void close() {
            if (kib > 0) {
                kibibytes.release(kib);
                kib = 0;
            }
        }
    }

    /**
     * What one request keeps while it is prepared, reserved from the budget until {@link #close()}:
     * each decode given the holding adds its decoded image's bytes, and {@link #reserve} adds encoded
     * images waiting for the request's other images. Thread-safe; once closed it keeps nothing, and
     * whatever is added after that is returned at once (a read that finished after its request ended).
     */
    public final class Holding implements AutoCloseable {
        private long kib;
        private boolean closed;

        private Holding() {
        }

        /** {@return the bytes this holding keeps reserved now} */
        public synchronized long bytes() {
            return kib * 1024;
        }

        /**
         * Reserves bytes the caller keeps until this holding closes, waiting for room as a decode does.
         *
         * @param keep bytes kept, such as an encoded image's
         * @param name the input, for messages
         * @throws InvalidImageException if they cannot fit beside what this holding keeps, whatever the wait
         * @throws Exhausted if the budget stayed too full for the whole wait, or the thread was interrupted
         */
        public void reserve(long keep, String name) {
            Reservation reservation = DecodeBudget.this.reserve(keep, name, this);
            reservation.keep(keep, this);
            reservation.close();
        }

        /** {@return the budget this holding reserves from} */
        DecodeBudget budget() {
            return DecodeBudget.this;
        }

        private void add(int moved) {
            synchronized (this) {
                if (!closed) {
                    kib += moved;
                    return;
                }
            }
            kibibytes.release(moved);
        }

        /** Returns everything kept to the budget; the images themselves are the caller's to drop. */
        @Override
        public void close() {
            long held;
            synchronized (this) {
                closed = true;
                held = kib;
                kib = 0;
            }
            if (held > 0) {
                kibibytes.release((int) held);
            }
        }
    }

    /**
     * The budget stayed too full: the input is fine, the server is busy (HTTP 503). A
     * {@link RejectedExecutionException}, as for any work refused for lack of capacity.
     */
    public static final class Exhausted extends RejectedExecutionException {
        private static final long serialVersionUID = 1L;

        /** Creates the exception with a message naming the image and why it cannot be decoded now. */
        Exhausted(String message) {
            super(message);
        }
    }
}

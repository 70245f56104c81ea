package io.omoib.vton.examples;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes all connections together may hold for invocation bodies being received: every buffer is
 * reserved here before it is allocated, so that many large bodies at once get 503 instead of exhausting
 * the heap. Thread-safe.
 */
final class BodyBudget {
    private final long max;
    private final AtomicLong reserved = new AtomicLong();

    /**
     * Creates a budget of {@code max} bytes.
     *
     * @param max bytes that may be reserved at once
     */
    BodyBudget(long max) {
        this.max = max;
    }

    /**
     * Reserves bytes, if there is room.
     *
     * @param bytes how many
     * @return false, with nothing reserved, when that would pass the budget
     */
    boolean reserve(long bytes) {
        if (reserved.addAndGet(bytes) > max) {
            reserved.addAndGet(-bytes);
            return false;
        }
        return true;
    }

    /**
     * Gives back bytes reserved earlier.
     *
     * @param bytes bytes reserved earlier and no longer held
     */
    void release(long bytes) {
        reserved.addAndGet(-bytes);
    }

    /** {@return the bytes reserved now} */
    long reserved() {
        return reserved.get();
    }
}

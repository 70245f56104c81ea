package io.omoib.vton.internal;

import java.time.Duration;

/**
 * Checks shared by the builders that take time limits. Not API (see the package).
 *
 * <p>Thread safety: stateless, so safe from any thread.
 */
public final class Limits {
    private Limits() {
    }

    /**
     * Checks that a time limit is positive.
     *
     * @param value a time limit
     * @param name what to call it in the error
     * @return the value
     * @throws IllegalArgumentException if it is null, zero or negative
     */
    public static Duration positive(Duration value, String name) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
        return value;
    }
}

package io.omoib.vton.service;

import java.util.concurrent.RejectedExecutionException;

/** {@link TryOnService} already holds as many requests as its queue capacity; try again later. */
public final class QueueFullException extends RejectedExecutionException {
    private static final long serialVersionUID = 1L;

    /**
     * Makes the exception.
     *
     * @param capacity the queue capacity that was reached
     */
    public QueueFullException(int capacity) {
        super("the try-on queue is full (" + capacity + " requests waiting); retry later or raise the queue capacity");
    }
}

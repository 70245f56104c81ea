package io.omoib.vton.service;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiPredicate;
import java.util.function.Predicate;

/**
 * The queue between request preparation and the inference workers, with its batching policy and a
 * lock of its own. Items are counted while they are being prepared, enter in the order their
 * preparation ends, and leave in batches: a worker takes the oldest item and, for up to
 * {@code maxWait} while other items are still being prepared, gathers up to {@code maxBatch - 1} more
 * that are compatible with it.
 *
 * @param <T> what is queued
 */
final class BatchQueue<T> {
    private final int maxBatch;
    private final long maxWaitNanos;
    private final BiPredicate<T, T> compatible;
    private final Predicate<T> wanted;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** Prepared items in arrival order; guarded by {@link #lock}. */
    private final LinkedList<T> ready = new LinkedList<>();
    /** Items being prepared; guarded by {@link #lock}. */
    private int preparing;
    /** No more items will come: workers leave once nothing is ready or preparing. */
    private boolean draining;
    /** Workers leave now. */
    private boolean stopped;

    /**
     * Makes an empty queue.
     *
     * @param maxBatch the most items in one batch, at least 1
     * @param maxWait how long to wait for compatible items while others are still being prepared
     * @param compatible whether a queued item may join the batch of the first (the head)
     * @param wanted whether an item whose preparation ended should still be queued; asked under the
     *     queue's lock, so an item withdrawn concurrently is either never queued or seen by {@link #remove}
     */
    BatchQueue(int maxBatch, long maxWait, TimeUnit unit, BiPredicate<T, T> compatible, Predicate<T> wanted) {
        this.maxBatch = maxBatch;
        this.maxWaitNanos = unit.toNanos(maxWait);
        this.compatible = compatible;
        this.wanted = wanted;
    }

    /** Counts an item whose preparation has started; batches wait for such items up to {@code maxWait}. */
    void preparing() {
        lock.lock();
        try {
            preparing++;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Ends an item's preparation, queueing it if it is still {@code wanted}.
     *
     * @param item the item, or {@code null} when its preparation failed
     */
    void prepared(T item) {
        lock.lock();
        try {
            preparing--;
            if (item != null && wanted.test(item)) {
                ready.add(item);
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Withdraws an item that is waiting; does nothing if it is not. */
    void remove(T item) {
        lock.lock();
        try {
            ready.remove(item);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits for an item, then gathers compatible ones.
     *
     * @return the next batch, oldest first, or {@code null} once the queue is stopped, or drained and empty
     * @throws InterruptedException if the thread is interrupted while waiting
     */
    List<T> next() throws InterruptedException {
        lock.lock();
        try {
            T head;
            while (true) {
                if (stopped) {
                    return null;
                }
                head = ready.pollFirst();
                if (head != null) {
                    break;
                }
                if (draining && preparing == 0) {
                    return null;
                }
                changed.await();
            }
            List<T> batch = new ArrayList<>(maxBatch);
            batch.add(head);
            long until = System.nanoTime() + maxWaitNanos;
            while (batch.size() < maxBatch) {
                for (Iterator<T> it = ready.iterator(); it.hasNext() && batch.size() < maxBatch; ) {
                    T candidate = it.next();
                    if (compatible.test(head, candidate)) {
                        it.remove();
                        batch.add(candidate);
                    }
                }
                long left = until - System.nanoTime();
                if (batch.size() == maxBatch || preparing == 0 || stopped || left <= 0) {
                    break;
                }
                changed.awaitNanos(left);
            }
            return batch;
        } finally {
            lock.unlock();
        }
    }

    /** No more items will be added: {@link #next()} returns {@code null} once all are taken. */
    void drain() {
        lock.lock();
        try {
            draining = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** {@link #next()} returns {@code null} from now on; items still waiting stay where they are. */
    void stop() {
        lock.lock();
        try {
            stopped = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}

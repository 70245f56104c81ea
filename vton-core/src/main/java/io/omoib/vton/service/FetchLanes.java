package io.omoib.vton.service;

import io.omoib.vton.source.ImageSource;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Reads remote image sources on threads of their own, at most {@code perOrigin} reads of one origin
 * ({@link ImageSource#origin()}) at once; the others wait in their origin's line without a thread.
 * A slow or stalled host thus holds back the reads queued for it and at most {@code perOrigin} fetch
 * threads, never the service's I/O threads, which only decode. A read is cancelled through its
 * future: one still waiting never starts, a running one has its thread interrupted, which aborts a
 * URL fetch.
 */
final class FetchLanes implements AutoCloseable {
    private final ThreadPoolExecutor threads;
    private final int perOrigin;
    /** Each origin's reads: how many run, and the ones waiting; guarded by this. */
    private final Map<String, Lane> lanes = new HashMap<>();

    /** Creates lanes over a pool of {@code threads} threads, at most {@code perOrigin} reads of one origin at once. */
    FetchLanes(int threads, int perOrigin, ThreadFactory factory) {
        this.threads = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), factory);
        this.threads.allowCoreThreadTimeOut(true);
        this.perOrigin = perOrigin;
    }

    /**
     * {@return its bytes, read on a fetch thread once its origin has room; cancelling it stops the read}
     *
     * @param source a source with an origin
     */
    CompletableFuture<byte[]> read(ImageSource source) {
        Read read = new Read(source, source.origin().orElseThrow());
        boolean now;
        synchronized (this) {
            Lane lane = lanes.computeIfAbsent(read.origin, o -> new Lane());
            now = lane.running < perOrigin;
            if (now) {
                lane.running++;
            } else {
                lane.waiting.add(read);
            }
        }
        if (now) {
            read.start();
        }
        return read.result;
    }

    /** {@return reads of the origin waiting for room now (tests)} */
    synchronized int waiting(String origin) {
        Lane lane = lanes.get(origin);
        return lane == null ? 0 : lane.waiting.size();
    }

    /** One read of an origin ended: the next one waiting (not cancelled) takes its place. */
    private void finished(String origin) {
        Read next;
        synchronized (this) {
            Lane lane = lanes.get(origin);
            do {
                next = lane.waiting.poll();
            } while (next != null && next.result.isDone());
            if (next == null && --lane.running == 0) {
                lanes.remove(origin);
            }
        }
        if (next != null) {
            next.start();
        }
    }

    /** Stops the fetch threads, interrupting the reads still running. */
    @Override
    public void close() {
        threads.shutdownNow();
    }

    private static final class Lane {
        int running;
        final Queue<Read> waiting = new ArrayDeque<>();
    }

    /** The future of a read: cancelling it interrupts the thread reading, if one is. */
    private static final class ReadFuture extends CompletableFuture<byte[]> {
        /** The fetch thread reading now; guarded by this. */
        private Thread reader;

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            boolean cancelled = super.cancel(mayInterruptIfRunning);
            synchronized (this) {
                if (reader != null) {
                    reader.interrupt();
                }
            }
            return cancelled;
        }

        /** {@return whether the current thread may read: false once the read was cancelled} */
        synchronized boolean claim() {
            if (isDone()) {
                return false;
            }
            reader = Thread.currentThread();
            return true;
        }

        synchronized void release() {
            reader = null;
            Thread.interrupted(); // a cancellation's interrupt must not reach the thread's next read
        }
    }

    private final class Read implements Runnable {
        final ImageSource source;
        final String origin;
        final ReadFuture result = new ReadFuture();

        Read(ImageSource source, String origin) {
            this.source = source;
            this.origin = origin;
        }

        void start() {
            try {
                threads.execute(this);
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
                finished(origin);
            }
        }

        @Override
        public void run() {
            try {
                if (result.claim()) {
                    try {
                        result.complete(source.read());
                    } finally {
                        result.release();
                    }
                }
            } catch (Throwable e) {
                result.completeExceptionally(e);
            } finally {
                finished(origin);
            }
        }
    }
}

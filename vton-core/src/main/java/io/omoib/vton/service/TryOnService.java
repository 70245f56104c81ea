package io.omoib.vton.service;

import io.omoib.vton.internal.Limits;
import io.omoib.vton.pipeline.CatVTONPipeline;
import io.omoib.vton.pipeline.InferenceException;
import io.omoib.vton.pipeline.ModelArtifact;
import io.omoib.vton.pipeline.RunTimings;
import io.omoib.vton.pipeline.StepListener;
import io.omoib.vton.pipeline.TryOnParameters;
import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.preprocess.RgbImage;
import io.omoib.vton.preprocess.TryOnImages;
import io.omoib.vton.source.ImageSource;
import io.omoib.vton.source.ImageSourceException;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs try-on requests from many threads on one or more pipelines: a bounded queue, one inference
 * worker per pipeline (per device), micro-batches, deadlines, progress events, metrics and an optional
 * sink and completion notice.
 *
 * <p>Flow: {@link #submit} takes a slot in the queue (or throws {@link QueueFullException}) and returns
 * at once. A small I/O pool fetches, decodes and prepares the images, so the workers never wait on
 * I/O. A worker takes the oldest prepared request and, for up to {@code maxWait} while other requests
 * are still being prepared, gathers up to {@code maxBatch - 1} more that can share its run (same size,
 * steps, guidance and eta); each keeps its own seed, so a result is the same alone or batched. The
 * I/O pool then stores the result (when there is a sink), sends the notice, and completes the future.
 *
 * <p>Cancelling a future, or its deadline passing, completes it at once: a request still queued never
 * runs, one inside a run has its result dropped, and a run whose requests have all left is stopped
 * between steps. Others in the same batch are unaffected.
 *
 * <p>The service does not own the pipelines: close the service, then the pipelines.
 */
public final class TryOnService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TryOnService.class);

    private final ModelArtifact artifact;
    private final TryOnParameters defaults;
    private final int capacity;
    private final int maxBatch;
    private final long maxWaitNanos;
    private final Duration defaultTimeout;
    private final ImageCodec codec;
    private final ResultSink sink;
    private final CompletionNotifier notifier;
    private final ExecutorService io;
    private final ScheduledExecutorService timer;
    private final List<Worker> workers = new ArrayList<>();

    private final Semaphore slots;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** Prepared requests in arrival order; guarded by {@link #lock}. */
    private final LinkedList<Job> ready = new LinkedList<>();
    /** Requests accepted whose preparation has not finished; guarded by {@link #lock}. */
    private int preparing;
    /** Workers exit as soon as they can; guarded by {@link #lock}. */
    private boolean stopping;
    private volatile boolean closing;
    private final Set<Job> active = ConcurrentHashMap.newKeySet();

    private final AtomicLong submitted = new AtomicLong();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong cancelled = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final LatencyWindow latencies = new LatencyWindow();

    private TryOnService(Builder b) {
        this.artifact = b.pipelines.get(0).artifact();
        this.defaults = b.defaults != null ? b.defaults : b.pipelines.get(0).defaults();
        this.capacity = b.queueCapacity;
        this.maxBatch = b.maxBatch;
        this.maxWaitNanos = b.maxWait.toNanos();
        this.defaultTimeout = b.timeout;
        this.codec = b.codec;
        this.sink = b.sink;
        this.notifier = b.notifier;
        this.slots = new Semaphore(capacity);
        this.io = Executors.newFixedThreadPool(b.ioThreads, daemonThreads("vton-io-"));
        this.timer = Executors.newSingleThreadScheduledExecutor(daemonThreads("vton-deadlines-"));
        for (int i = 0; i < b.pipelines.size(); i++) {
            Worker worker = new Worker(b.pipelines.get(i), "vton-worker-" + i);
            workers.add(worker);
            worker.thread.start();
        }
    }

    /** @return a builder; at least one pipeline is required */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Accepts a request. Checks that are cheap happen here; fetching, decoding and preparing happen on
     * the I/O pool and their failures complete the future exceptionally.
     *
     * @param request the try-on
     * @return completes with the result; or exceptionally with {@link ImageSourceException} (a source
     *     failed), {@code InvalidImageException} or {@link IllegalArgumentException} (bad images),
     *     {@link InferenceException}, {@link TimeoutException} (its deadline passed),
     *     {@link RejectedExecutionException} (the service closed first), or an {@link IOException}
     *     from the sink or notifier. Cancelling it withdraws the request.
     * @throws QueueFullException if the queue holds {@code queueCapacity} requests already
     * @throws RejectedExecutionException if the service is closed
     * @throws IllegalArgumentException if the size or step count is not one the model supports
     */
    public CompletableFuture<TryOnResult> submit(TryOnRequest request) {
        Objects.requireNonNull(request, "request");
        TryOnParameters parameters = request.parameters() != null ? request.parameters() : defaults;
        int width = request.width() > 0 ? request.width() : artifact.width();
        int height = request.height() > 0 ? request.height() : artifact.height();
        artifact.checkSize(width, height);
        artifact.scheduler().schedule(parameters.steps());
        if (closing) {
            rejected.incrementAndGet();
            throw new RejectedExecutionException("the try-on service is closed");
        }
        if (!slots.tryAcquire()) {
            rejected.incrementAndGet();
            throw new QueueFullException(capacity);
        }
        Job job = new Job(request, parameters, width, height);
        submitted.incrementAndGet();
        active.add(job);
        lock.lock();
        try {
            preparing++;
        } finally {
            lock.unlock();
        }
        job.future.whenComplete((result, error) -> finished(job, error));
        Duration timeout = request.timeout() != null ? request.timeout() : defaultTimeout;
        try {
            if (timeout != null) {
                job.deadline = timer.schedule(() -> job.future.completeExceptionally(new TimeoutException(
                        "try-on " + request.id() + " did not finish within " + timeout.toMillis() + " ms")),
                        timeout.toNanos(), TimeUnit.NANOSECONDS);
            }
            io.execute(() -> prepare(job));
        } catch (RejectedExecutionException e) {
            preparationEnded();
            job.future.completeExceptionally(new RejectedExecutionException("the try-on service is closed"));
        }
        return job.future;
    }

    /** @return the queue and counters now */
    public ServiceMetrics metrics() {
        double[] p = latencies.percentiles(0.50, 0.95, 0.99);
        return new ServiceMetrics(capacity - slots.availablePermits(), inFlight.get(), submitted.get(),
                completed.get(), failed.get(), cancelled.get(), rejected.get(), p[0], p[1], p[2],
                latencies.perSecond());
    }

    /** @return whether every worker thread is alive and the service accepts requests */
    public boolean isHealthy() {
        return !closing && workers.stream().allMatch(w -> w.thread.isAlive());
    }

    /** @return the most requests waiting (preparing or prepared) before {@link QueueFullException} */
    public int queueCapacity() {
        return capacity;
    }

    /** Closes with a 30 s grace period, as {@link #close(Duration)}. */
    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }

    /**
     * Stops accepting requests, lets accepted ones finish within the grace period, then fails the
     * rest with a {@link RejectedExecutionException} saying so, and stops the threads. Safe to call
     * more than once.
     *
     * @param grace how long accepted requests may still take
     */
    public void close(Duration grace) {
        closing = true;
        long end = System.nanoTime() + grace.toNanos();
        lock.lock();
        try {
            changed.signalAll();
            while (!active.isEmpty()) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                changed.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
        for (Job job : active) {
            job.future.completeExceptionally(new RejectedExecutionException("the try-on service closed before "
                    + job.request.id() + " finished (grace period " + grace.toMillis() + " ms)"));
        }
        lock.lock();
        try {
            stopping = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        for (Worker worker : workers) {
            try {
                worker.thread.join(Math.max(1000, grace.toMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (worker.thread.isAlive()) {
                LOG.warn("{} is still inside a pipeline run after close", worker.thread.getName());
            }
        }
        io.shutdownNow();
        timer.shutdownNow();
    }

    private void prepare(Job job) {
        long started = System.nanoTime();
        try {
            if (job.future.isDone()) {
                return;
            }
            job.progress(ProgressListener.Stage.PREPARING, 0, 0);
            TryOnRequest r = job.request;
            RgbImage person = decode(r.person());
            RgbImage mask = decode(r.mask());
            RgbImage upper = r.upper() == null ? null : decode(r.upper());
            RgbImage lower = r.lower() == null ? null : decode(r.lower());
            job.images = TryOnImages.prepare(person, mask, upper, lower, r.clothType(), job.width, job.height);
            job.prepared = System.nanoTime();
            job.prepareNanos = job.prepared - started;
            lock.lock();
            try {
                if (!job.future.isDone()) {
                    ready.add(job);
                }
            } finally {
                lock.unlock();
            }
            job.progress(ProgressListener.Stage.QUEUED, 0, 0);
        } catch (Throwable e) {
            job.future.completeExceptionally(e);
        } finally {
            preparationEnded();
        }
    }

    private RgbImage decode(ImageSource source) throws IOException {
        return codec.decode(source.read(), source.name());
    }

    private void preparationEnded() {
        lock.lock();
        try {
            preparing--;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Bookkeeping when a request's future completes, however it completes. */
    private void finished(Job job, Throwable error) {
        if (job.deadline != null) {
            job.deadline.cancel(false);
        }
        job.releaseSlot();
        if (error == null) {
            completed.incrementAndGet();
            latencies.add(System.nanoTime() - job.submitted);
        } else if (error instanceof CancellationException || error instanceof RejectedExecutionException) {
            cancelled.incrementAndGet();
        } else {
            failed.incrementAndGet();
        }
        Batch batch = job.batch;
        if (batch != null) {
            batch.worker.stopIfAbandoned(batch);
        }
        lock.lock();
        try {
            ready.remove(job);
            active.remove(job);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        job.progress(ProgressListener.Stage.DONE, 0, 0);
    }

    /**
     * Waits for a prepared request, then gathers compatible ones into a batch.
     *
     * @return the batch, or {@code null} when the worker should exit
     */
    private List<Job> nextBatch() throws InterruptedException {
        lock.lock();
        try {
            Job head;
            while ((head = ready.pollFirst()) == null) {
                if (stopping || (closing && preparing == 0)) {
                    return null;
                }
                changed.await();
            }
            List<Job> batch = new ArrayList<>(maxBatch);
            batch.add(head);
            long until = System.nanoTime() + maxWaitNanos;
            while (batch.size() < maxBatch) {
                for (Iterator<Job> it = ready.iterator(); it.hasNext() && batch.size() < maxBatch; ) {
                    Job candidate = it.next();
                    if (head.batchesWith(candidate)) {
                        it.remove();
                        batch.add(candidate);
                    }
                }
                long left = until - System.nanoTime();
                if (batch.size() == maxBatch || preparing == 0 || stopping || left <= 0) {
                    break;
                }
                changed.awaitNanos(left);
            }
            return batch;
        } finally {
            lock.unlock();
        }
    }

    private void store(Job job, RgbImage image, long runNanos, RunTimings pipelineTimings, int batchSize) {
        long started = System.nanoTime();
        try {
            if (job.future.isDone()) {
                return;
            }
            URI location = null;
            if (sink != null) {
                job.progress(ProgressListener.Stage.STORING, 0, 0);
                TryOnRequest r = job.request;
                ResultName name = new ResultName(r.userId() == null || r.userId().isEmpty() ? "anonymous" : r.userId(),
                        r.clothType(), job.timestamp);
                location = sink.write(name, image);
                if (notifier != null) {
                    notifier.notify(name, location);
                }
            }
            long now = System.nanoTime();
            TryOnResult.Timings timings = new TryOnResult.Timings(job.prepareNanos, job.dequeued - job.prepared,
                    runNanos, now - started, now - job.submitted, pipelineTimings);
            job.future.complete(new TryOnResult(job.request.id(), image, location, batchSize, timings));
        } catch (Throwable e) {
            job.future.completeExceptionally(e);
        }
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return runnable -> {
            Thread t = new Thread(runnable, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** One accepted request and what the service knows about it. */
    private final class Job {
        final TryOnRequest request;
        final TryOnParameters parameters;
        final int width;
        final int height;
        final String timestamp;
        final long submitted = System.nanoTime();
        final CompletableFuture<TryOnResult> future = new CompletableFuture<>();
        final AtomicBoolean holdsSlot = new AtomicBoolean(true);
        volatile ScheduledFuture<?> deadline;
        volatile Batch batch;
        /** Written before the job enters {@link #ready} under the lock, read after leaving it. */
        TryOnImages images;
        long prepared;
        long prepareNanos;
        long dequeued;

        Job(TryOnRequest request, TryOnParameters parameters, int width, int height) {
            this.request = request;
            this.parameters = parameters;
            this.width = width;
            this.height = height;
            this.timestamp = request.timestamp() != null && !request.timestamp().isEmpty() ? request.timestamp()
                    : Long.toString(System.currentTimeMillis());
        }

        boolean batchesWith(Job other) {
            return width == other.width && height == other.height && parameters.batchesWith(other.parameters);
        }

        void releaseSlot() {
            if (holdsSlot.compareAndSet(true, false)) {
                slots.release();
            }
        }

        void progress(ProgressListener.Stage stage, int step, int steps) {
            try {
                request.progress().onProgress(new ProgressListener.Event(request.id(), stage, step, steps));
            } catch (RuntimeException e) {
                LOG.warn("progress listener of {} failed", request.id(), e);
            }
        }
    }

    /** Requests sharing one pipeline run. */
    private record Batch(List<Job> jobs, Worker worker) {
        boolean abandoned() {
            return jobs.stream().allMatch(j -> j.future.isDone());
        }
    }

    /** The thread that runs batches on one pipeline. */
    private final class Worker implements Runnable {
        final CatVTONPipeline pipeline;
        final Thread thread;
        /** The batch running now; guarded by this worker's monitor. */
        private Batch current;

        Worker(CatVTONPipeline pipeline, String name) {
            this.pipeline = pipeline;
            this.thread = new Thread(this, name);
            this.thread.setDaemon(true);
        }

        @Override
        public void run() {
            while (true) {
                List<Job> jobs;
                try {
                    jobs = nextBatch();
                } catch (InterruptedException e) {
                    continue;
                }
                if (jobs == null) {
                    return;
                }
                runBatch(jobs);
            }
        }

        synchronized void stopIfAbandoned(Batch batch) {
            if (current == batch && batch.abandoned()) {
                thread.interrupt();
            }
        }

        private void runBatch(List<Job> jobs) {
            Batch batch = new Batch(jobs, this);
            long started = System.nanoTime();
            for (Job job : jobs) {
                job.dequeued = started;
                job.batch = batch;
                job.releaseSlot();
            }
            synchronized (this) {
                current = batch;
            }
            inFlight.addAndGet(jobs.size());
            try {
                if (batch.abandoned()) {
                    return;
                }
                List<TryOnImages> images = new ArrayList<>(jobs.size());
                List<TryOnParameters> parameters = new ArrayList<>(jobs.size());
                for (Job job : jobs) {
                    images.add(job.images);
                    parameters.add(job.parameters);
                }
                RunTimings[] timings = new RunTimings[1];
                List<RgbImage> results = pipeline.runBatch(images, parameters, new StepListener() {
                    @Override
                    public void onStep(int step, int steps) {
                        for (Job job : jobs) {
                            if (!job.future.isDone()) {
                                job.progress(ProgressListener.Stage.RUNNING, step, steps);
                            }
                        }
                    }

                    @Override
                    public void onFinished(RunTimings t) {
                        timings[0] = t;
                    }
                });
                long runNanos = System.nanoTime() - started;
                for (int i = 0; i < jobs.size(); i++) {
                    Job job = jobs.get(i);
                    RgbImage image = results.get(i);
                    try {
                        io.execute(() -> store(job, image, runNanos, timings[0], jobs.size()));
                    } catch (RejectedExecutionException e) {
                        job.future.completeExceptionally(new RejectedExecutionException("the try-on service closed"));
                    }
                }
            } catch (Throwable e) {
                if (!(e instanceof CancellationException)) {
                    LOG.warn("pipeline run of {} failed", Arrays.toString(jobs.stream().map(j -> j.request.id()).toArray()), e);
                }
                jobs.forEach(job -> job.future.completeExceptionally(e));
            } finally {
                synchronized (this) {
                    current = null;
                    Thread.interrupted();
                }
                inFlight.addAndGet(-jobs.size());
            }
        }
    }

    /** Latencies and completion times of the last 1,024 results. */
    private static final class LatencyWindow {
        private static final int SIZE = 1024;
        private static final long MINUTE = TimeUnit.MINUTES.toNanos(1);
        private final long[] latency = new long[SIZE];
        private final long[] at = new long[SIZE];
        private final long started = System.nanoTime();
        private int count;
        private int next;

        synchronized void add(long latencyNanos) {
            latency[next] = latencyNanos;
            at[next] = System.nanoTime();
            next = (next + 1) % SIZE;
            count = Math.min(count + 1, SIZE);
        }

        synchronized double[] percentiles(double... quantiles) {
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

        synchronized double perSecond() {
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

    /** Builds a {@link TryOnService}; threads start in {@link #build()}. */
    public static final class Builder {
        private final List<CatVTONPipeline> pipelines = new ArrayList<>();
        private TryOnParameters defaults;
        private int queueCapacity = 64;
        private int maxBatch = 1;
        private Duration maxWait = Duration.ofMillis(20);
        private Duration timeout;
        private int ioThreads = 4;
        private ImageCodec codec = ImageCodec.defaults();
        private ResultSink sink;
        private CompletionNotifier notifier;

        private Builder() {
        }

        /**
         * Adds a pipeline, with a worker thread of its own. Several pipelines must load the same model
         * (one per device, for example).
         *
         * @param value a pipeline the service uses but does not close
         */
        public Builder pipeline(CatVTONPipeline value) {
            pipelines.add(Objects.requireNonNull(value, "pipeline"));
            return this;
        }

        /** @param value parameters for requests that carry none; default the first pipeline's defaults */
        public Builder defaults(TryOnParameters value) {
            defaults = Objects.requireNonNull(value, "defaults");
            return this;
        }

        /** @param value the most requests accepted and not yet running, 1 to 100,000; default 64 */
        public Builder queueCapacity(int value) {
            if (value < 1 || value > 100_000) {
                throw new IllegalArgumentException("queueCapacity must be 1 to 100000, got " + value);
            }
            queueCapacity = value;
            return this;
        }

        /** @param value the most requests in one pipeline run, 1 to 64; default 1 (no batching) */
        public Builder maxBatch(int value) {
            if (value < 1 || value > 64) {
                throw new IllegalArgumentException("maxBatch must be 1 to 64, got " + value);
            }
            maxBatch = value;
            return this;
        }

        /**
         * @param value how long a worker waits for more requests to fill a batch while some are still
         *     being prepared; default 20 ms
         */
        public Builder maxWait(Duration value) {
            if (value == null || value.isNegative()) {
                throw new IllegalArgumentException("maxWait must be zero or positive, got " + value);
            }
            maxWait = value;
            return this;
        }

        /** @param value the deadline for requests that set none, from submission; default none */
        public Builder timeout(Duration value) {
            timeout = value == null ? null : Limits.positive(value, "timeout");
            return this;
        }

        /** @param value threads that fetch, decode, prepare and store, 1 to 256; default 4 */
        public Builder ioThreads(int value) {
            if (value < 1 || value > 256) {
                throw new IllegalArgumentException("ioThreads must be 1 to 256, got " + value);
            }
            ioThreads = value;
            return this;
        }

        /** @param value decodes inputs within its limits; default {@link ImageCodec#defaults()} */
        public Builder codec(ImageCodec value) {
            codec = Objects.requireNonNull(value, "codec");
            return this;
        }

        /** @param value where results are stored; default none (results only in memory) */
        public Builder sink(ResultSink value) {
            sink = value;
            return this;
        }

        /** @param value told after the sink stored a result; default none */
        public Builder notifier(CompletionNotifier value) {
            notifier = value;
            return this;
        }

        /**
         * @return the running service
         * @throws IllegalStateException if no pipeline was added
         */
        public TryOnService build() {
            if (pipelines.isEmpty()) {
                throw new IllegalStateException("a TryOnService needs at least one pipeline");
            }
            if (notifier != null && sink == null) {
                throw new IllegalStateException("a completion notifier needs a sink to report locations from");
            }
            return new TryOnService(this);
        }
    }
}

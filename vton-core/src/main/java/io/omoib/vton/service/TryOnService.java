package io.omoib.vton.service;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.omoib.vton.internal.Limits;
import io.omoib.vton.pipeline.CatVTONPipeline;
import io.omoib.vton.pipeline.InferenceException;
import io.omoib.vton.pipeline.InvalidParameterException;
import io.omoib.vton.pipeline.ModelArtifact;
import io.omoib.vton.pipeline.PipelineInput;
import io.omoib.vton.pipeline.PipelineOutput;
import io.omoib.vton.pipeline.RunTimings;
import io.omoib.vton.pipeline.StepListener;
import io.omoib.vton.pipeline.TryOnParameters;
import io.omoib.vton.preprocess.DecodeBudget;
import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.preprocess.Input;
import io.omoib.vton.preprocess.InvalidImageException;
import io.omoib.vton.preprocess.InvalidInputException;
import io.omoib.vton.preprocess.RgbImage;
import io.omoib.vton.preprocess.TryOnImages;
import io.omoib.vton.source.ImageSource;
import io.omoib.vton.source.ImageSourceException;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs try-on requests from many threads on one or more pipelines: a bounded queue, one inference
 * worker per pipeline (per device), micro-batches, deadlines, progress events, metrics and an optional
 * sink and completion notice.
 *
 * <p>Flow: {@link #submit} takes a slot in the queue (or throws {@link QueueFullException}) and returns
 * at once. The images of a request are read at once, each on its own: bytes and files right away,
 * URLs and object-store keys on fetch threads, at most {@code fetchesPerOrigin} of one origin at a
 * time (so a slow host holds back only its own requests). Once all are in, a small I/O pool decodes
 * and prepares them ({@link RequestPreparer}); neither the I/O pool nor the workers ever wait on the
 * network. Every encoded and decoded image a request keeps is reserved in the codec's decode budget
 * until its prepared images replace them. A worker takes batches from the {@link BatchQueue}: the
 * oldest prepared request and, for up to {@code maxWait} while other requests are still being prepared, up to
 * {@code maxBatch - 1} more that can share its run (same size, steps, guidance and eta); each keeps its
 * own seed, so a result is the same alone or batched. The I/O pool then stores the result (when there
 * is a sink), sends the notice, and completes the future.
 *
 * <p>A request ends exactly once, however it ends (result, failure, deadline, cancellation, close):
 * its slot, meters and progress are settled first and its future completes last, so
 * the meters read after the future completed already count it.
 *
 * <p>Cancelling a future, or its deadline passing, ends the request at once: its reads still running
 * are interrupted (a URL fetch is aborted) and those waiting never start, a decode in progress has its
 * I/O thread interrupted (a wait for the decode budget ends), so every thread serves the next request
 * at once; a request still queued never runs, one inside a run has its result dropped, and a run
 * whose requests have all left is stopped between steps. Others in the same batch are unaffected.
 *
 * <p>The service does not own the pipelines: close the service, then the pipelines.
 */
public final class TryOnService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TryOnService.class);

    private final ModelArtifact artifact;
    private final TryOnParameters defaults;
    private final int capacity;
    private final Duration defaultTimeout;
    private final RequestPreparer preparer;
    private final ResultSink sink;
    private final CompletionNotifier notifier;
    private final ExecutorService io;
    private final FetchLanes fetches;
    private final ScheduledExecutorService timer;
    private final List<Worker> workers = new ArrayList<>();
    private final Semaphore slots;
    private final BatchQueue<Job> queue;
    private final MetricsRecorder metrics;
    /** Requests accepted and not yet ended; guarded by its own monitor, which {@link #close} waits on. */
    private final Set<Job> active = new HashSet<>();
    private volatile boolean closing;

    private TryOnService(Builder b) {
        this.artifact = b.pipelines.get(0).artifact();
        this.defaults = b.defaults != null ? b.defaults : b.pipelines.get(0).defaults();
        this.capacity = b.queueCapacity;
        this.defaultTimeout = b.timeout;
        this.preparer = new RequestPreparer(b.codec);
        this.sink = b.sink;
        this.notifier = b.notifier;
        this.slots = new Semaphore(capacity);
        this.metrics = new MetricsRecorder(b.meterRegistry, () -> capacity - slots.availablePermits());
        this.queue = new BatchQueue<>(b.maxBatch, b.maxWait.toNanos(), TimeUnit.NANOSECONDS, Job::batchesWith,
                job -> !job.isDone());
        this.io = Executors.newFixedThreadPool(b.ioThreads, daemonThreads("vton-io-"));
        this.fetches = new FetchLanes(b.fetchThreads, b.fetchesPerOrigin, daemonThreads("vton-fetch-"));
        this.timer = Executors.newSingleThreadScheduledExecutor(daemonThreads("vton-deadlines-"));
        for (int i = 0; i < b.pipelines.size(); i++) {
            Worker worker = new Worker(b.pipelines.get(i), "vton-worker-" + i);
            workers.add(worker);
            worker.thread.start();
        }
    }

    /** {@return a new builder; at least one pipeline is required} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Accepts a request. Checks that are cheap happen here; reading, decoding and preparing happen on
     * the I/O pool and their failures complete the future exceptionally.
     *
     * @param request the try-on
     * @return completes with the result; or exceptionally with {@link InvalidInputException} (an image
     *     could not be read or decoded, or the images do not fit together; its {@code input()} says which),
     *     {@link InferenceException}, {@link TimeoutException} (its deadline passed),
     *     {@link RejectedExecutionException} (the service closed first), or an {@link IOException}
     *     from a source, the sink or the notifier. Cancelling it withdraws the request.
     * @throws QueueFullException if the queue holds {@code queueCapacity} requests already
     * @throws RejectedExecutionException if the service is closed
     * @throws InvalidParameterException if the size or step count is not one the model supports
     */
    public CompletableFuture<TryOnResult> submit(TryOnRequest request) {
        Objects.requireNonNull(request, "request");
        TryOnParameters parameters = request.parameters() != null ? request.parameters() : defaults;
        int width = request.width() > 0 ? request.width() : artifact.width();
        int height = request.height() > 0 ? request.height() : artifact.height();
        artifact.checkSize(width, height);
        artifact.scheduler().schedule(parameters.steps());
        if (closing) {
            metrics.rejected();
            throw new RejectedExecutionException("the try-on service is closed");
        }
        if (!slots.tryAcquire()) {
            metrics.rejected();
            throw new QueueFullException(capacity);
        }
        Job job = new Job(request, parameters, width, height);
        synchronized (active) {
            active.add(job);
        }
        queue.preparing();
        Duration timeout = request.timeout() != null ? request.timeout() : defaultTimeout;
        try {
            if (timeout != null) {
                job.deadline = timer.schedule(() -> job.end(null, new TimeoutException(
                        "try-on " + request.id() + " did not finish within " + timeout.toMillis() + " ms")),
                        timeout.toNanos(), TimeUnit.NANOSECONDS);
            }
            io.execute(() -> read(job));
        } catch (RejectedExecutionException e) {
            queue.prepared(null);
            job.end(null, new RejectedExecutionException("the try-on service is closed"));
        }
        return job.result;
    }

    /** {@return whether every worker thread is alive and the service accepts requests} */
    public boolean isHealthy() {
        return !closing && workers.stream().allMatch(w -> w.thread.isAlive());
    }

    /** {@return reads of an origin waiting for room now (tests)} */
    int readsWaiting(String origin) {
        return fetches.waiting(origin);
    }

    /** {@return the most requests waiting (preparing or prepared) before {@link QueueFullException}} */
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
        queue.drain();
        long end = System.nanoTime() + grace.toNanos();
        List<Job> unfinished;
        synchronized (active) {
            try {
                // a future that is already complete does not hold close() back, even while its request is
                // still leaving the set: close() may be called from that future's own callback
                for (long left = grace.toNanos(); active.stream().anyMatch(job -> !job.result.isDone()) && left > 0;
                        left = end - System.nanoTime()) {
                    TimeUnit.NANOSECONDS.timedWait(active, left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            unfinished = new ArrayList<>(active);
        }
        for (Job job : unfinished) {
            job.end(null, new RejectedExecutionException("the try-on service closed before "
                    + job.request.id() + " finished (grace period " + grace.toMillis() + " ms)"));
        }
        queue.stop();
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
        fetches.close();
        timer.shutdownNow();
        metrics.close();
    }

    /**
     * Starts reading a request's images, each on its own: local ones here, remote ones on the fetch
     * threads; when all are in (or one failed), {@link #prepare} continues on the I/O pool.
     */
    private void read(Job job) {
        job.started = System.nanoTime();
        Map<Input, CompletableFuture<byte[]>> reads = new EnumMap<>(Input.class);
        // the reads themselves, which cancelling interrupts (a future derived from one does not reach it)
        List<CompletableFuture<byte[]>> started = new ArrayList<>();
        try {
            job.holding = preparer.holding();
            if (!job.startPreparing()) {
                throw new CancellationException("try-on " + job.request.id() + " ended before its images were read");
            }
            try {
                job.progress(ProgressListener.Stage.PREPARING, 0, 0);
                for (Map.Entry<Input, ImageSource> entry : job.request.sources().entrySet()) {
                    ImageSource source = entry.getValue();
                    // a local source (bytes, a file) is read here, its interrupt ending it like a remote read's
                    CompletableFuture<byte[]> read = source.origin().isPresent() ? fetches.read(source) : readHere(source);
                    started.add(read);
                    reads.put(entry.getKey(), read.thenApply(bytes -> {
                        job.holding.reserve(bytes.length, source.name());
                        return bytes;
                    }));
                }
            } finally {
                job.stopPreparing();
                Thread.interrupted(); // an interrupt that ended this job's reading must not reach the next job
            }
        } catch (Throwable e) {
            started.forEach(read -> read.cancel(true));
            job.end(null, e);
            closeHolding(job); // the job may have ended before its holding was made: end() did not close it
            queue.prepared(null);
            return;
        }
        job.reads(started);
        for (CompletableFuture<byte[]> read : reads.values()) {
            read.whenComplete((bytes, error) -> endOnFailedRead(job, reads));
        }
        CompletableFuture.allOf(reads.values().toArray(CompletableFuture[]::new)).whenComplete((all, error) -> {
            try {
                io.execute(() -> prepare(job, reads));
            } catch (RejectedExecutionException closed) {
                job.end(null, new RejectedExecutionException("the try-on service is closed"));
                closeHolding(job);
                queue.prepared(null);
            }
        });
    }

    private static CompletableFuture<byte[]> readHere(ImageSource source) {
        try {
            return CompletableFuture.completedFuture(source.read());
        } catch (Throwable e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Ends the request with the failure of its first input (in {@link Input} order) whose read failed,
     * once the reads before it are done: as soon as it is known, and the same failure whichever read
     * finished first. Ending it cancels the other reads.
     */
    private static void endOnFailedRead(Job job, Map<Input, CompletableFuture<byte[]>> reads) {
        for (Map.Entry<Input, CompletableFuture<byte[]>> entry : reads.entrySet()) {
            CompletableFuture<byte[]> read = entry.getValue();
            if (!read.isDone()) {
                return;
            }
            try {
                read.join();
            } catch (CompletionException | CancellationException e) {
                job.end(null, readFailure(entry.getKey(), e));
                return;
            }
        }
    }

    /** {@return what a failed read means for the request: a bad input names its role} */
    private static Throwable readFailure(Input input, Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof ImageSourceException || cause instanceof InvalidImageException) {
            return new InvalidInputException(input, cause.getMessage(), cause);
        }
        return cause;
    }

    /** Decodes and prepares the images once read, on the I/O pool; the request then waits for a worker. */
    private void prepare(Job job, Map<Input, CompletableFuture<byte[]>> reads) {
        boolean prepared = false;
        try {
            if (!job.startPreparing()) {
                return;
            }
            Map<Input, byte[]> encoded = new EnumMap<>(Input.class);
            for (Map.Entry<Input, CompletableFuture<byte[]>> entry : reads.entrySet()) {
                encoded.put(entry.getKey(), entry.getValue().getNow(null));
            }
            job.images = preparer.prepare(job.request, encoded, job.width, job.height, job.holding, job::isDone);
            job.prepared = System.nanoTime();
            job.prepareNanos = job.prepared - job.started;
            prepared = true;
            if (!job.isDone()) {
                // told before a worker can take it, so that QUEUED never follows the run's first stage
                job.progress(ProgressListener.Stage.QUEUED, 0, 0);
            }
        } catch (Throwable e) {
            job.end(null, e);
        } finally {
            job.stopPreparing();
            Thread.interrupted(); // an interrupt that ended this job's preparation must not reach the next job
            closeHolding(job);
            queue.prepared(prepared ? job : null);
        }
    }

    /** The prepared images (or the failure) replace what the request kept: its reservations go back. */
    private static void closeHolding(Job job) {
        if (job.holding != null) {
            job.holding.close();
        }
    }

    private void store(Job job, RgbImage image, long runNanos, RunTimings pipelineTimings, int batchSize) {
        long started = System.nanoTime();
        try {
            if (job.isDone()) {
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
            job.end(new TryOnResult(job.request.id(), image, location, batchSize, timings), null);
        } catch (Throwable e) {
            job.end(null, e);
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

    /**
     * The future handed to the caller. Completing or cancelling it from outside ends the request
     * through {@link Job#end}, so the bookkeeping always happens before the future completes.
     */
    private static final class ResultFuture extends CompletableFuture<TryOnResult> {
        private Job job;

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            job.end(null, new CancellationException("try-on " + job.request.id() + " was cancelled"));
            return isCancelled();
        }

        @Override
        public boolean complete(TryOnResult value) {
            job.end(value, null);
            return isDone();
        }

        @Override
        public boolean completeExceptionally(Throwable error) {
            job.end(null, error);
            return isDone();
        }

        void settle(TryOnResult value, Throwable error) {
            if (error == null) {
                super.complete(value);
            } else {
                super.completeExceptionally(error);
            }
        }
    }

    /** One accepted request and what the service knows about it. */
    private final class Job {
        final TryOnRequest request;
        final TryOnParameters parameters;
        final int width;
        final int height;
        final String timestamp;
        final long submitted = System.nanoTime();
        final ResultFuture result = new ResultFuture();
        private final AtomicBoolean ended = new AtomicBoolean();
        private final AtomicBoolean holdsSlot = new AtomicBoolean(true);
        volatile ScheduledFuture<?> deadline;
        volatile Batch batch;
        /** The I/O thread preparing this request, while it does; guarded by this job's monitor. */
        private Thread preparingThread;
        /** Its image reads, cancelled when it ends; guarded by this job's monitor. */
        private List<CompletableFuture<byte[]>> reads = List.of();
        /** What it keeps in the decode budget while it is read and prepared. */
        volatile DecodeBudget.Holding holding;
        long started;
        /** Written before the job enters the queue, under its lock; read after leaving it. */
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
            result.job = this;
        }

        /** {@return whether the request has ended (its future may still be completing)} */
        boolean isDone() {
            return ended.get();
        }

        boolean batchesWith(Job other) {
            return width == other.width && height == other.height && parameters.batchesWith(other.parameters);
        }

        void releaseSlot() {
            if (holdsSlot.compareAndSet(true, false)) {
                slots.release();
            }
        }

        /**
         * Claims the request's preparation for the current thread.
         *
         * @return false when the request ended before its preparation began; else the current thread prepares it
         */
        synchronized boolean startPreparing() {
            if (isDone()) {
                return false;
            }
            preparingThread = Thread.currentThread();
            return true;
        }

        /** Keeps the reads to cancel when the request ends; cancels them now if it has ended. */
        void reads(Collection<CompletableFuture<byte[]>> value) {
            synchronized (this) {
                reads = List.copyOf(value);
            }
            if (isDone()) {
                cancelReads();
            }
        }

        void cancelReads() {
            List<CompletableFuture<byte[]>> running;
            synchronized (this) {
                running = reads;
            }
            running.forEach(read -> read.cancel(true));
        }

        synchronized void stopPreparing() {
            preparingThread = null;
        }

        /** Interrupts the thread preparing this request, unless it is the caller (a failure ending its own job). */
        synchronized void interruptPreparation() {
            if (preparingThread != null && preparingThread != Thread.currentThread()) {
                preparingThread.interrupt();
            }
        }

        /**
         * Ends the request, once: stops its preparation (interrupting the thread that reads and decodes
         * its images), releases its slot, counts it, leaves the queue, stops a run that no longer serves
         * anyone, reports {@code DONE}, and only then completes the caller's future; it leaves the set
         * {@link #close} waits on after that.
         *
         * @param value the result, when {@code error} is {@code null}
         * @param error why it failed, or {@code null}
         */
        void end(TryOnResult value, Throwable error) {
            if (!ended.compareAndSet(false, true)) {
                return;
            }
            if (deadline != null) {
                deadline.cancel(false);
            }
            interruptPreparation();
            cancelReads();
            closeHolding(this);
            releaseSlot();
            metrics.ended(error, System.nanoTime() - submitted);
            queue.remove(this);
            Batch running = batch;
            if (running != null) {
                running.worker.stopIfAbandoned(running);
            }
            progress(ProgressListener.Stage.DONE, 0, 0);
            result.settle(value, error);
            // last, so that close() returns only once every accepted request's future is complete
            synchronized (active) {
                active.remove(this);
                active.notifyAll();
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
            return jobs.stream().allMatch(Job::isDone);
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
                    jobs = queue.next();
                } catch (InterruptedException e) {
                    continue;
                }
                if (jobs == null) {
                    return;
                }
                runBatch(new Batch(jobs, this));
            }
        }

        synchronized void stopIfAbandoned(Batch batch) {
            if (current == batch && batch.abandoned()) {
                thread.interrupt();
            }
        }

        private void runBatch(Batch batch) {
            List<Job> jobs = batch.jobs();
            long started = System.nanoTime();
            for (Job job : jobs) {
                job.dequeued = started;
                job.batch = batch;
                job.releaseSlot();
            }
            synchronized (this) {
                current = batch;
            }
            metrics.runStarted(jobs.size());
            PipelineOutput output = null;
            Throwable failure = null;
            try {
                if (!batch.abandoned()) {
                    output = pipeline.runBatch(jobs.stream().map(j -> new PipelineInput(j.images, j.parameters)).toList(),
                            new BatchProgress(jobs));
                }
            } catch (Throwable e) {
                failure = e;
                if (!(e instanceof CancellationException)) {
                    LOG.warn("pipeline run of {} failed", jobs.stream().map(j -> j.request.id()).toList(), e);
                }
            } finally {
                synchronized (this) {
                    current = null;
                    Thread.interrupted();
                }
                metrics.runEnded(jobs.size());
            }
            if (failure != null) {
                for (Job job : jobs) {
                    job.end(null, failure);
                }
                return;
            }
            if (output == null) {
                return;
            }
            long runNanos = System.nanoTime() - started;
            for (int i = 0; i < jobs.size(); i++) {
                Job job = jobs.get(i);
                RgbImage image = output.images().get(i);
                RunTimings timings = output.timings();
                try {
                    io.execute(() -> store(job, image, runNanos, timings, jobs.size()));
                } catch (RejectedExecutionException e) {
                    job.end(null, new RejectedExecutionException("the try-on service closed"));
                }
            }
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
        private int fetchThreads = 16;
        private int fetchesPerOrigin = 4;
        private ImageCodec codec = ImageCodec.defaults();
        private ResultSink sink;
        private CompletionNotifier notifier;
        private MeterRegistry meterRegistry = new CompositeMeterRegistry();

        private Builder() {
        }

        /**
         * Adds a pipeline, with a worker thread of its own. Several pipelines must load the same model
         * (one per device, for example).
         *
         * @param value a pipeline the service uses but does not close
         * @return this builder
         */
        public Builder pipeline(CatVTONPipeline value) {
            pipelines.add(Objects.requireNonNull(value, "pipeline"));
            return this;
        }

        /**
         * Sets the parameters for requests that carry none.
         *
         * @param value parameters for requests that carry none; default the first pipeline's defaults
         * @return this builder
         */
        public Builder defaults(TryOnParameters value) {
            defaults = Objects.requireNonNull(value, "defaults");
            return this;
        }

        /**
         * Sets the queue capacity.
         *
         * @param value the most requests accepted and not yet running, 1 to 100,000; default 64
         * @return this builder
         */
        public Builder queueCapacity(int value) {
            if (value < 1 || value > 100_000) {
                throw new IllegalArgumentException("queueCapacity must be 1 to 100000, got " + value);
            }
            queueCapacity = value;
            return this;
        }

        /**
         * Sets the largest batch.
         *
         * @param value the most requests in one pipeline run, 1 to 64; default 1 (no batching)
         * @return this builder
         */
        public Builder maxBatch(int value) {
            if (value < 1 || value > 64) {
                throw new IllegalArgumentException("maxBatch must be 1 to 64, got " + value);
            }
            maxBatch = value;
            return this;
        }

        /**
         * Sets how long a batch may wait to fill.
         *
         * @param value how long a worker waits for more requests to fill a batch while some are still
         *     being prepared; default 20 ms
         * @return this builder
         */
        public Builder maxWait(Duration value) {
            if (value == null || value.isNegative()) {
                throw new IllegalArgumentException("maxWait must be zero or positive, got " + value);
            }
            maxWait = value;
            return this;
        }

        /**
         * Sets the default deadline.
         *
         * @param value the deadline for requests that set none, from submission; default none
         * @return this builder
         */
        public Builder timeout(Duration value) {
            timeout = value == null ? null : Limits.positive(value, "timeout");
            return this;
        }

        /**
         * Sets the number of fetch threads.
         *
         * @param value threads that read remote images (URLs, object stores), 1 to 1,024; default 16
         * @return this builder
         */
        public Builder fetchThreads(int value) {
            if (value < 1 || value > 1024) {
                throw new IllegalArgumentException("fetchThreads must be 1 to 1024, got " + value);
            }
            fetchThreads = value;
            return this;
        }

        /**
         * Sets the most concurrent reads of one origin.
         *
         * @param value the most reads of one origin ({@code https://host:port}, {@code s3://bucket}) at
         *     once, 1 to 1,024; the others wait without a thread; default 4
         * @return this builder
         */
        public Builder fetchesPerOrigin(int value) {
            if (value < 1 || value > 1024) {
                throw new IllegalArgumentException("fetchesPerOrigin must be 1 to 1024, got " + value);
            }
            fetchesPerOrigin = value;
            return this;
        }

        /**
         * Sets the number of I/O threads.
         *
         * @param value threads that decode, prepare and store, 1 to 256; default 4
         * @return this builder
         */
        public Builder ioThreads(int value) {
            if (value < 1 || value > 256) {
                throw new IllegalArgumentException("ioThreads must be 1 to 256, got " + value);
            }
            ioThreads = value;
            return this;
        }

        /**
         * Sets the image codec.
         *
         * @param value decodes inputs within its limits; default {@link ImageCodec#defaults()}
         * @return this builder
         */
        public Builder codec(ImageCodec value) {
            codec = Objects.requireNonNull(value, "codec");
            return this;
        }

        /**
         * Sets the result sink.
         *
         * @param value where results are stored; default none (results only in memory)
         * @return this builder
         */
        public Builder sink(ResultSink value) {
            sink = value;
            return this;
        }

        /**
         * Sets the completion notifier.
         *
         * @param value told after the sink stored a result; default none
         * @return this builder
         */
        public Builder notifier(CompletionNotifier value) {
            notifier = value;
            return this;
        }

        /**
         * Where the service records its meters (Prometheus names in brackets): the counter
         * {@code vton.requests} tagged {@code outcome} = {@code completed}, {@code failed}, {@code cancelled}
         * or {@code rejected} ({@code vton_requests_total}); the gauges {@code vton.queue.depth} (requests
         * accepted and not yet running) and {@code vton.in.flight} (inside a pipeline run); the timer
         * {@code vton.latency}, submission to result, with its 0.5, 0.95 and 0.99 percentiles
         * ({@code vton_latency_seconds{quantile}}, {@code _count}, {@code _sum}, {@code _max}) and its
         * histogram {@code vton.latency.histogram} ({@code vton_latency_histogram_seconds_bucket}, 10 ms
         * to 1 h); and the gauge {@code vton.throughput}, results per second over the last minute.
         * {@link TryOnService#close} removes the gauges; counters and timers stay, for the next service.
         *
         * <p>Default: a {@link CompositeMeterRegistry} with no registries, on which every meter is a
         * no-op (Micrometer's documented behaviour), so a service records nothing unless the application
         * says where. Not {@code Metrics.globalRegistry}: that is JVM-wide state, and two services there
         * would share one set of gauges, which Micrometer binds to whichever registered first.
         *
         * @param value the application's registry; give each live service its own, as gauges of the same
         *     name are registered once per registry
         * @return this builder
         */
        public Builder meterRegistry(MeterRegistry value) {
            meterRegistry = Objects.requireNonNull(value, "meterRegistry");
            return this;
        }

        /**
         * Starts the service: its worker, fetch and I/O threads.
         *
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

    /** Tells a run's phases and steps to the requests of its batch that are still waiting for it. */
    private record BatchProgress(List<Job> jobs) implements StepListener {
        @Override
        public void onPhase(Phase phase) {
            switch (phase) {
                case ENCODING -> tell(ProgressListener.Stage.ENCODING, 0, 0);
                case DECODING -> tell(ProgressListener.Stage.DECODING, 0, 0);
                case DENOISING -> { }  // RUNNING is told after each step
            }
        }

        @Override
        public void onStep(int step, int steps) {
            tell(ProgressListener.Stage.RUNNING, step, steps);
        }

        private void tell(ProgressListener.Stage stage, int step, int steps) {
            jobs.stream().filter(j -> !j.isDone()).forEach(j -> j.progress(stage, step, steps));
        }
    }
}

package io.omoib.vton.s3;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.omoib.vton.internal.Latency;
import io.omoib.vton.internal.Limits;
import io.omoib.vton.internal.Throughput;
import io.omoib.vton.pipeline.TryOnParameters;
import io.omoib.vton.protocol.JsonRequest;
import io.omoib.vton.service.Failure;
import io.omoib.vton.service.ProgressListener;
import io.omoib.vton.service.TryOnRequest;
import io.omoib.vton.service.TryOnResult;
import io.omoib.vton.service.TryOnService;
import io.omoib.vton.source.ImageSources;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.ReceiveMessageRequest;

/**
 * Runs try-ons from an SQS queue: each message body is the JSON of {@code POST /invocations}
 * ({@link JsonRequest}); the {@link TryOnService} it is given fetches the inputs, runs the model, stores
 * the result (its sink, e.g. {@link S3ResultSink} with the seed's key layout) and sends the completion
 * notice (its notifier); then the worker deletes the message.
 *
 * <ul>
 *   <li><b>Delivery.</b> At least once. A message is received with the worker's visibility timeout and
 *       kept invisible by a heartbeat every third of it while its job runs, so no second worker takes a
 *       long job. A worker that dies stops the heartbeat: the message reappears after the visibility
 *       timeout and another worker does it. The result's key depends only on the request, so a job
 *       done twice overwrites its own object with the same image; its notice goes out twice unless the
 *       notice queue is FIFO (see {@link SqsCompletionNotifier}).</li>
 *   <li><b>Bad input</b> (a field missing or wrong, an image that cannot be read or decoded, a URL the
 *       policy refuses, an object that does not exist) is not retried: a failure notice naming the
 *       field goes to the notice queue, and the message is deleted.</li>
 *   <li><b>Transient failures</b> (a store or source unavailable or timing out, the service's queue
 *       full, a model failure) leave the message for redelivery after the retry delay; the queue's
 *       redrive policy moves it to a dead-letter queue after its {@code maxReceiveCount} receives.</li>
 *   <li><b>Concurrency.</b> It holds at most {@code capacity} messages: by default 2, one running and
 *       the next one's inputs fetched and prepared meanwhile (the service prepares on its I/O threads).
 *       It asks SQS for no more than it has room for.</li>
 *   <li><b>Stopping.</b> {@link #close(Duration)} stops receiving, returns messages whose jobs have not
 *       started running to the queue at once (visibility 0), and lets running jobs finish within the
 *       grace period; a job that does not is returned too.</li>
 * </ul>
 *
 * <p>The SQS client's per-call timeouts are raised for the long poll; everything else keeps the
 * client's configuration. The worker does not close the client or the service.
 */
public final class SqsWorker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SqsWorker.class);
    private static final int MAX_RECEIVE = 10;

    private final SqsClient sqs;
    private final String queueUrl;
    private final TryOnService service;
    private final ImageSources sources;
    private final TryOnParameters defaults;
    private final Duration timeout;
    private final Duration visibility;
    private final Duration waitTime;
    private final Duration retryDelay;
    private final SqsCompletionNotifier failures;
    private final ProgressListener progress;
    private final Semaphore room;
    private final Map<String, Job> jobs = new ConcurrentHashMap<>();
    private final ScheduledExecutorService heartbeats;
    private final Thread poller;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicBoolean closing = new AtomicBoolean();
    private volatile boolean receiving = true;
    private volatile boolean reachable = true;

    private final MeterRegistry meters;
    private final Counter received;
    private final Counter completed;
    private final Counter rejected;
    private final Counter retried;
    private final Counter released;
    private final Counter receiveErrors;
    private final Latency doneLatency;
    private final Latency queueWait;
    private final Throughput throughput;
    private final Gauge inFlight;

    private SqsWorker(Builder b) {
        this.sqs = b.sqs;
        this.queueUrl = b.queueUrl;
        this.service = b.service;
        this.sources = b.sources;
        this.defaults = b.defaults;
        this.timeout = b.timeout;
        this.visibility = b.visibility;
        this.waitTime = b.waitTime;
        this.retryDelay = b.retryDelay;
        this.failures = b.failures;
        this.progress = b.progress;
        this.room = new Semaphore(b.capacity);
        this.meters = b.meters;
        this.received = messages(meters, "received");
        this.completed = messages(meters, "completed");
        this.rejected = messages(meters, "rejected");
        this.retried = messages(meters, "retried");
        this.released = messages(meters, "released");
        this.receiveErrors = Counter.builder("vton.worker.receive.errors").description("receive calls that failed")
                .register(meters);
        this.doneLatency = new Latency(meters, "vton.worker.done",
                "time from receiving a message to deleting it after its result");
        this.queueWait = new Latency(meters, "vton.worker.queue.wait", "time from sending a message to its receipt");
        this.throughput = new Throughput(meters, "vton.worker.throughput", "jobs per second over the last minute");
        this.inFlight = Gauge.builder("vton.worker.in.flight", jobs, Map::size)
                .description("messages held: running or being prepared").register(meters);
        this.heartbeats = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "vton-sqs-heartbeat");
            t.setDaemon(true);
            return t;
        });
        this.poller = new Thread(this::poll, "vton-sqs-receiver");
        poller.setDaemon(true);
    }

    /** {@return a new builder} */
    public static Builder builder() {
        return new Builder();
    }

    private void start() {
        poller.start();
    }

    private static Counter messages(MeterRegistry registry, String outcome) {
        return Counter.builder("vton.worker.messages").tag("outcome", outcome)
                .description("queue messages by what became of them").register(registry);
    }

    /** {@return whether it is receiving, its last receive reached SQS, and its service is healthy} */
    public boolean isHealthy() {
        return receiving && reachable && poller.isAlive() && service.isHealthy();
    }

    /** Closes with a 25 s grace period, as {@link #close(Duration)}. */
    @Override
    public void close() {
        close(Duration.ofSeconds(25));
    }

    /**
     * Stops receiving (the receiver may be inside a long poll: it is waited for, up to the wait time,
     * and messages that poll brings are returned to the queue); then returns to the queue the messages
     * whose jobs have not started running; waits up to the grace period for the running ones, and
     * returns those still unfinished. Safe to call more than once.
     *
     * @param grace how long running jobs may still take
     */
    public void close(Duration grace) {
        if (!closing.compareAndSet(false, true)) {
            awaitStopped(grace);
            return;
        }
        receiving = false;
        long end = System.nanoTime() + grace.toNanos();
        // the receiver first, so that a message returned below is not received again by this worker
        awaitStopped(waitTime.plusSeconds(20));
        for (Job job : List.copyOf(jobs.values())) {
            if (!job.started) {
                job.future.cancel(false);
            }
        }
        synchronized (jobs) {
            try {
                for (long left = end - System.nanoTime(); !jobs.isEmpty() && left > 0; left = end - System.nanoTime()) {
                    TimeUnit.NANOSECONDS.timedWait(jobs, left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Job job : List.copyOf(jobs.values())) {
            job.future.cancel(true);
        }
        heartbeats.shutdownNow();
        meters.remove(inFlight);
        throughput.remove();
    }

    private void awaitStopped(Duration limit) {
        try {
            if (!stopped.await(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("the SQS receiver did not stop within {} ms", limit.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The receive loop: asks for as many messages as there is room for, never more than 10. */
    private void poll() {
        long backoff = 0;
        try {
            while (receiving) {
                if (!room.tryAcquire(200, TimeUnit.MILLISECONDS)) {
                    continue; // full: look again, or stop
                }
                int asked = 1 + Math.min(MAX_RECEIVE - 1, room.drainPermits());
                List<Message> messages;
                try {
                    messages = receive(asked);
                    reachable = true;
                    backoff = 0;
                } catch (SdkException e) {
                    room.release(asked);
                    receiveErrors.increment();
                    reachable = false;
                    backoff = Math.min(30_000, Math.max(500, backoff * 2));
                    LOG.warn("cannot receive from {}: {}; again in {} ms", queueUrl, e.getMessage(), backoff);
                    if (closing.get()) {
                        break;
                    }
                    sleepUnlessClosing(backoff);
                    continue;
                }
                room.release(asked - messages.size());
                for (Message message : messages) {
                    received.increment();
                    if (receiving) {
                        begin(message);
                    } else {
                        release(message, "the worker is stopping");
                        room.release();
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.error("the SQS receiver stopped on a bug", e);
        } finally {
            receiving = false;
            stopped.countDown();
        }
    }

    private void sleepUnlessClosing(long millis) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!closing.get() && System.nanoTime() < end) {
            synchronized (jobs) {
                TimeUnit.NANOSECONDS.timedWait(jobs, Math.max(1, Math.min(end - System.nanoTime(), 500_000_000L)));
            }
        }
    }

    private List<Message> receive(int count) {
        Duration callLimit = waitTime.plusSeconds(15);
        return sqs.receiveMessage(ReceiveMessageRequest.builder()
                .queueUrl(queueUrl)
                .maxNumberOfMessages(count)
                .waitTimeSeconds((int) waitTime.toSeconds())
                .visibilityTimeout((int) visibility.toSeconds())
                .messageSystemAttributeNames(MessageSystemAttributeName.SENT_TIMESTAMP,
                        MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT)
                .overrideConfiguration(o -> o.apiCallAttemptTimeout(callLimit).apiCallTimeout(callLimit.plusSeconds(15)))
                .build()).messages();
    }

    /** Parses the message and submits its request; a bad one is answered at once. */
    private void begin(Message message) {
        Job job = new Job(message);
        String sent = message.attributes().get(MessageSystemAttributeName.SENT_TIMESTAMP);
        if (sent != null && sent.matches("\\d{1,19}")) {
            queueWait.record(TimeUnit.MILLISECONDS.toNanos(Math.max(0, System.currentTimeMillis() - Long.parseLong(sent))));
        }
        jobs.put(job.id, job);
        long period = Math.max(1000, visibility.toMillis() / 3);
        job.heartbeat = heartbeats.scheduleAtFixedRate(() -> extend(job), period, period, TimeUnit.MILLISECONDS);
        try {
            JsonRequest parsed = JsonRequest.parse(message.body().getBytes(StandardCharsets.UTF_8), sources, defaults,
                    timeout);
            job.parsed = parsed;
            TryOnRequest request = parsed.request().toBuilder().id(job.id).progress(event -> {
                switch (event.stage()) {
                    case ENCODING, RUNNING, DECODING, STORING -> job.started = true; // its pipeline run began
                    default -> { }
                }
                progress.onProgress(event);
            }).build();
            job.request = request;
            CompletableFuture<TryOnResult> future = service.submit(request);
            job.future = future;
            future.whenComplete((result, failure) -> end(job, failure));
        } catch (RuntimeException e) {
            end(job, e);
        }
    }

    /** Deletes the message after a result or a failure notice; otherwise leaves it for redelivery. */
    private void end(Job job, Throwable failure) {
        if (!job.ended.compareAndSet(false, true)) {
            return;
        }
        job.heartbeat.cancel(false);
        Failure meaning = failure == null ? null : Failure.of(failure);
        Throwable cause = meaning == null ? null : meaning.cause();
        try {
            if (cause == null) {
                delete(job);
                completed.increment();
                doneLatency.record(System.nanoTime() - job.receivedAt);
                throughput.add();
                LOG.info("job {} done in {} ms", job.id, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - job.receivedAt));
            } else if (cause instanceof CancellationException && !receiving) {
                release(job.message, "the worker is stopping");
            } else if (!meaning.retryable()) {
                reject(job, meaning);
            } else {
                retried.increment();
                changeVisibility(job.message, receiving ? retryDelay : Duration.ZERO);
                LOG.warn("job {} failed, left for redelivery in {} s: {}", job.id,
                        receiving ? retryDelay.toSeconds() : 0, cause.toString());
            }
        } catch (IOException | SdkException e) {
            retried.increment();
            LOG.warn("job {}: cannot finish with SQS ({}); the message will be redelivered", job.id, e.getMessage());
        } finally {
            synchronized (jobs) {
                jobs.remove(job.id);
                jobs.notifyAll();
            }
            room.release();
        }
    }

    /**
     * Bad input: a failure notice, then the message goes. The notice names the user and timestamp
     * whenever the body has them, even when another field stopped it from becoming a request.
     */
    private void reject(Job job, Failure failure) throws IOException {
        String field = JsonRequest.field(failure, job.parsed);
        if (failures != null) {
            TryOnRequest request = job.request;
            JsonRequest.Identity who = request != null ? new JsonRequest.Identity(request.userId(), request.timestamp())
                    : JsonRequest.identity(job.message.body().getBytes(StandardCharsets.UTF_8));
            failures.notifyFailure(who.userId(), who.timestamp(), job.id, field, failure.message());
        }
        delete(job);
        rejected.increment();
        LOG.info("job {} refused ({}): {}", job.id, field == null ? "body" : field, failure.message());
    }

    private void extend(Job job) {
        if (job.ended.get()) {
            return;
        }
        try {
            sqs.changeMessageVisibility(b -> b.queueUrl(queueUrl).receiptHandle(job.message.receiptHandle())
                    .visibilityTimeout((int) visibility.toSeconds()));
        } catch (SdkException e) {
            if (!job.ended.get()) { // else the message was deleted meanwhile
                LOG.warn("job {}: cannot extend its visibility: {}", job.id, e.getMessage());
            }
        }
    }

    private void delete(Job job) {
        sqs.deleteMessage(b -> b.queueUrl(queueUrl).receiptHandle(job.message.receiptHandle()));
    }

    private void release(Message message, String why) {
        try {
            changeVisibility(message, Duration.ZERO);
            released.increment();
            LOG.info("job {} returned to the queue: {}", message.messageId(), why);
        } catch (SdkException e) {
            LOG.warn("job {}: cannot return it to the queue ({}); it reappears after its visibility timeout",
                    message.messageId(), e.getMessage());
        }
    }

    private void changeVisibility(Message message, Duration delay) {
        sqs.changeMessageVisibility(b -> b.queueUrl(queueUrl).receiptHandle(message.receiptHandle())
                .visibilityTimeout((int) delay.toSeconds()));
    }

    /** One received message and its request. */
    private final class Job {
        final String id;
        final Message message;
        final long receivedAt = System.nanoTime();
        final AtomicBoolean ended = new AtomicBoolean();
        volatile boolean started;
        volatile JsonRequest parsed;
        volatile TryOnRequest request;
        volatile CompletableFuture<TryOnResult> future = new CompletableFuture<>();
        volatile ScheduledFuture<?> heartbeat;

        Job(Message message) {
            this.message = message;
            this.id = message.messageId();
        }
    }

    @Override
    public String toString() {
        return "SqsWorker[" + queueUrl + "]";
    }

    /** Builds and starts an {@link SqsWorker}. */
    public static final class Builder {
        private SqsClient sqs;
        private String queueUrl;
        private TryOnService service;
        private ImageSources sources;
        private TryOnParameters defaults = TryOnParameters.defaults();
        private Duration timeout = Duration.ofMinutes(15);
        private Duration visibility = Duration.ofSeconds(60);
        private Duration waitTime = Duration.ofSeconds(10);
        private Duration retryDelay = Duration.ofSeconds(10);
        private int capacity = 2;
        private SqsCompletionNotifier failures;
        private ProgressListener progress = ProgressListener.NONE;
        private MeterRegistry meters = new CompositeMeterRegistry();

        private Builder() {
        }

        /**
         * Sets the queue to take requests from.
         *
         * @param client the SQS client (not closed by the worker)
         * @param requestQueueUrl the queue to take requests from
         * @return this builder
         */
        public Builder queue(SqsClient client, String requestQueueUrl) {
            sqs = Objects.requireNonNull(client, "client");
            if (requestQueueUrl == null || requestQueueUrl.isBlank()) {
                throw new IllegalArgumentException("a worker needs a request queue URL (VTON_SQS_REQUEST_QUEUE_URL)");
            }
            queueUrl = requestQueueUrl;
            return this;
        }

        /**
         * Sets the service that runs the requests.
         *
         * @param value runs the requests; give it a sink (where results go) and, for completion notices,
         *     a notifier. Not closed by the worker.
         * @return this builder
         */
        public Builder service(TryOnService value) {
            service = Objects.requireNonNull(value, "service");
            return this;
        }

        /**
         * Sets how image URLs are read.
         *
         * @param value resolves the messages' URL fields; for untrusted senders, without file access
         * @return this builder
         */
        public Builder sources(ImageSources value) {
            sources = Objects.requireNonNull(value, "sources");
            return this;
        }

        /**
         * Sets the default sampling parameters.
         *
         * @param value sampling parameters for fields a message does not give; default {@link TryOnParameters#defaults()}
         * @return this builder
         */
        public Builder defaults(TryOnParameters value) {
            defaults = Objects.requireNonNull(value, "defaults");
            return this;
        }

        /**
         * Sets the time limit of one job.
         *
         * @param value the longest one job may take once received, fetching and storing included; default 15 min
         * @return this builder
         */
        public Builder timeout(Duration value) {
            timeout = Limits.positive(value, "timeout");
            return this;
        }

        /**
         * Sets the visibility timeout of received messages.
         *
         * @param value how long a received message stays invisible to other workers; the heartbeat
         *     renews it every third of it while the job runs, so this is also how long a dead worker's
         *     message waits before another worker gets it. Whole seconds, 3 s to 12 h; default 60 s.
         * @return this builder
         */
        public Builder visibilityTimeout(Duration value) {
            if (value.toSeconds() < 3 || value.toSeconds() > 43_200) {
                throw new IllegalArgumentException("the visibility timeout must be 3 s to 12 h, got " + value.toSeconds() + " s");
            }
            visibility = Duration.ofSeconds(value.toSeconds());
            return this;
        }

        /**
         * Sets the long-polling wait of one receive.
         *
         * @param value how long one receive waits for a message (long polling), 1 to 20 s; default 10 s
         * @return this builder
         */
        public Builder waitTime(Duration value) {
            if (value.toSeconds() < 1 || value.toSeconds() > 20) {
                throw new IllegalArgumentException("the receive wait time must be 1 to 20 s, got " + value.toSeconds() + " s");
            }
            waitTime = Duration.ofSeconds(value.toSeconds());
            return this;
        }

        /**
         * Sets the delay before a transient failure is retried.
         *
         * @param value how long a message that failed for a transient reason stays invisible before its
         *     next delivery, 0 to 12 h; default 10 s
         * @return this builder
         */
        public Builder retryDelay(Duration value) {
            if (value.isNegative() || value.toSeconds() > 43_200) {
                throw new IllegalArgumentException("the retry delay must be 0 to 12 h, got " + value);
            }
            retryDelay = Duration.ofSeconds(value.toSeconds());
            return this;
        }

        /**
         * Sets the most messages held at once.
         *
         * @param value messages held at once, running or being prepared, 1 to 100; default 2: one running
         *     on a service with one pipeline and the next one prepared meanwhile. Give the service's
         *     pipeline count plus one, and a service queue at least this deep.
         * @return this builder
         */
        public Builder capacity(int value) {
            if (value < 1 || value > 100) {
                throw new IllegalArgumentException("the capacity must be 1 to 100 messages, got " + value);
            }
            capacity = value;
            return this;
        }

        /**
         * Sets where failure notices go.
         *
         * @param value where failure notices go (bad input, not retried); default none
         * @return this builder
         */
        public Builder failureNotices(SqsCompletionNotifier value) {
            failures = value;
            return this;
        }

        /**
         * Sets the progress listener.
         *
         * @param value told as each job moves along (request id = message id), on service threads
         * @return this builder
         */
        public Builder progress(ProgressListener value) {
            progress = Objects.requireNonNull(value, "progress");
            return this;
        }

        /**
         * Where the worker records its meters (Prometheus names in brackets): the counter
         * {@code vton.worker.messages} tagged {@code outcome} = {@code received}, {@code completed},
         * {@code rejected}, {@code retried} or {@code released} ({@code vton_worker_messages_total}); the
         * gauge {@code vton.worker.in.flight}, messages held; the counter {@code vton.worker.receive.errors}
         * ({@code vton_worker_receive_errors_total}); the timers {@code vton.worker.done} (receipt to
         * deletion after the result) and {@code vton.worker.queue.wait} (sending to receipt, by the
         * message's {@code SentTimestamp}: clocks of sender and SQS may differ by a little), each with its
         * 0.5, 0.95 and 0.99 percentiles ({@code vton_worker_done_seconds{quantile}}, {@code _count},
         * {@code _sum}, {@code _max}) and a histogram ({@code vton_worker_done_histogram_seconds_bucket});
         * and the gauge {@code vton.worker.throughput}, jobs per second over the last minute.
         * {@link SqsWorker#close} removes the gauges.
         *
         * <p>Default: a {@link CompositeMeterRegistry} with no registries, on which every meter is a no-op,
         * as for {@link TryOnService.Builder#meterRegistry}.
         *
         * @param value the application's registry, usually the one its service records in; one live
         *     worker per registry, as gauges of the same name are registered once
         * @return this builder
         */
        public Builder meterRegistry(MeterRegistry value) {
            meters = Objects.requireNonNull(value, "meterRegistry");
            return this;
        }

        /**
         * Starts the worker: it begins receiving at once.
         *
         * @return the worker, receiving
         * @throws IllegalStateException without a queue, a service or sources
         */
        public SqsWorker start() {
            if (sqs == null || service == null || sources == null) {
                throw new IllegalStateException("a worker needs a queue, a service and sources");
            }
            SqsWorker worker = new SqsWorker(this);
            worker.start();
            return worker;
        }
    }
}

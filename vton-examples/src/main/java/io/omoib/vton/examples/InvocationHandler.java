package io.omoib.vton.examples;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import io.omoib.vton.pipeline.InferenceException;
import io.omoib.vton.pipeline.InvalidParameterException;
import io.omoib.vton.pipeline.TryOnParameters;
import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.protocol.Fields;
import io.omoib.vton.protocol.JsonRequest;
import io.omoib.vton.protocol.Responses;
import io.omoib.vton.service.Failure;
import io.omoib.vton.service.QueueFullException;
import io.omoib.vton.service.RequestFieldException;
import io.omoib.vton.service.TryOnResult;
import io.omoib.vton.service.TryOnService;
import io.omoib.vton.source.ImageSources;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a complete {@link InvocationBody.Invocation}: parses its JSON and submits it to the
 * {@link TryOnService} on a handler thread (a large body must not hold the event loop), and answers it on
 * its connection's event loop when the try-on's future completes: the image or its stored location, or
 * the failure as {@link Failure} classifies it. Shared by all connections; owns the handler threads.
 */
@ChannelHandler.Sharable
final class InvocationHandler extends ChannelInboundHandlerAdapter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(InferenceServer.class);

    private final ExecutorService handlers;
    private final ImageSources sources;
    private final TryOnParameters defaults;
    private final Duration timeout;
    private final boolean storesResults;
    private final BodyBudget budget;
    private final AtomicInteger badRequests;
    private final ImageCodec codec = ImageCodec.defaults();
    /** Invocations accepted whose answer is not yet written; shutdown waits for them. */
    private final AtomicInteger pending = new AtomicInteger();
    private volatile TryOnService service;
    private volatile boolean draining;

    /**
     * Creates the handler of {@code POST /invocations}, with its own threads.
     *
     * @param threads handler threads
     * @param sources resolves the requests' image URLs
     * @param defaults sampling parameters for fields a request does not give
     * @param timeout the deadline of one try-on
     * @param storesResults whether the service stores results, so answers carry their location
     * @param budget where the bodies' bytes were reserved, released once parsed
     * @param badRequests counts requests refused before submission
     */
    InvocationHandler(int threads, ImageSources sources, TryOnParameters defaults, Duration timeout,
                      boolean storesResults, BodyBudget budget, AtomicInteger badRequests) {
        this.sources = sources;
        this.defaults = defaults;
        this.timeout = timeout;
        this.storesResults = storesResults;
        this.budget = budget;
        this.badRequests = badRequests;
        this.handlers = Executors.newFixedThreadPool(threads, InferenceServer.daemons("vton-http"));
    }

    /** Starts running invocations with the service; until then they get 503. */
    void ready(TryOnService value) {
        service = value;
    }

    /** New invocations get 503 from now on; accepted ones are answered. */
    void drain() {
        draining = true;
    }

    /**
     * Waits for the answers of the invocations accepted so far to be written.
     *
     * @param grace how long at most
     */
    void awaitAnswers(Duration grace) {
        long until = System.nanoTime() + grace.toNanos();
        synchronized (pending) {
            while (pending.get() > 0 && System.nanoTime() < until) {
                try {
                    pending.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime())));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** Stops the handler threads, waiting up to 5 s for the running ones. */
    @Override
    public void close() {
        handlers.shutdown();
        try {
            handlers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof InvocationBody.Invocation invocation)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        Exchange exchange = invocation.exchange();
        EventExecutor loop = ctx.executor();
        pending.incrementAndGet();
        try {
            handlers.execute(() -> {
                try {
                    submit(loop, invocation);
                } catch (RuntimeException e) {
                    LOG.error("500 request {} POST {}: bug while submitting", exchange.id(),
                            InferenceServer.escape(exchange.path()), e);
                    answer(loop, exchange, Reply.serverError(500, "internal error", exchange.id()));
                }
            });
        } catch (RejectedExecutionException e) {
            budget.release(invocation.held());
            answer(loop, exchange, Reply.error(503, null, "the server is shutting down").retryAfter("5"));
        }
    }

    private void submit(EventExecutor loop, InvocationBody.Invocation invocation) {
        Exchange exchange = invocation.exchange();
        byte[] bytes = invocation.body();
        JsonRequest parsed;
        try {
            parsed = JsonRequest.parse(invocation.length() == bytes.length ? bytes
                    : Arrays.copyOf(bytes, invocation.length()), sources, defaults, timeout);
        } catch (RequestFieldException e) {
            badRequests.incrementAndGet();
            answer(loop, exchange, Reply.error(400, e.field(), e.getMessage()));
            return;
        } finally {
            budget.release(invocation.held());
        }
        TryOnService s = service;
        if (s == null || draining) {
            answer(loop, exchange, Reply.error(503, null, s == null ? "the model is still loading"
                    : "the server is shutting down").retryAfter("5"));
            return;
        }
        String accept = exchange.request().headers().get(HttpHeaderNames.ACCEPT);
        try {
            s.submit(parsed.request()).whenCompleteAsync(
                    (result, failure) -> answer(loop, exchange, respond(exchange, parsed, accept, result, failure)),
                    handlers);
        } catch (QueueFullException e) {
            answer(loop, exchange, Reply.error(503, null, e.getMessage()).retryAfter("1"));
        } catch (RejectedExecutionException e) {
            answer(loop, exchange, Reply.error(503, null, "the server is shutting down").retryAfter("5"));
        } catch (InvalidParameterException e) {
            badRequests.incrementAndGet();
            answer(loop, exchange, Reply.error(400, Fields.parameter(e.parameter()), e.getMessage()));
        }
    }

    /** Answers an invocation from any thread; exactly once per invocation. */
    private void answer(EventExecutor loop, Exchange exchange, Reply reply) {
        try {
            loop.execute(() -> {
                try {
                    exchange.reply(reply, false);
                } finally {
                    answered();
                }
            });
        } catch (RejectedExecutionException stopped) {
            answered(); // the event loops are gone, and the connection with them
        }
    }

    private void answered() {
        if (pending.decrementAndGet() == 0) {
            synchronized (pending) {
                pending.notifyAll();
            }
        }
    }

    private Reply respond(Exchange exchange, JsonRequest parsed, String accept, TryOnResult result, Throwable failure) {
        try {
            if (failure != null) {
                return fail(exchange, parsed, Failure.of(failure));
            }
            if (storesResults && result.location() != null) {
                return Reply.json(200, Responses.stored(result.location(), result.timings()));
            }
            String wanted = accept == null ? "" : accept.toLowerCase(Locale.ROOT);
            if (wanted.contains("image/png")) {
                return new Reply(200, "image/png", codec.encodePng(result.image()), null);
            } else if (wanted.contains("image/jpeg")) {
                return new Reply(200, "image/jpeg", codec.encodeJpeg(result.image()), null);
            }
            return Reply.json(200, Responses.image(codec.encodeJpeg(result.image()), result.timings()));
        } catch (RuntimeException e) {
            LOG.error("500 request {} POST {}: bug while answering an invocation", exchange.id(),
                    InferenceServer.escape(exchange.path()), e);
            return Reply.serverError(500, "internal error", exchange.id());
        }
    }

    /** The answer to a failed try-on: its status from the failure's kind, its field from the request. */
    private Reply fail(Exchange exchange, JsonRequest parsed, Failure failure) {
        Throwable cause = failure.cause();
        String where = InferenceServer.escape(exchange.path());
        return switch (failure.kind()) {
            case CLIENT -> Reply.error(400, parsed.field(failure), failure.message());
            case OVERLOADED -> Reply.error(503, null, failure.message()).retryAfter("5");
            case TRANSIENT -> {
                if (cause instanceof TimeoutException) {
                    yield Reply.error(504, null, "the try-on did not finish within " + timeout.toSeconds() + " s");
                } else if (failure.input() != null) {
                    yield Reply.error(502, parsed.field(failure), failure.message()).retryAfter("5");
                }
                LOG.warn("502 request {} POST {}: storing the result failed", exchange.id(), where, cause);
                yield Reply.serverError(502, "storing the result failed", exchange.id());
            }
            case INTERNAL -> {
                LOG.error("500 request {} POST {}: {}", exchange.id(), where, cause instanceof InferenceException
                        ? "inference failed" : "bug in an invocation", cause);
                yield Reply.serverError(500, "internal error", exchange.id());
            }
        };
    }
}

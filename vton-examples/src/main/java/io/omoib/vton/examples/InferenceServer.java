package io.omoib.vton.examples;

import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.WriteTimeoutHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.omoib.vton.pipeline.InferenceException;
import io.omoib.vton.pipeline.InvalidParameterException;
import io.omoib.vton.pipeline.TryOnParameters;
import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.preprocess.InvalidInputException;
import io.omoib.vton.s3.SqsWorker;
import io.omoib.vton.service.JsonRequest;
import io.omoib.vton.service.QueueFullException;
import io.omoib.vton.service.RequestFieldException;
import io.omoib.vton.service.TryOnResult;
import io.omoib.vton.service.TryOnService;
import io.omoib.vton.source.ImageSources;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SageMaker-compatible inference server on Netty: {@code GET /ping}, {@code POST /invocations},
 * {@code GET /metrics}, and {@code GET /execution-parameters} for batch transform. {@code vton worker}
 * runs it without invocations, for its health and metrics.
 *
 * <p>The server listens before the model is loaded; {@code /ping} answers 503 until {@link #ready}
 * hands it a {@link TryOnService}, then 200 while the service's workers are alive. Requests are read
 * by event-loop threads that never block: {@code /ping} and {@code /metrics} are answered there as soon
 * as their headers arrive; an invocation's body is collected there (refused with 413 as soon as it
 * passes the limit) in a buffer that grows as its bytes arrive, every byte of it reserved from a budget
 * all connections share (503 past it; {@code Expect: 100-continue} is answered only once the declared
 * body is reserved), then parsed and submitted on a handler thread, and answered when its future completes.
 * A connection has {@code readTimeout} to send a complete request (from when it connects or its
 * previous response was sent), at most {@code maxConnections} are open at once (more are closed at
 * once), and 500/502 bodies are generic, with a request id that the log line with the details carries.
 */
final class InferenceServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(InferenceServer.class);
    static final String CUSTOM_ATTRIBUTES = "X-Amzn-SageMaker-Custom-Attributes";
    static final String REQUEST_ID = "X-Request-Id";
    /** How much of a refused body is read and dropped before closing, so that the client sees the answer. */
    private static final long DRAIN_LIMIT = 16L << 20;
    /** Bodies being received at once, all connections together, in multiples of the body limit. */
    private static final int BUFFERED_BODIES = 16;
    /** A body's first buffer, in bytes; it doubles as bytes arrive, never past what the request declared. */
    static final int FIRST_BODY_BUFFER = 1024;
    private static final String BAD_CONTENT_LENGTH = "malformed HTTP request: Content-Length must be one decimal number of "
            + "bytes, such as 1024 (not a list, a sign, or more than 19 digits)";
    private static final SecureRandom IDS = new SecureRandom();

    private final EventLoopGroup acceptor;
    private final EventLoopGroup io;
    private final Channel listener;
    private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final AtomicInteger open = new AtomicInteger();
    private final ExecutorService handlers;
    private final ImageSources sources;
    private final TryOnParameters defaults;
    private final Duration timeout;
    private final long readTimeoutNanos;
    private final int maxConnections;
    private final long maxBodyBytes;
    private final long maxBufferedBytes;
    private final AtomicLong bufferedBytes = new AtomicLong();
    private final boolean storesResults;
    private final ImageCodec codec = ImageCodec.defaults();
    private final AtomicInteger badRequests = new AtomicInteger();
    private final AtomicInteger refusedConnections = new AtomicInteger();
    private final AtomicInteger slowClientsClosed = new AtomicInteger();
    /** Invocations accepted whose response is not yet written; shutdown waits for them. */
    private final AtomicInteger pendingResponses = new AtomicInteger();
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final boolean invocations;
    private final int concurrentTransforms;
    private volatile TryOnService service;
    private volatile SqsWorker worker;
    private volatile boolean draining;
    private final PrometheusMeterRegistry meters;

    private InferenceServer(Builder b) throws IOException {
        this.meters = b.meters != null ? b.meters : new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registerMeters();
        this.sources = b.sources;
        this.defaults = b.defaults;
        this.timeout = b.timeout;
        this.readTimeoutNanos = b.readTimeout.toNanos();
        this.maxConnections = b.maxConnections;
        this.maxBodyBytes = b.maxBodyBytes;
        // bodies held at once: 16 of the largest, within a quarter of the heap, but always room for one
        this.maxBufferedBytes = Math.max(b.maxBodyBytes,
                Math.min(b.maxBodyBytes * BUFFERED_BODIES, Runtime.getRuntime().maxMemory() / 4));
        this.storesResults = b.storesResults;
        this.invocations = b.invocations;
        this.concurrentTransforms = b.concurrentTransforms;
        AtomicInteger n = new AtomicInteger();
        this.handlers = Executors.newFixedThreadPool(b.threads, r -> {
            Thread t = new Thread(r, "vton-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.acceptor = new NioEventLoopGroup(1, daemons("vton-http-accept"));
        this.io = new NioEventLoopGroup(b.ioThreads, daemons("vton-http-io"));
        long writeTimeoutMillis = b.readTimeout.toMillis();
        try {
            listener = new ServerBootstrap().group(acceptor, io).channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel channel) {
                            channel.pipeline()
                                    .addLast(new WriteTimeoutHandler(writeTimeoutMillis, TimeUnit.MILLISECONDS))
                                    .addLast(new HttpServerCodec())
                                    .addLast(new Connection());
                        }
                    })
                    .bind(new InetSocketAddress(b.host, b.port)).syncUninterruptibly().channel();
        } catch (RuntimeException e) {
            acceptor.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            io.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            handlers.shutdownNow();
            throw new IOException("cannot listen on " + b.host + ":" + b.port + ": " + e.getMessage(), e);
        }
    }

    private static java.util.concurrent.ThreadFactory daemons(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    static Builder builder() {
        return new Builder();
    }

    /** @return the port the server listens on */
    int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    /** Starts answering invocations with the service; {@code /ping} turns 200. */
    void ready(TryOnService value) {
        service = Objects.requireNonNull(value, "service");
    }

    /**
     * For {@code vton worker}: {@code /ping} also asks the worker.
     *
     * @param runs the service
     * @param feeds the queue worker that feeds it
     */
    void ready(TryOnService runs, SqsWorker feeds) {
        worker = Objects.requireNonNull(feeds, "worker");
        ready(runs);
    }

    /**
     * Drains: {@code /ping} and new invocations get 503, accepted ones finish within the grace period
     * (their responses are sent), then the listener and every connection close. Later calls do nothing.
     */
    void shutdown(Duration grace) {
        draining = true;
        if (!stopped.compareAndSet(false, true)) {
            return;
        }
        TryOnService s = service;
        if (s != null) {
            s.close(grace);
        }
        // the service has completed every accepted future; let their responses reach the sockets
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        synchronized (pendingResponses) {
            while (pendingResponses.get() > 0 && System.nanoTime() < until) {
                try {
                    pendingResponses.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime())));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        listener.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        handlers.shutdown();
        acceptor.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        io.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        try {
            handlers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        shutdown(Duration.ofSeconds(25));
    }

    /** One answer: status, content type, body and, for 503, the Retry-After seconds. */
    private record Reply(int status, String contentType, byte[] body, String retryAfter) {
        static Reply json(int status, JsonObject body) {
            return new Reply(status, "application/json", body.toString().getBytes(StandardCharsets.UTF_8), null);
        }

        Reply retryAfter(String seconds) {
            return new Reply(status, contentType, body, seconds);
        }
    }

    static Reply error(int status, String field, String message) {
        JsonObject body = new JsonObject();
        body.addProperty("error", message);
        if (field != null) {
            body.addProperty("field", field);
        } else {
            body.add("field", JsonNull.INSTANCE);
        }
        return Reply.json(status, body);
    }

    /** A generic 5xx body: what failed in words, and the id under which the log has the details. */
    static Reply serverError(int status, String message, String requestId) {
        JsonObject body = new JsonObject();
        body.addProperty("error", message);
        body.add("field", JsonNull.INSTANCE);
        body.addProperty("request_id", requestId);
        return Reply.json(status, body);
    }

    /**
     * The state of one connection, touched only on its event loop. Requests on a connection are
     * answered in order: while one is being answered, what arrives for the next waits in
     * {@code backlog} and reading pauses.
     */
    private final class Connection extends ChannelInboundHandlerAdapter {
        private ChannelHandlerContext ctx;
        private boolean counted;
        private ScheduledFuture<?> deadline;
        private final ArrayDeque<Object> backlog = new ArrayDeque<>();
        // the request being read or answered; null between requests
        private HttpRequest request;
        private String requestId;
        private String path;
        private String attributes;
        private boolean ended;
        private boolean decided;
        private boolean written;
        private boolean closeAfter;
        /** Whether this request was told {@code 100 Continue}: its body is on its way. */
        private boolean continued;
        private long discarded;
        /** The body so far: {@code received} bytes at its start; null until the first byte. */
        private byte[] body;
        private long received;
        /** Bytes of {@code bufferedBytes} this connection holds: its buffer, or the body a 100 Continue promised. */
        private long reserved;

        @Override
        public void channelActive(ChannelHandlerContext context) {
            ctx = context;
            counted = true;
            if (open.incrementAndGet() > maxConnections) {
                refusedConnections.incrementAndGet();
                context.close();
                return;
            }
            connections.add(context.channel());
            arm();
            context.fireChannelActive();
        }

        @Override
        public void channelInactive(ChannelHandlerContext context) {
            if (counted) {
                open.decrementAndGet();
            }
            disarm();
            releaseBody();
            for (Object o; (o = backlog.poll()) != null; ) {
                ReferenceCountUtil.release(o);
            }
            context.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
            LOG.debug("connection closed: {}", escape(String.valueOf(cause)));
            context.close();
        }

        /** Starts the clock on the next complete request. */
        private void arm() {
            disarm();
            deadline = ctx.executor().schedule(() -> {
                if (!ended || closeAfter) {
                    slowClientsClosed.incrementAndGet();
                    LOG.debug("closing a connection that sent no complete request within {} ms",
                            TimeUnit.NANOSECONDS.toMillis(readTimeoutNanos));
                    ctx.close();
                }
            }, readTimeoutNanos, TimeUnit.NANOSECONDS);
        }

        private void disarm() {
            if (deadline != null) {
                deadline.cancel(false);
                deadline = null;
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext context, Object msg) {
            if (!context.channel().isActive()) {
                ReferenceCountUtil.release(msg); // what the decoder makes of a closed connection's leftovers
                return;
            }
            if (!backlog.isEmpty() || (msg instanceof HttpRequest && request != null)) {
                backlog.add(msg);
                context.channel().config().setAutoRead(false);
                return;
            }
            process(msg);
        }

        private void process(Object msg) {
            try {
                if (msg instanceof HttpRequest r) {
                    start(r);
                }
                if (msg instanceof HttpContent content && request != null) {
                    content(content);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void start(HttpRequest r) {
            request = r;
            requestId = newRequestId();
            path = rawPath(r.uri());
            attributes = r.headers().get(CUSTOM_ATTRIBUTES);
            ended = false;
            decided = false;
            written = false;
            closeAfter = false;
            continued = false;
            discarded = 0;
            if (r.decoderResult().isFailure()) {
                Throwable cause = r.decoderResult().cause();
                int status = cause instanceof TooLongFrameException
                        ? (String.valueOf(cause.getMessage()).contains("header") ? 431 : 414) : 400;
                reply(error(status, null, status == 431 ? "the request headers are larger than 8 KB"
                        : status == 414 ? "the request line is longer than 4 KB"
                        : r.headers().getAll(HttpHeaderNames.CONTENT_LENGTH).size() > 1 || declaredLength(r) < 0
                        ? BAD_CONTENT_LENGTH : "malformed HTTP request"), true);
                return;
            }
            HttpMethod method = r.method();
            switch (path) {
                case "/ping" -> reply(method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD) ? ping()
                        : error(405, null, "use GET /ping"), false);
                case "/metrics" -> reply(method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD) ? metrics()
                        : error(405, null, "use GET /metrics"), false);
                case "/execution-parameters" -> reply(method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD)
                        ? executionParameters() : error(405, null, "use GET /execution-parameters"), false);
                case "/invocations" -> {
                    if (invocations) {
                        startInvocation(r);
                    } else {
                        reply(error(404, null, "this process is a queue worker: send requests to its SQS queue"), false);
                    }
                }
                default -> reply(error(404, null, "no such endpoint; use GET /ping or POST /invocations"), false);
            }
        }

        private void startInvocation(HttpRequest r) {
            if (!r.method().equals(HttpMethod.POST)) {
                reply(error(405, null, "use POST /invocations"), false);
                return;
            }
            String contentType = r.headers().get(HttpHeaderNames.CONTENT_TYPE);
            if (contentType == null || !contentType.toLowerCase(Locale.ROOT).strip().startsWith("application/json")) {
                reply(error(415, null, "send the request as Content-Type: application/json, not "
                        + (contentType == null ? "nothing" : contentType)), false);
                return;
            }
            long declared = declaredLength(r);
            if (declared < 0) {
                badRequests.incrementAndGet();
                reply(error(400, null, BAD_CONTENT_LENGTH), true);
                return;
            }
            if (declared > maxBodyBytes) {
                tooLarge();
                return;
            }
            // nothing is allocated here: the body's buffer grows as its bytes arrive (see room)
            if (HttpUtil.is100ContinueExpected(r)) {
                // the client sends the body only when told to: tell it only once the whole body has its place
                if (!reserve(HttpUtil.isTransferEncodingChunked(r) ? maxBodyBytes : declared)) {
                    reply(busy(), false);
                    return;
                }
                continued = true;
                // a full (empty) response: the encoder then takes the final answer as the next message
                ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
                        Unpooled.EMPTY_BUFFER));
            }
        }

        /** The 503 for a body the shared budget has no room for. */
        private Reply busy() {
            return error(503, null, "the server is receiving too many large requests; retry").retryAfter("1");
        }

        /**
         * Reserves {@code bytes} more of the budget all connections' bodies share.
         *
         * @return false, with nothing reserved, when that would pass the budget
         */
        private boolean reserve(long bytes) {
            if (bufferedBytes.addAndGet(bytes) > maxBufferedBytes) {
                bufferedBytes.addAndGet(-bytes);
                return false;
            }
            reserved += bytes;
            return true;
        }

        /**
         * Makes room for {@code n} more body bytes: the buffer doubles (from {@code FIRST_BODY_BUFFER}
         * bytes, never past the declared length), and what it allocates is reserved before it is allocated.
         *
         * @return false, with nothing changed, when the budget has no room
         */
        private boolean room(int n) {
            long needed = received + n;
            int capacity = body == null ? 0 : body.length;
            if (needed <= capacity) {
                return true;
            }
            long declared = HttpUtil.isTransferEncodingChunked(request) ? 0 : declaredLength(request);
            long grown = Math.min(Math.max(FIRST_BODY_BUFFER, 2L * capacity), declared > 0 ? declared : maxBodyBytes);
            grown = Math.max(needed, grown);
            if (grown > reserved && !reserve(grown - reserved)) {
                return false;
            }
            body = body == null ? new byte[(int) grown] : Arrays.copyOf(body, (int) grown);
            return true;
        }

        private void tooLarge() {
            badRequests.incrementAndGet();
            releaseBody();
            reply(error(413, null, "the body is larger than " + maxBodyBytes
                    + " bytes; send image URLs instead of base64"), false);
        }

        private void content(HttpContent content) {
            if (content.decoderResult().isFailure() || content instanceof LastHttpContent last
                    && !last.trailingHeaders().isEmpty()) {
                malformedBody(content.decoderResult().isFailure()
                        ? "malformed HTTP request: the chunked body is not valid chunked encoding (each chunk size is "
                                + "a hexadecimal number below 2^31 on its own line, each chunk ends with CRLF)"
                        : "malformed HTTP request: trailer fields after the last chunk are not accepted; send none");
                return;
            }
            ByteBuf bytes = content.content();
            int n = bytes.readableBytes();
            if (decided) {
                // answered already: drop the rest of the body, up to a bound
                discarded += n;
                if (discarded > DRAIN_LIMIT) {
                    closeAfter = true;
                    if (written) {
                        ctx.close();
                    }
                    return;
                }
            } else if (n > 0) {
                if (received + n > maxBodyBytes) {
                    tooLarge();
                } else if (!room(n)) {
                    releaseBody();
                    reply(busy(), false);
                } else {
                    bytes.readBytes(body, (int) received, n);
                    received += n;
                }
            }
            if (content instanceof LastHttpContent) {
                ended = true;
                if (!decided) {
                    disarm();
                    invoke();
                } else if (written) {
                    finish();
                }
            }
        }

        /**
         * A body whose framing the decoder could not read, or that hides data in trailer fields (what a
         * smuggled request would leave behind): 400, and the connection closes, since
         * nothing after it can be told apart from the body.
         */
        private void malformedBody(String message) {
            ended = true; // the decoder reads nothing more on this connection
            closeAfter = true;
            releaseBody();
            if (!decided) {
                disarm();
                badRequests.incrementAndGet();
                reply(error(400, null, message), true);
            } else if (written) {
                ctx.close();
            }
        }

        private void releaseBody() {
            body = null;
            received = 0;
            if (reserved > 0) {
                bufferedBytes.addAndGet(-reserved);
                reserved = 0;
            }
        }

        /** Parses and submits on a handler thread: a large JSON body must not hold the event loop. */
        private void invoke() {
            decided = true;
            byte[] bytes = body == null ? new byte[0] : body;
            int length = (int) received;
            long held = reserved;
            body = null;
            received = 0;
            reserved = 0;
            String id = requestId;
            String accept = request.headers().get(HttpHeaderNames.ACCEPT);
            pendingResponses.incrementAndGet();
            try {
                handlers.execute(() -> {
                    try {
                        submit(bytes, length, held, id, accept);
                    } catch (RuntimeException e) {
                        LOG.error("500 request {} POST {}: bug while submitting", id, escape(path), e);
                        answer(serverError(500, "internal error", id));
                    }
                });
            } catch (RejectedExecutionException e) {
                bufferedBytes.addAndGet(-held);
                answer(error(503, null, "the server is shutting down").retryAfter("5"));
            }
        }

        /** @param bytes the body in its first {@code length} bytes (a chunked body's buffer may be longer) */
        private void submit(byte[] bytes, int length, long held, String id, String accept) {
            JsonRequest invocation;
            try {
                invocation = JsonRequest.parse(length == bytes.length ? bytes : Arrays.copyOf(bytes, length), sources,
                        defaults, timeout);
            } catch (RequestFieldException e) {
                badRequests.incrementAndGet();
                answer(error(400, e.field(), e.getMessage()));
                return;
            } finally {
                bufferedBytes.addAndGet(-held);
            }
            TryOnService s = service;
            if (s == null || draining) {
                answer(error(503, null, s == null ? "the model is still loading" : "the server is shutting down")
                        .retryAfter("5"));
                return;
            }
            try {
                s.submit(invocation.request()).whenCompleteAsync(
                        (result, failure) -> answer(respond(id, invocation, accept, result, failure)), handlers);
            } catch (QueueFullException e) {
                answer(error(503, null, e.getMessage()).retryAfter("1"));
            } catch (RejectedExecutionException e) {
                answer(error(503, null, "the server is shutting down").retryAfter("5"));
            } catch (InvalidParameterException e) {
                badRequests.incrementAndGet();
                answer(error(400, JsonRequest.field(e.parameter()), e.getMessage()));
            }
        }

        /** Answers an invocation from any thread; exactly once per {@link #invoke}. */
        private void answer(Reply reply) {
            try {
                ctx.executor().execute(() -> {
                    try {
                        reply(reply, false);
                    } finally {
                        answered();
                    }
                });
            } catch (RejectedExecutionException stopped) {
                answered(); // the event loops are gone, and the connection with them
            }
        }

        private void answered() {
            if (pendingResponses.decrementAndGet() == 0) {
                synchronized (pendingResponses) {
                    pendingResponses.notifyAll();
                }
            }
        }

        private Reply respond(String id, JsonRequest invocation, String accept, TryOnResult result, Throwable failure) {
            try {
                if (failure != null) {
                    return fail(id, invocation, failure instanceof CompletionException && failure.getCause() != null
                            ? failure.getCause() : failure);
                }
                JsonObject timings = timings(result.timings());
                if (storesResults && result.location() != null) {
                    URI location = result.location();
                    JsonObject json = new JsonObject();
                    json.addProperty("message", "VTON run successfully");
                    json.addProperty("s3_uri", location.toString());
                    json.addProperty("key", location.getPath().replaceFirst("^/", ""));
                    json.add("timings_ms", timings);
                    return Reply.json(200, json);
                }
                String wanted = accept == null ? "" : accept.toLowerCase(Locale.ROOT);
                if (wanted.contains("image/png")) {
                    return new Reply(200, "image/png", codec.encodePng(result.image()), null);
                } else if (wanted.contains("image/jpeg")) {
                    return new Reply(200, "image/jpeg", codec.encodeJpeg(result.image()), null);
                }
                JsonObject json = new JsonObject();
                json.addProperty("message", "VTON run successfully");
                json.addProperty("content_type", "image/jpeg");
                json.addProperty("image", Base64.getEncoder().encodeToString(codec.encodeJpeg(result.image())));
                json.add("timings_ms", timings);
                return Reply.json(200, json);
            } catch (RuntimeException e) {
                LOG.error("500 request {} POST {}: bug while answering an invocation", id, escape(path), e);
                return serverError(500, "internal error", id);
            }
        }

        private Reply fail(String id, JsonRequest invocation, Throwable failure) {
            if (failure instanceof TimeoutException) {
                return error(504, null, "the try-on did not finish within " + timeout.toSeconds() + " s");
            } else if (failure instanceof InvalidInputException e) {
                return error(400, invocation.field(e.input()), e.getMessage());
            } else if (failure instanceof InvalidParameterException e) {
                return error(400, JsonRequest.field(e.parameter()), e.getMessage());
            } else if (failure instanceof IllegalArgumentException e) {
                return error(400, null, e.getMessage());
            } else if (failure instanceof RejectedExecutionException || failure instanceof CancellationException) {
                return error(503, null, failure.getMessage()).retryAfter("5");
            } else if (failure instanceof IOException e) {
                LOG.warn("502 request {} POST {}: storing the result failed", id, escape(path), e);
                return serverError(502, "storing the result failed", id);
            } else if (failure instanceof InferenceException e) {
                LOG.error("500 request {} POST {}: inference failed", id, escape(path), e);
                return serverError(500, "internal error", id);
            }
            LOG.error("500 request {} POST {}: bug in an invocation", id, escape(path), failure);
            return serverError(500, "internal error", id);
        }

        /**
         * Writes the answer to the current request. When the request's body has not all arrived, the
         * connection closes after the answer (the rest is drained up to a bound, so the client sees it).
         */
        private void reply(Reply reply, boolean close) {
            if (request == null || decided && written) {
                return; // the connection went away and came back empty, or a second answer
            }
            decided = true;
            if (reply.status() >= 400 && !path.equals("/ping")) {
                LOG.info("{} request {} {} {}: {}", reply.status(), requestId, escape(request.method().name()),
                        escape(path), escape(new String(reply.body(), StandardCharsets.UTF_8)));
            }
            // a client waiting for 100 Continue sends no body: the decoder would wait for it, so close
            boolean awaitsContinue = !ended && !continued && HttpUtil.is100ContinueExpected(request);
            // a long, chunked or unreadably framed body still on its way: drain up to a bound, then close
            long declared = declaredLength(request);
            boolean bodyPending = !ended && !awaitsContinue && (HttpUtil.isTransferEncodingChunked(request)
                    || declared < 0 || declared > DRAIN_LIMIT);
            closeAfter |= bodyPending;
            boolean keepAlive = !close && !awaitsContinue && !closeAfter && HttpUtil.isKeepAlive(request)
                    && !stopped.get();
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.valueOf(reply.status()), Unpooled.wrappedBuffer(reply.body()));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, reply.contentType())
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, reply.body().length)
                    .set(REQUEST_ID, requestId);
            if (attributes != null && attributes.length() <= 1024) {
                response.headers().set(CUSTOM_ATTRIBUTES, attributes);
            }
            if (reply.retryAfter() != null) {
                response.headers().set(HttpHeaderNames.RETRY_AFTER, reply.retryAfter());
            }
            if (!keepAlive) {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            }
            boolean closing = close || !keepAlive && !closeAfter;
            ctx.writeAndFlush(response).addListener((ChannelFutureListener) f -> {
                written = true;
                if (!f.isSuccess() || closing || closeAfter && (ended || discarded > DRAIN_LIMIT)) {
                    f.channel().close();
                } else if (ended) {
                    finish();
                }
            });
        }

        /** The request is answered and read to its end: on to the next one on this connection. */
        private void finish() {
            if (closeAfter || !HttpUtil.isKeepAlive(request) || stopped.get()) {
                ctx.close();
                return;
            }
            request = null;
            ended = false;
            releaseBody();
            arm();
            while (!backlog.isEmpty() && !(request != null && backlog.peek() instanceof HttpRequest)) {
                process(backlog.poll());
            }
            if (backlog.isEmpty()) {
                ctx.channel().config().setAutoRead(true);
                ctx.read();
            }
        }
    }

    /** SageMaker batch transform asks this once to size its requests: one record each, within the body limit. */
    private Reply executionParameters() {
        JsonObject body = new JsonObject();
        body.addProperty("MaxConcurrentTransforms", concurrentTransforms);
        body.addProperty("BatchStrategy", "SINGLE_RECORD");
        body.addProperty("MaxPayloadInMB", Math.max(1, Math.min(100, maxBodyBytes >> 20)));
        return Reply.json(200, body);
    }

    private Reply ping() {
        TryOnService s = service;
        SqsWorker w = worker;
        boolean healthy = s != null && s.isHealthy() && !draining && (w == null || w.isHealthy());
        JsonObject body = new JsonObject();
        body.addProperty("status", healthy ? "healthy" : s == null ? "loading" : "unhealthy");
        return Reply.json(healthy ? 200 : 503, body);
    }

    /** @return the registry in Prometheus text: the server's meters and those of the service and worker given it */
    private Reply metrics() {
        return new Reply(200, "text/plain; version=0.0.4; charset=utf-8", meters.scrape().getBytes(StandardCharsets.UTF_8),
                null);
    }

    /** Registers the server's own meters, which read its fields at each scrape. */
    private void registerMeters() {
        Gauge.builder("vton.ready", this, server -> {
            TryOnService s = server.service;
            return s != null && s.isHealthy() ? 1 : 0;
        }).description("1 when the model is loaded and the worker alive").register(meters);
        FunctionCounter.builder("vton.bad.requests", badRequests, AtomicInteger::get)
                .description("invocations refused before submission (4xx)").register(meters);
        Gauge.builder("vton.http.connections", open, o -> Math.max(0, o.get()))
                .description("open HTTP connections").register(meters);
        FunctionCounter.builder("vton.http.refused.connections", refusedConnections, AtomicInteger::get)
                .description("connections closed at once: over --max-connections").register(meters);
        FunctionCounter.builder("vton.http.slow.clients.closed", slowClientsClosed, AtomicInteger::get)
                .description("connections closed: no complete request within --read-timeout").register(meters);
        Gauge.builder("vton.http.body.buffer.bytes", bufferedBytes, AtomicLong::get)
                .description("bytes reserved for invocation bodies being received, all connections").register(meters);
    }

    private static JsonObject timings(TryOnResult.Timings t) {
        JsonObject json = new JsonObject();
        json.addProperty("prepare", Math.round(t.prepare() / 1e6));
        json.addProperty("queued", Math.round(t.queued() / 1e6));
        json.addProperty("run", Math.round(t.run() / 1e6));
        json.addProperty("store", Math.round(t.store() / 1e6));
        json.addProperty("total", Math.round(t.total() / 1e6));
        return json;
    }

    /**
     * @return the body length a request declares: 0 when it declares none, -1 when its {@code Content-Length}
     *     is not one plain decimal number that fits a {@code long}
     */
    static long declaredLength(HttpRequest r) {
        String value = r.headers().get(HttpHeaderNames.CONTENT_LENGTH);
        if (value == null) {
            return 0;
        }
        String digits = value.strip();
        if (!digits.matches("[0-9]{1,19}")) {
            return -1;
        }
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException overflow) {
            return -1;
        }
    }

    /** @return the request target up to its query, as sent (never percent-decoded) */
    static String rawPath(String uri) {
        int end = uri.length();
        for (int i = 0; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (c == '?' || c == '#') {
                end = i;
                break;
            }
        }
        String path = uri.substring(0, end);
        // an absolute-form target (http://host/path) routes by its path
        if (path.startsWith("http://") || path.startsWith("https://")) {
            int slash = path.indexOf('/', path.indexOf("//") + 2);
            path = slash < 0 ? "/" : path.substring(slash);
        }
        return path;
    }

    /**
     * Client-controlled text made safe for one log line: control characters, backslashes and
     * non-ASCII characters as escapes, at most 256 characters.
     */
    static String escape(String text) {
        if (text == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder(Math.min(text.length(), 256) + 16);
        for (int i = 0; i < text.length() && out.length() < 256; i++) {
            char c = text.charAt(i);
            if (c == '\\') {
                out.append("\\\\");
            } else if (c == '\n') {
                out.append("\\n");
            } else if (c == '\r') {
                out.append("\\r");
            } else if (c == '\t') {
                out.append("\\t");
            } else if (c < 0x20 || c >= 0x7f) {
                out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        if (out.length() >= 256 && text.length() > 256) {
            out.append("...");
        }
        return out.toString();
    }

    private static String newRequestId() {
        byte[] id = new byte[8];
        IDS.nextBytes(id);
        return HexFormat.of().formatHex(id);
    }

    /** Builds and starts an {@link InferenceServer}. */
    static final class Builder {
        private String host = "0.0.0.0";
        private int port = 8080;
        private ImageSources sources;
        private TryOnParameters defaults = TryOnParameters.builder().steps(15).build();
        private Duration timeout = Duration.ofSeconds(55);
        private Duration readTimeout = Duration.ofSeconds(30);
        private int maxConnections = 1024;
        private long maxBodyBytes = 6L << 20;
        private boolean storesResults;
        private boolean invocations = true;
        private int concurrentTransforms = 2;
        private int threads = 8;
        private int ioThreads = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
        private PrometheusMeterRegistry meters;

        Builder host(String value) {
            host = value;
            return this;
        }

        Builder port(int value) {
            if (value < 0 || value > 65535) {
                throw new BadInputException("--port", "the port must be 0 to 65535, got " + value);
            }
            port = value;
            return this;
        }

        Builder sources(ImageSources value) {
            sources = value;
            return this;
        }

        Builder defaults(TryOnParameters value) {
            defaults = value;
            return this;
        }

        /** @param value the deadline of one try-on; 504 after it (default 55 s) */
        Builder timeout(Duration value) {
            timeout = value;
            return this;
        }

        /**
         * @param value how long a connection may take to send one complete request, counted from when it
         *              connects or its previous answer was sent; slower ones are closed (default 30 s)
         */
        Builder readTimeout(Duration value) {
            if (value.isNegative() || value.isZero()) {
                throw new BadInputException("--read-timeout", "the read timeout must be positive, got " + value);
            }
            readTimeout = value;
            return this;
        }

        /** @param value connections open at once; more are closed as soon as they are accepted (default 1024) */
        Builder maxConnections(int value) {
            if (value < 1) {
                throw new BadInputException("--max-connections", "--max-connections must be at least 1, got " + value);
            }
            maxConnections = value;
            return this;
        }

        /** @param value the largest invocation body, in bytes; 413 past it, checked while reading (default 6 MiB) */
        Builder maxBodyBytes(long value) {
            if (value < 1 || value > Integer.MAX_VALUE - 8) {
                throw new BadInputException("--max-body", "the body limit must be 1 byte to 2 GiB, got " + value);
            }
            maxBodyBytes = value;
            return this;
        }

        /** @param value handler threads that parse, submit and encode answers (default 8) */
        Builder threads(int value) {
            threads = value;
            return this;
        }

        /** @param value whether the service has an S3 sink, so responses carry its location */
        Builder storesResults(boolean value) {
            storesResults = value;
            return this;
        }

        /** @param value whether {@code POST /invocations} is served; a queue worker answers it with 404 */
        Builder invocations(boolean value) {
            invocations = value;
            return this;
        }

        /**
         * @param value what {@code /execution-parameters} gives as {@code MaxConcurrentTransforms}:
         *     requests batch transform sends at once (default 2: one running, the next one prepared)
         */
        Builder concurrentTransforms(int value) {
            concurrentTransforms = value;
            return this;
        }

        /**
         * @param value the registry {@code /metrics} writes, the service's and worker's too; the server adds its
         *     own meters to it (default: a registry of its own)
         */
        Builder meterRegistry(PrometheusMeterRegistry value) {
            meters = Objects.requireNonNull(value, "meterRegistry");
            return this;
        }

        InferenceServer start() throws IOException {
            Objects.requireNonNull(sources, "sources");
            return new InferenceServer(this);
        }
    }
}

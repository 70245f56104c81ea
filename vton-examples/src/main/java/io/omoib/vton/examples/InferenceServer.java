package io.omoib.vton.examples;

import com.google.gson.JsonObject;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
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
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.WriteTimeoutHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.omoib.vton.pipeline.TryOnParameters;
import io.omoib.vton.s3.SqsWorker;
import io.omoib.vton.service.TryOnService;
import io.omoib.vton.source.ImageSources;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
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
    /** SageMaker's header of custom attributes, echoed back on the answer. */
    static final String CUSTOM_ATTRIBUTES = "X-Amzn-SageMaker-Custom-Attributes";
    /** The header that carries the id of the request an answer is for. */
    static final String REQUEST_ID = "X-Request-Id";
    /** Bodies being received at once, all connections together, in multiples of the body limit. */
    private static final int BUFFERED_BODIES = 16;
    /** A {@code Content-Length} as this server takes it: one plain decimal number. */
    private static final Pattern DECIMAL = Pattern.compile("[0-9]{1,19}");

    private final EventLoopGroup acceptor;
    private final EventLoopGroup io;
    private final Channel listener;
    private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final AtomicInteger open = new AtomicInteger();
    private final InvocationHandler invocationHandler;
    private final long maxBodyBytes;
    private final BodyBudget budget;
    private final AtomicInteger badRequests = new AtomicInteger();
    private final AtomicInteger refusedConnections = new AtomicInteger();
    private final AtomicInteger slowClientsClosed = new AtomicInteger();
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final int concurrentTransforms;
    private final PrometheusMeterRegistry meters;
    private final List<Meter> ownMeters;
    private volatile TryOnService service;
    private volatile SqsWorker worker;
    private volatile boolean draining;

    private InferenceServer(Builder b) throws IOException {
        this.meters = b.meters != null ? b.meters : new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        this.maxBodyBytes = b.maxBodyBytes;
        // bodies held at once: 16 of the largest, within a quarter of the heap, but always room for one
        this.budget = new BodyBudget(Math.max(b.maxBodyBytes,
                Math.min(b.maxBodyBytes * BUFFERED_BODIES, Runtime.getRuntime().maxMemory() / 4)));
        this.concurrentTransforms = b.concurrentTransforms;
        this.invocationHandler = new InvocationHandler(b.threads, b.sources, b.defaults, b.timeout, b.storesResults,
                budget, badRequests);
        ConnectionGate gate = new ConnectionGate(b.maxConnections, open, refusedConnections, connections);
        Router router = new Router(Map.of("/ping", this::ping, "/metrics", this::metrics,
                "/execution-parameters", this::executionParameters), b.invocations);
        long readTimeoutNanos = b.readTimeout.toNanos();
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
                                    .addLast(gate)
                                    .addLast(new WriteTimeoutHandler(writeTimeoutMillis, TimeUnit.MILLISECONDS))
                                    .addLast(new HttpServerCodec())
                                    .addLast(new ReadDeadline(readTimeoutNanos, slowClientsClosed))
                                    .addLast(new Pipelining(stopped::get))
                                    .addLast(router)
                                    .addLast(new InvocationBody(maxBodyBytes, budget, badRequests))
                                    .addLast(invocationHandler)
                                    .addLast(new ClosingOnError());
                        }
                    })
                    .bind(new InetSocketAddress(b.host, b.port)).syncUninterruptibly().channel();
        } catch (RuntimeException e) {
            acceptor.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            io.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            invocationHandler.close();
            throw new IOException("cannot listen on " + b.host + ":" + b.port + ": " + e.getMessage(), e);
        }
        this.ownMeters = registerMeters();
    }

    /** {@return a factory of daemon threads named {@code name-1}, {@code name-2} ...} */
    static java.util.concurrent.ThreadFactory daemons(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** {@return a new builder; sources are required} */
    static Builder builder() {
        return new Builder();
    }

    /** {@return the port the server listens on} */
    int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    /** Starts answering invocations with the service; {@code /ping} turns 200. */
    void ready(TryOnService value) {
        service = Objects.requireNonNull(value, "service");
        invocationHandler.ready(value);
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
        invocationHandler.drain();
        if (!stopped.compareAndSet(false, true)) {
            return;
        }
        TryOnService s = service;
        if (s != null) {
            s.close(grace);
        }
        // the service has completed every accepted future; let their responses reach the sockets
        invocationHandler.awaitAnswers(Duration.ofSeconds(5));
        listener.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        acceptor.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        io.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        invocationHandler.close();
        // a later server on the same registry registers its own
        ownMeters.forEach(meters::remove);
    }

    @Override
    public void close() {
        shutdown(Duration.ofSeconds(25));
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
        boolean healthy = healthy();
        JsonObject body = new JsonObject();
        body.addProperty("status", healthy ? "healthy" : service == null ? "loading" : "unhealthy");
        return Reply.json(healthy ? 200 : 503, body);
    }

    /** {@return whether the model is loaded, the service's and the worker's threads alive, and no drain begun} */
    private boolean healthy() {
        TryOnService s = service;
        SqsWorker w = worker;
        return s != null && s.isHealthy() && !draining && (w == null || w.isHealthy());
    }

    /** {@return the registry in Prometheus text: the server's meters and those of the service and worker given it} */
    private Reply metrics() {
        return new Reply(200, "text/plain; version=0.0.4; charset=utf-8", meters.scrape().getBytes(StandardCharsets.UTF_8),
                null);
    }

    /**
     * Registers the server's own meters, which read its fields at each scrape; once listening, so that a
     * server that never started leaves none behind.
     *
     * @return them, for {@link #shutdown} to remove
     */
    private List<Meter> registerMeters() {
        return List.of(
                Gauge.builder("vton.ready", this, server -> server.healthy() ? 1 : 0)
                        .description("1 when /ping answers 200: the model loaded, the worker alive, no drain begun")
                        .register(meters),
                FunctionCounter.builder("vton.bad.requests", badRequests, AtomicInteger::get)
                        .description("invocations refused before submission (4xx)").register(meters),
                Gauge.builder("vton.http.connections", open, o -> Math.max(0, o.get()))
                        .description("open HTTP connections").register(meters),
                FunctionCounter.builder("vton.http.refused.connections", refusedConnections, AtomicInteger::get)
                        .description("connections closed at once: over --max-connections").register(meters),
                FunctionCounter.builder("vton.http.slow.clients.closed", slowClientsClosed, AtomicInteger::get)
                        .description("connections closed: no complete request within --read-timeout").register(meters),
                Gauge.builder("vton.http.body.buffer.bytes", budget, BodyBudget::reserved)
                        .description("bytes reserved for invocation bodies being received, all connections")
                        .register(meters));
    }

    /**
     * {@return the body length a request declares: 0 when it declares none, -1 when its {@code Content-Length}
     * is not one plain decimal number that fits a {@code long}}
     */
    static long declaredLength(HttpRequest r) {
        String value = r.headers().get(HttpHeaderNames.CONTENT_LENGTH);
        if (value == null) {
            return 0;
        }
        String digits = value.strip();
        if (!DECIMAL.matcher(digits).matches()) {
            return -1;
        }
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException overflow) {
            return -1;
        }
    }

    /** {@return the request target up to its query, as sent (never percent-decoded)} */
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

    /** The last handler: a connection whose pipeline failed (a reset, a write timeout) is closed. */
    @ChannelHandler.Sharable
    private static final class ClosingOnError extends ChannelInboundHandlerAdapter {
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("connection closed: {}", escape(String.valueOf(cause)));
            ctx.close();
        }
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

        /**
         * Sets the address to listen on.
         *
         * @param value a host name or address (default {@code 0.0.0.0})
         * @return this builder
         */
        Builder host(String value) {
            host = value;
            return this;
        }

        /**
         * Sets the port to listen on.
         *
         * @param value 0 to 65,535; 0 picks a free one (default 8080)
         * @return this builder
         * @throws BadInputException naming {@code --port} when out of range
         */
        Builder port(int value) {
            if (value < 0 || value > 65535) {
                throw new BadInputException("--port", "the port must be 0 to 65535, got " + value);
            }
            port = value;
            return this;
        }

        /**
         * Sets how the requests' image URLs are read.
         *
         * @param value resolves URL fields; give it no file access, as requests are untrusted
         * @return this builder
         */
        Builder sources(ImageSources value) {
            sources = value;
            return this;
        }

        /**
         * Sets the sampling parameters for fields a request does not give.
         *
         * @param value the defaults
         * @return this builder
         */
        Builder defaults(TryOnParameters value) {
            defaults = value;
            return this;
        }

        /**
         * Sets the deadline of one try-on.
         *
         * @param value the deadline of one try-on; 504 after it (default 55 s)
         * @return this builder
         */
        Builder timeout(Duration value) {
            timeout = value;
            return this;
        }

        /**
         * Sets how long a connection may take to send one request.
         *
         * @param value how long a connection may take to send one complete request, counted from when it
         *              connects or its previous answer was sent; slower ones are closed (default 30 s)
         * @return this builder
         */
        Builder readTimeout(Duration value) {
            if (value.isNegative() || value.isZero()) {
                throw new BadInputException("--read-timeout", "the read timeout must be positive, got " + value);
            }
            readTimeout = value;
            return this;
        }

        /**
         * Sets the most connections open at once.
         *
         * @param value connections open at once; more are closed as soon as they are accepted (default 1024)
         * @return this builder
         */
        Builder maxConnections(int value) {
            if (value < 1) {
                throw new BadInputException("--max-connections", "--max-connections must be at least 1, got " + value);
            }
            maxConnections = value;
            return this;
        }

        /**
         * Sets the largest invocation body.
         *
         * @param value the largest invocation body, in bytes; 413 past it, checked while reading (default 6 MiB)
         * @return this builder
         */
        Builder maxBodyBytes(long value) {
            if (value < 1 || value > Integer.MAX_VALUE - 8) {
                throw new BadInputException("--max-body", "the body limit must be 1 byte to 2 GiB, got " + value);
            }
            maxBodyBytes = value;
            return this;
        }

        /**
         * Sets the number of handler threads.
         *
         * @param value handler threads that parse, submit and encode answers (default 8)
         * @return this builder
         */
        Builder threads(int value) {
            threads = value;
            return this;
        }

        /**
         * Sets whether responses carry the stored result's location.
         *
         * @param value whether the service has an S3 sink, so responses carry its location
         * @return this builder
         */
        Builder storesResults(boolean value) {
            storesResults = value;
            return this;
        }

        /**
         * Sets whether {@code POST /invocations} is served.
         *
         * @param value whether {@code POST /invocations} is served; a queue worker answers it with 404
         * @return this builder
         */
        Builder invocations(boolean value) {
            invocations = value;
            return this;
        }

        /**
         * Sets the concurrency that {@code /execution-parameters} advertises.
         *
         * @param value what {@code /execution-parameters} gives as {@code MaxConcurrentTransforms}:
         *     requests batch transform sends at once (default 2: one running, the next one prepared)
         * @return this builder
         */
        Builder concurrentTransforms(int value) {
            concurrentTransforms = value;
            return this;
        }

        /**
         * Sets the registry that {@code /metrics} writes.
         *
         * @param value the registry {@code /metrics} writes, the service's and worker's too; the server adds its
         *     own meters to it (default: a registry of its own)
         * @return this builder
         */
        Builder meterRegistry(PrometheusMeterRegistry value) {
            meters = Objects.requireNonNull(value, "meterRegistry");
            return this;
        }

        /**
         * Binds the port and starts serving.
         *
         * @return the running server
         * @throws IOException if the server cannot listen on the host and port
         */
        InferenceServer start() throws IOException {
            Objects.requireNonNull(sources, "sources");
            return new InferenceServer(this);
        }
    }
}

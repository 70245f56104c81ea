package io.omoib.vton.examples;

import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.omoib.vton.pipeline.InferenceException;
import io.omoib.vton.pipeline.InvalidParameterException;
import io.omoib.vton.pipeline.TryOnParameters;
import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.preprocess.InvalidInputException;
import io.omoib.vton.service.QueueFullException;
import io.omoib.vton.service.ServiceMetrics;
import io.omoib.vton.service.TryOnResult;
import io.omoib.vton.service.TryOnService;
import io.omoib.vton.source.ImageSources;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SageMaker-compatible inference server on the JDK's HTTP server: {@code GET /ping},
 * {@code POST /invocations}, {@code GET /metrics}.
 *
 * <p>The server listens before the model is loaded; {@code /ping} answers 503 until {@link #ready}
 * hands it a {@link TryOnService}, then 200 while the service's workers are alive. Invocations never
 * hold a server thread while they wait: the handler submits and returns, and the response is written
 * when the result arrives, so {@code /ping} is always answered at once.
 */
final class InferenceServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(InferenceServer.class);
    static final String CUSTOM_ATTRIBUTES = "X-Amzn-SageMaker-Custom-Attributes";
    /** How much of an oversized body is read and dropped before the 413, so that the client sees it. */
    private static final long DRAIN_LIMIT = 64L << 20;

    private final HttpServer http;
    private final ExecutorService handlers;
    private final ImageSources sources;
    private final TryOnParameters defaults;
    private final Duration timeout;
    private final long maxBodyBytes;
    private final boolean storesResults;
    private final ImageCodec codec = ImageCodec.defaults();
    private final AtomicInteger badRequests = new AtomicInteger();
    private volatile TryOnService service;
    private volatile boolean draining;

    private InferenceServer(Builder b) throws IOException {
        this.sources = b.sources;
        this.defaults = b.defaults;
        this.timeout = b.timeout;
        this.maxBodyBytes = b.maxBodyBytes;
        this.storesResults = b.storesResults;
        AtomicInteger n = new AtomicInteger();
        this.handlers = Executors.newFixedThreadPool(b.threads, r -> {
            Thread t = new Thread(r, "vton-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.http = HttpServer.create(new InetSocketAddress(b.host, b.port), 128);
        http.setExecutor(handlers);
        http.createContext("/ping", exchange -> handle(exchange, this::ping));
        http.createContext("/invocations", exchange -> handle(exchange, this::invocation));
        http.createContext("/metrics", exchange -> handle(exchange, this::metrics));
        http.createContext("/", exchange -> handle(exchange,
                e -> error(e, 404, null, "no such endpoint; use GET /ping or POST /invocations")));
        http.start();
    }

    static Builder builder() {
        return new Builder();
    }

    /** @return the port the server listens on */
    int port() {
        return http.getAddress().getPort();
    }

    /** Starts answering invocations with the service; {@code /ping} turns 200. */
    void ready(TryOnService value) {
        service = Objects.requireNonNull(value, "service");
    }

    /**
     * Drains: new invocations get 503, accepted ones finish within the grace period (their responses
     * are sent), then the listener closes.
     */
    void shutdown(Duration grace) {
        draining = true;
        TryOnService s = service;
        if (s != null) {
            s.close(grace);
        }
        http.stop(1);
        handlers.shutdown();
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

    @FunctionalInterface
    private interface Handler {
        void handle(HttpExchange exchange) throws IOException;
    }

    /** Runs a handler; a bug becomes a 500 with a JSON body, never a dropped connection. */
    private void handle(HttpExchange exchange, Handler handler) {
        try {
            String attributes = exchange.getRequestHeaders().getFirst(CUSTOM_ATTRIBUTES);
            if (attributes != null && attributes.length() <= 1024) {
                exchange.getResponseHeaders().set(CUSTOM_ATTRIBUTES, attributes);
            }
            handler.handle(exchange);
        } catch (IOException e) {
            LOG.debug("client went away: {}", e.toString());
            exchange.close();
        } catch (RuntimeException e) {
            LOG.error("bug while handling {} {}", exchange.getRequestMethod(), exchange.getRequestURI().getPath(), e);
            try {
                error(exchange, 500, null, "internal error: " + e);
            } catch (IOException ignored) {
                exchange.close();
            }
        }
    }

    private void ping(HttpExchange exchange) throws IOException {
        if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
            error(exchange, 405, null, "use GET /ping");
            return;
        }
        TryOnService s = service;
        boolean healthy = s != null && s.isHealthy() && !draining;
        JsonObject body = new JsonObject();
        body.addProperty("status", healthy ? "healthy" : s == null ? "loading" : "unhealthy");
        send(exchange, healthy ? 200 : 503, "application/json", body.toString().getBytes(StandardCharsets.UTF_8));
    }

    private void metrics(HttpExchange exchange) throws IOException {
        TryOnService s = service;
        StringBuilder text = new StringBuilder();
        gauge(text, "vton_ready", "1 when the model is loaded and the worker alive", s != null && s.isHealthy() ? 1 : 0);
        gauge(text, "vton_bad_requests_total", "invocations refused before submission (4xx)", badRequests.get());
        if (s != null) {
            ServiceMetrics m = s.metrics();
            gauge(text, "vton_queue_depth", "requests accepted and not yet running", m.queued());
            gauge(text, "vton_in_flight", "requests inside a pipeline run", m.inFlight());
            text.append("# HELP vton_requests_total try-on requests by outcome\n# TYPE vton_requests_total counter\n");
            text.append("vton_requests_total{outcome=\"completed\"} ").append(m.completed()).append('\n');
            text.append("vton_requests_total{outcome=\"failed\"} ").append(m.failed()).append('\n');
            text.append("vton_requests_total{outcome=\"cancelled\"} ").append(m.cancelled()).append('\n');
            text.append("vton_requests_total{outcome=\"rejected\"} ").append(m.rejected()).append('\n');
            text.append("# HELP vton_latency_seconds time from submission to result, last 1024 results\n"
                    + "# TYPE vton_latency_seconds summary\n");
            text.append(String.format(Locale.ROOT, "vton_latency_seconds{quantile=\"0.5\"} %.4f%n", m.latencyP50Millis() / 1e3));
            text.append(String.format(Locale.ROOT, "vton_latency_seconds{quantile=\"0.95\"} %.4f%n", m.latencyP95Millis() / 1e3));
            text.append(String.format(Locale.ROOT, "vton_latency_seconds{quantile=\"0.99\"} %.4f%n", m.latencyP99Millis() / 1e3));
            text.append(String.format(Locale.ROOT, "# HELP vton_throughput try-ons per second over the last minute%n"
                    + "# TYPE vton_throughput gauge%nvton_throughput %.4f%n", m.imagesPerSecond()));
        }
        send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", text.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static void gauge(StringBuilder text, String name, String help, double value) {
        text.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name)
                .append(name.endsWith("_total") ? " counter\n" : " gauge\n").append(name).append(' ')
                .append(value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value)).append('\n');
    }

    private void invocation(HttpExchange exchange) throws IOException {
        if (!exchange.getRequestMethod().equals("POST")) {
            error(exchange, 405, null, "use POST /invocations");
            return;
        }
        String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).strip().startsWith("application/json")) {
            error(exchange, 415, null, "send the request as Content-Type: application/json, not "
                    + (contentType == null ? "nothing" : contentType));
            return;
        }
        byte[] body = readBody(exchange);
        if (body == null) {
            return;
        }
        Invocation invocation;
        try {
            invocation = Invocation.parse(StrictJson.parse(body), sources, defaults, timeout);
        } catch (BadInputException e) {
            badRequests.incrementAndGet();
            error(exchange, 400, e.field(), e.getMessage());
            return;
        }
        TryOnService s = service;
        if (s == null || draining) {
            exchange.getResponseHeaders().set("Retry-After", "5");
            error(exchange, 503, null, s == null ? "the model is still loading" : "the server is shutting down");
            return;
        }
        String accept = exchange.getRequestHeaders().getFirst("Accept");
        try {
            s.submit(invocation.request()).whenCompleteAsync(
                    (result, failure) -> respond(exchange, invocation, accept, result, failure), handlers);
        } catch (QueueFullException e) {
            exchange.getResponseHeaders().set("Retry-After", "1");
            error(exchange, 503, null, e.getMessage());
        } catch (RejectedExecutionException e) {
            exchange.getResponseHeaders().set("Retry-After", "5");
            error(exchange, 503, null, "the server is shutting down");
        } catch (InvalidParameterException e) {
            badRequests.incrementAndGet();
            error(exchange, 400, Invocation.field(e.parameter()), e.getMessage());
        }
    }

    /** @return the body, or {@code null} after answering 413 */
    private byte[] readBody(HttpExchange exchange) throws IOException {
        String length = exchange.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.strip()) > maxBodyBytes) {
                    tooLarge(exchange);
                    return null;
                }
            } catch (NumberFormatException e) {
                error(exchange, 400, null, "Content-Length is not a number");
                return null;
            }
        }
        try (InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readNBytes((int) maxBodyBytes + 1);
            if (body.length > maxBodyBytes) {
                tooLarge(exchange);
                return null;
            }
            return body;
        }
    }

    private void tooLarge(HttpExchange exchange) throws IOException {
        badRequests.incrementAndGet();
        // read on (up to a bound) so that the client, still sending, sees the 413 rather than a reset
        try (InputStream in = exchange.getRequestBody()) {
            byte[] buffer = new byte[64 << 10];
            long drained = 0;
            for (int n; drained < DRAIN_LIMIT && (n = in.read(buffer)) >= 0; ) {
                drained += n;
            }
        }
        error(exchange, 413, null, "the body is larger than " + maxBodyBytes + " bytes; send image URLs instead of base64");
    }

    private void respond(HttpExchange exchange, Invocation invocation, String accept, TryOnResult result,
                         Throwable failure) {
        try {
            if (failure != null) {
                fail(exchange, invocation, failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure);
                return;
            }
            JsonObject timings = timings(result.timings());
            if (storesResults && result.location() != null) {
                URI location = result.location();
                JsonObject body = new JsonObject();
                body.addProperty("message", "VTON run successfully");
                body.addProperty("s3_uri", location.toString());
                body.addProperty("key", location.getPath().replaceFirst("^/", ""));
                body.add("timings_ms", timings);
                send(exchange, 200, "application/json", body.toString().getBytes(StandardCharsets.UTF_8));
                return;
            }
            String wanted = accept == null ? "" : accept.toLowerCase(Locale.ROOT);
            if (wanted.contains("image/png")) {
                send(exchange, 200, "image/png", codec.encodePng(result.image()));
            } else if (wanted.contains("image/jpeg")) {
                send(exchange, 200, "image/jpeg", codec.encodeJpeg(result.image()));
            } else {
                JsonObject body = new JsonObject();
                body.addProperty("message", "VTON run successfully");
                body.addProperty("content_type", "image/jpeg");
                body.addProperty("image", Base64.getEncoder().encodeToString(codec.encodeJpeg(result.image())));
                body.add("timings_ms", timings);
                send(exchange, 200, "application/json", body.toString().getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            LOG.debug("client went away before its result: {}", e.toString());
            exchange.close();
        } catch (RuntimeException e) {
            LOG.error("bug while answering an invocation", e);
            try {
                error(exchange, 500, null, "internal error: " + e);
            } catch (IOException ignored) {
                exchange.close();
            }
        }
    }

    private void fail(HttpExchange exchange, Invocation invocation, Throwable failure) throws IOException {
        if (failure instanceof TimeoutException) {
            error(exchange, 504, null, "the try-on did not finish within " + timeout.toSeconds() + " s");
        } else if (failure instanceof InvalidInputException e) {
            error(exchange, 400, invocation.field(e.input()), e.getMessage());
        } else if (failure instanceof InvalidParameterException e) {
            error(exchange, 400, Invocation.field(e.parameter()), e.getMessage());
        } else if (failure instanceof IllegalArgumentException e) {
            error(exchange, 400, null, e.getMessage());
        } else if (failure instanceof RejectedExecutionException || failure instanceof CancellationException) {
            exchange.getResponseHeaders().set("Retry-After", "5");
            error(exchange, 503, null, failure.getMessage());
        } else if (failure instanceof IOException e) {
            LOG.warn("storing a result failed", e);
            error(exchange, 502, null, e.getMessage());
        } else if (failure instanceof InferenceException e) {
            LOG.error("inference failed", e);
            error(exchange, 500, null, e.getMessage());
        } else {
            LOG.error("bug in an invocation", failure);
            error(exchange, 500, null, "internal error: " + failure);
        }
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

    static void error(HttpExchange exchange, int status, String field, String message) throws IOException {
        JsonObject body = new JsonObject();
        body.addProperty("error", message);
        if (field != null) {
            body.addProperty("field", field);
        } else {
            body.add("field", JsonNull.INSTANCE);
        }
        send(exchange, status, "application/json", body.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        try (exchange) {
            Headers headers = exchange.getResponseHeaders();
            headers.set("Content-Type", contentType);
            boolean head = exchange.getRequestMethod().equals("HEAD");
            exchange.sendResponseHeaders(status, head ? -1 : body.length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }

    /** Builds and starts an {@link InferenceServer}. */
    static final class Builder {
        private String host = "0.0.0.0";
        private int port = 8080;
        private ImageSources sources;
        private TryOnParameters defaults = TryOnParameters.builder().steps(15).build();
        private Duration timeout = Duration.ofSeconds(55);
        private long maxBodyBytes = 6L << 20;
        private boolean storesResults;
        private int threads = 8;

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

        Builder timeout(Duration value) {
            timeout = value;
            return this;
        }

        Builder maxBodyBytes(long value) {
            maxBodyBytes = value;
            return this;
        }

        /** @param value whether the service has an S3 sink, so responses carry its location */
        Builder storesResults(boolean value) {
            storesResults = value;
            return this;
        }

        InferenceServer start() throws IOException {
            Objects.requireNonNull(sources, "sources");
            return new InferenceServer(this);
        }
    }
}

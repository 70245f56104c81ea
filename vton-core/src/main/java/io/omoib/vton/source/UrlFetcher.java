package io.omoib.vton.source;

import io.omoib.vton.internal.Limits;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.lang.ref.WeakReference;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.DefaultConnectionKeepAliveStrategy;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.client5.http.ssl.DefaultClientTlsStrategy;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ConnectionRequestTimeoutException;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * Fetches images from http(s) URLs within limits, under a {@link UrlPolicy}: a connect timeout
 * (default 5 s), a total timeout for the whole fetch, redirects included (30 s), a size limit
 * (20 MiB, checked against {@code Content-Length} and again while reading), and at most 3 redirects,
 * each checked against the policy again. HTTP/1.1 through Apache HttpClient 5, with no proxy, no
 * cookies, no content decoding and no retries.
 *
 * <p><b>The address judged is the address connected to.</b> For the URL and for every redirect target
 * the host is resolved once, through the {@link Resolver}; the policy judges every address, and the
 * connection goes to the first of them, with the URL's host name kept for the {@code Host} header and
 * for TLS (SNI and certificate host name verification). The HTTP client never resolves a name itself,
 * so a name that answers differently a moment later (DNS rebinding) cannot steer the connection
 * elsewhere. Pooled connections are kept per host name, port and judged address.
 *
 * <p>Connections are pooled: at most 20 in all and 4 per host (both configurable), each closed after
 * 30 s idle, or sooner when the server asks. {@link #close()} closes them at once; a fetcher that is
 * never closed releases them through that idle limit and when it is garbage collected.
 *
 * <p>Threads: each fetcher owns its exchange threads, at most {@link Builder#maxConnections(int)} of them,
 * started when fetches need them and ended after 30 s unused; one thread for the whole JVM closes idle
 * connections every 5 s. A fetch that finds them all busy waits for one within its own timeout, and so
 * does an exchange waiting for one of the {@link Builder#maxConnectionsPerHost(int)} connections to its
 * host, holding its thread: callers that send many fetches to one host at once should cap them per host
 * too, as {@code TryOnService} does (its fetches per origin stay within the connections per host).
 * {@link #close()} ends the threads.
 *
 * <p>Error messages name the URL without user info, query string or fragment, say what failed, and
 * never quote what the server sent.
 *
 * <p>Thread safety: thread-safe; build with {@link #builder()}, share one instance and close it when
 * done.
 */
public final class UrlFetcher implements AutoCloseable {
    /**
     * Resolves a host name to its addresses; tests substitute their own DNS. Implementations must be
     * thread-safe: the fetcher's threads call one at once.
     */
    @FunctionalInterface
    public interface Resolver {
        /** Resolves with the JVM's resolver and its cache. */
        Resolver SYSTEM = InetAddress::getAllByName;

        /**
         * {@return its addresses, at least one; the policy judges each, the first is connected to}
         *
         * @param host a host name (IP literals are parsed without asking the resolver)
         * @throws UnknownHostException if it has none
         */
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    /** How long a pooled connection may stay idle before it is closed. */
    static final Duration IDLE = Duration.ofSeconds(30);

    /** Numbers the fetchers, to name their threads. */
    private static final AtomicInteger INSTANCES = new AtomicInteger();
    /**
     * Closes idle pooled connections of every live fetcher; one thread for the whole JVM, so that a fetcher
     * nobody closes keeps no thread alive.
     */
    private static final ScheduledThreadPoolExecutor EVICTOR = evictor();

    /** Every connection goes to an address judged by the policy; a lookup by the client is a bug. */
    private static final DnsResolver PINNED_ONLY = new DnsResolver() {
        @Override
        public InetAddress[] resolve(String host) throws UnknownHostException {
            throw new UnknownHostException("UrlFetcher connects only to addresses its policy judged");
        }

        @Override
        public String resolveCanonicalHostname(String host) throws UnknownHostException {
            throw new UnknownHostException("UrlFetcher connects only to addresses its policy judged");
        }
    };

    private final UrlPolicy policy;
    private final Resolver resolver;
    private final Duration connectTimeout;
    private final Duration timeout;
    private final long maxBytes;
    private final int maxRedirects;
    private final PoolingHttpClientConnectionManager connections;
    private final CloseableHttpClient client;
    /**
     * Runs the blocking exchanges, so that the caller waits with a deadline and can be interrupted; at most
     * {@code maxConnections} threads, each ended after 30 s unused.
     */
    private final ThreadPoolExecutor threads;
    private final ScheduledFuture<?> eviction;
    private volatile boolean closed;

    private UrlFetcher(Builder b) {
        this.policy = b.policy;
        this.resolver = b.resolver;
        this.connectTimeout = b.connectTimeout;
        this.timeout = b.timeout;
        this.maxBytes = b.maxBytes;
        this.maxRedirects = b.maxRedirects;
        this.connections = PoolingHttpClientConnectionManagerBuilder.create()
                .setDnsResolver(PINNED_ONLY)
                // the JVM's default TLS context and protocols; host names verified against the certificate
                .setTlsSocketStrategy(DefaultClientTlsStrategy.createSystemDefault())
                .setMaxConnTotal(b.maxConnections)
                .setMaxConnPerRoute(b.maxConnectionsPerHost)
                .setDefaultConnectionConfig(ConnectionConfig.custom()
                        .setConnectTimeout(Timeout.of(connectTimeout))
                        .setSocketTimeout(Timeout.of(timeout))
                        .setValidateAfterInactivity(TimeValue.ofSeconds(1))
                        .build())
                .build();
        this.client = HttpClients.custom()
                .setConnectionManager(connections)
                .disableRedirectHandling()
                .disableAutomaticRetries()
                .disableContentCompression()
                .disableCookieManagement()
                .disableAuthCaching()
                .setUserAgent("omoib-vton")
                .setKeepAliveStrategy((response, context) -> {
                    TimeValue asked = DefaultConnectionKeepAliveStrategy.INSTANCE.getKeepAliveDuration(response, context);
                    return asked != null && asked.compareTo(TimeValue.of(IDLE)) < 0 ? asked : TimeValue.of(IDLE);
                })
                .build();
        this.threads = new ThreadPoolExecutor(b.maxConnections, b.maxConnections, IDLE.toSeconds(), TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), daemonThreads("vton-url-fetch-" + INSTANCES.incrementAndGet() + "-"));
        threads.allowCoreThreadTimeOut(true);
        this.eviction = EVICTOR.scheduleWithFixedDelay(new EvictIdle(connections), 5, 5, TimeUnit.SECONDS);
    }

    /** {@return a builder with the defaults above and {@link UrlPolicy#defaults()}} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return the policy URLs are judged by} */
    public UrlPolicy policy() {
        return policy;
    }

    /** {@return the most bytes one image may have} */
    public long maxBytes() {
        return maxBytes;
    }

    /**
     * {@return a source fetching the URL each time it is read; named by the URL without its query}
     *
     * @param url an http(s) URL
     */
    public ImageSource source(URI url) {
        Objects.requireNonNull(url, "url");
        String name = ImageSourceException.redact(url);
        return new ImageSource() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public byte[] read() throws IOException {
                return fetch(url);
            }

            @Override
            public Optional<String> origin() {
                String scheme = url.getScheme().toLowerCase(Locale.ROOT);
                int port = url.getPort() >= 0 ? url.getPort() : scheme.equals("https") ? 443 : 80;
                return Optional.of(scheme + "://" + String.valueOf(url.getHost()).toLowerCase(Locale.ROOT) + ":" + port);
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }

    /**
     * Fetches a URL, following redirects.
     *
     * @param url an http(s) URL
     * @return the body of the final 2xx answer
     * @throws ImageSourceException naming the URL without its query string: {@code REFUSED} by the
     *     policy, {@code NOT_FOUND} for an error status or too many redirects, {@code TOO_LARGE},
     *     {@code TIMEOUT}, or {@code UNAVAILABLE} for DNS, connection, TLS and protocol failures
     * @throws InterruptedIOException if the thread is interrupted
     * @throws IllegalStateException if the fetcher is closed
     */
    public byte[] fetch(URI url) throws IOException {
        Objects.requireNonNull(url, "url");
        if (closed) {
            throw closedError();
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        Exchange exchange = new Exchange(url, deadline);
        Future<byte[]> pending;
        try {
            pending = threads.submit(exchange);
        } catch (RejectedExecutionException e) {
            throw closedError();
        }
        try {
            return pending.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            exchange.abort();
            pending.cancel(false);
            throw timedOut(url);
        } catch (InterruptedException e) {
            exchange.abort();
            pending.cancel(false);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while fetching " + ImageSourceException.redact(url));
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(cause);
        }
    }

    /** {@return the threads the fetcher has now, at most {@code maxConnections} (tests)} */
    int threadCount() {
        return threads.getPoolSize();
    }

    private static IllegalStateException closedError() {
        return new IllegalStateException("this UrlFetcher is closed; build a new one");
    }

    /**
     * Closes the pooled connections now and ends the fetcher's threads; fetches in flight fail. Calling
     * it again does nothing. Optional: an unclosed fetcher holds at most its pool, for at most 30 s
     * idle. Later calls to {@link #fetch} throw {@link IllegalStateException}.
     */
    @Override
    public void close() {
        closed = true;
        eviction.cancel(false);
        client.close(CloseMode.IMMEDIATE);
        // exchanges still queued run and fail at once on the closed client, so their callers hear of it
        threads.shutdown();
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    private ImageSourceException timedOut(URI url) {
        return new ImageSourceException(ImageSourceException.Kind.TIMEOUT, ImageSourceException.redact(url),
                "not fetched within " + timeout.toMillis() + " ms", null);
    }

    /** One fetch, redirects included, run on an exchange thread. */
    private final class Exchange implements Callable<byte[]> {
        private final URI url;
        private final long deadline;
        private HttpGet current; // guarded by this
        private boolean aborted; // guarded by this

        Exchange(URI url, long deadline) {
            this.url = url;
            this.deadline = deadline;
        }

        /** Stops the exchange: the request in flight loses its connection, no further one starts. */
        synchronized void abort() {
            aborted = true;
            if (current != null) {
                current.cancel();
            }
        }

        @Override
        public byte[] call() throws IOException {
            URI target = url;
            for (int redirects = 0; ; redirects++) {
                InetAddress address = judge(target);
                HttpGet request = begin(target);
                HttpHost pinned = new HttpHost(target.getScheme().toLowerCase(Locale.ROOT), address,
                        bare(target.getHost()), target.getPort());
                try (ClassicHttpResponse response = client.executeOpen(pinned, request, HttpClientContext.create())) {
                    int status = response.getCode();
                    if (status >= 200 && status < 300) {
                        return body(response, request);
                    }
                    // the body of an error or redirect is not read: drop the connection instead
                    request.cancel();
                    if (!isRedirect(status)) {
                        throw failure(ImageSourceException.Kind.NOT_FOUND, target,
                                "answered HTTP " + status + "; check that the URL exists and has not expired");
                    }
                    Header location = response.getFirstHeader("Location");
                    if (location == null || location.getValue() == null) {
                        throw failure(ImageSourceException.Kind.NOT_FOUND, target,
                                "answered HTTP " + status + " with no Location header");
                    }
                    if (redirects == maxRedirects) {
                        throw failure(ImageSourceException.Kind.NOT_FOUND, target,
                                "redirected more than " + maxRedirects + " times");
                    }
                    try {
                        target = target.resolve(location.getValue().strip());
                    } catch (IllegalArgumentException e) {
                        throw failure(ImageSourceException.Kind.NOT_FOUND, target,
                                "answered HTTP " + status + " with a malformed Location header");
                    }
                } catch (ImageSourceException e) {
                    throw e;
                } catch (IOException e) {
                    request.cancel();
                    throw failure(target, e);
                }
            }
        }

        /** Checks the URL, resolves its host once and judges every address; returns the one to connect to. */
        private InetAddress judge(URI target) throws IOException {
            String refused = policy.urlRefusal(target);
            if (refused != null) {
                throw failure(ImageSourceException.Kind.REFUSED, target, refused);
            }
            String host = bare(target.getHost());
            InetAddress[] addresses;
            try {
                addresses = Cidr.isAddressLiteral(host) ? new InetAddress[] {InetAddress.getByName(host)}
                        : resolver.resolve(host);
            } catch (UnknownHostException e) {
                throw failure(ImageSourceException.Kind.UNAVAILABLE, target, "cannot resolve host '" + host + "'");
            }
            if (addresses == null || addresses.length == 0 || addresses[0] == null) {
                throw failure(ImageSourceException.Kind.UNAVAILABLE, target, "cannot resolve host '" + host + "'");
            }
            if (policy.allowsHost(host)) {
                return addresses[0];
            }
            for (InetAddress address : addresses) {
                String refusal = address == null ? "an empty address" : policy.refusal(address);
                if (refusal != null) {
                    throw failure(ImageSourceException.Kind.REFUSED, target, "refused by the URL policy: " + refusal
                            + "; allow it explicitly (VTON_URL_ALLOW) if it is trusted");
                }
            }
            return addresses[0];
        }

        private synchronized HttpGet begin(URI target) throws IOException {
            if (aborted) {
                throw new InterruptedIOException("fetch of " + ImageSourceException.redact(url) + " was stopped");
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                throw timedOut(url);
            }
            HttpGet request;
            try {
                request = new HttpGet(withoutUserInfo(target));
            } catch (IllegalArgumentException e) {
                throw failure(ImageSourceException.Kind.REFUSED, target, "is not a valid http(s) URL");
            }
            Timeout left = Timeout.of(Math.max(1, TimeUnit.NANOSECONDS.toMillis(remaining)), TimeUnit.MILLISECONDS);
            request.setConfig(RequestConfig.custom()
                    .setConnectionRequestTimeout(left)
                    .setResponseTimeout(left)
                    .build());
            request.setHeader("Accept", "image/*");
            current = request;
            return request;
        }

        /** Reads a 2xx body up to the limit; a body over it is not read further. */
        private byte[] body(ClassicHttpResponse response, HttpGet request) throws IOException {
            HttpEntity entity = response.getEntity();
            if (entity == null) {
                return new byte[0];
            }
            if (entity.getContentLength() > maxBytes) {
                request.cancel();
                throw ImageSourceException.tooLarge(ImageSourceException.redact(url), maxBytes);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream(
                    (int) Math.min(Math.max(entity.getContentLength(), 8192), maxBytes));
            byte[] buffer = new byte[8192];
            try (InputStream in = entity.getContent()) {
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    if (out.size() + (long) n > maxBytes) {
                        request.cancel();
                        throw ImageSourceException.tooLarge(ImageSourceException.redact(url), maxBytes);
                    }
                    out.write(buffer, 0, n);
                }
            }
            return out.toByteArray();
        }

        /** A failure named by the URL the caller gave, with the redirect target's origin when it differs. */
        private ImageSourceException failure(ImageSourceException.Kind kind, URI target, String reason) {
            return new ImageSourceException(kind, ImageSourceException.redact(url), reason + redirected(target), null);
        }

        private String redirected(URI target) {
            if (target == url) {
                return "";
            }
            String origin = ImageSourceException.redact(target);
            int path = origin.indexOf('/', origin.indexOf("://") + 3);
            return " (after a redirect to " + (path < 0 ? origin : origin.substring(0, path)) + ")";
        }

        /**
         * Names what failed from the exception's type alone: messages of protocol and TLS errors can quote
         * what the server sent, so they are neither copied nor attached.
         */
        private IOException failure(URI target, IOException e) {
            synchronized (this) {
                if (aborted) {
                    return new InterruptedIOException("fetch of " + ImageSourceException.redact(url) + " was stopped");
                }
            }
            ImageSourceException.Kind kind = ImageSourceException.Kind.UNAVAILABLE;
            String what;
            Throwable cause = null;
            if (e instanceof ConnectTimeoutException) {
                kind = ImageSourceException.Kind.TIMEOUT;
                what = "no connection within " + connectTimeout.toMillis() + " ms";
            } else if (e instanceof ConnectionRequestTimeoutException || e instanceof SocketTimeoutException) {
                kind = ImageSourceException.Kind.TIMEOUT;
                what = "not fetched within " + timeout.toMillis() + " ms";
            } else if (e instanceof ConnectException || e instanceof NoRouteToHostException) {
                what = "connection refused or unreachable";
                cause = e;
            } else if (e instanceof SSLPeerUnverifiedException) {
                what = "the server's TLS certificate is not valid for this host name";
            } else if (e instanceof SSLException) {
                what = "the TLS handshake failed (" + e.getClass().getSimpleName() + ")";
            } else {
                what = "the server's answer was not valid HTTP or ended early (" + e.getClass().getSimpleName() + ")";
            }
            return new ImageSourceException(kind, ImageSourceException.redact(url), what + redirected(target), cause);
        }
    }

    /** {@return the host without the brackets of an IPv6 literal} */
    private static String bare(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /** {@return the URL as sent: no user info (never sent to the server) and no fragment} */
    private static URI withoutUserInfo(URI url) {
        String authority = url.getRawAuthority();
        String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        String query = url.getRawQuery() == null ? "" : "?" + url.getRawQuery();
        return URI.create(url.getScheme() + "://" + authority.substring(authority.lastIndexOf('@') + 1) + path + query);
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    private static ScheduledThreadPoolExecutor evictor() {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, daemonThreads("vton-url-idle-"));
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }

    /** Closes a pool's idle and expired connections; holds the pool weakly, so an unused fetcher can go. */
    private static final class EvictIdle implements Runnable {
        private final WeakReference<PoolingHttpClientConnectionManager> pool;

        EvictIdle(PoolingHttpClientConnectionManager pool) {
            this.pool = new WeakReference<>(pool);
        }

        @Override
        public void run() {
            PoolingHttpClientConnectionManager connections = pool.get();
            if (connections == null) {
                // the fetcher is gone: an exception ends a periodic task
                throw new IllegalStateException("UrlFetcher collected; idle eviction ends");
            }
            connections.closeExpired();
            connections.closeIdle(TimeValue.of(IDLE));
        }
    }

    /** Builds a {@link UrlFetcher}. Not thread-safe: configure it on one thread, then build. */
    public static final class Builder {
        private UrlPolicy policy = UrlPolicy.defaults();
        private Resolver resolver = Resolver.SYSTEM;
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration timeout = Duration.ofSeconds(30);
        private long maxBytes = 20L << 20;
        private int maxRedirects = 3;
        private int maxConnections = 20;
        private int maxConnectionsPerHost = 4;

        private Builder() {
        }

        /**
         * Sets which URLs may be fetched.
         *
         * @param value which URLs may be fetched; default {@link UrlPolicy#defaults()}
         * @return this builder
         */
        public Builder policy(UrlPolicy value) {
            policy = Objects.requireNonNull(value, "policy");
            return this;
        }

        /**
         * Sets how host names become addresses.
         *
         * @param value how host names become addresses, both for the policy and for the connection;
         *     default {@link Resolver#SYSTEM}
         * @return this builder
         */
        public Builder resolver(Resolver value) {
            resolver = Objects.requireNonNull(value, "resolver");
            return this;
        }

        /**
         * Sets the longest wait for a connection.
         *
         * @param value the longest wait for a connection; default 5 s
         * @return this builder
         */
        public Builder connectTimeout(Duration value) {
            connectTimeout = Limits.positive(value, "connectTimeout");
            return this;
        }

        /**
         * Sets the longest time allowed.
         *
         * @param value the longest a whole fetch may take, redirects included; default 30 s
         * @return this builder
         */
        public Builder timeout(Duration value) {
            timeout = Limits.positive(value, "timeout");
            return this;
        }

        /**
         * Sets the most bytes an image may have.
         *
         * @param value the most bytes an image may have; default 20 MiB
         * @return this builder
         */
        public Builder maxBytes(long value) {
            if (value < 1 || value > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("maxBytes must be 1 to " + (Integer.MAX_VALUE - 8) + ", got " + value);
            }
            maxBytes = value;
            return this;
        }

        /**
         * Sets the most redirects followed.
         *
         * @param value the most redirects followed, 0 to 20; default 3
         * @return this builder
         */
        public Builder maxRedirects(int value) {
            if (value < 0 || value > 20) {
                throw new IllegalArgumentException("maxRedirects must be 0 to 20, got " + value);
            }
            maxRedirects = value;
            return this;
        }

        /**
         * Sets the most connections open at once.
         *
         * @param value the most connections open at once, in use or idle in the pool, 1 to 1,000; default 20.
         *     A fetch waits for a free one within its timeout.
         * @return this builder
         */
        public Builder maxConnections(int value) {
            if (value < 1 || value > 1000) {
                throw new IllegalArgumentException("maxConnections must be 1 to 1000, got " + value);
            }
            maxConnections = value;
            return this;
        }

        /**
         * Sets the most connections open at once to one host.
         *
         * @param value the most connections open at once to one host, port and address, 1 to 1,000;
         *     default 4 (a server's default I/O threads)
         * @return this builder
         */
        public Builder maxConnectionsPerHost(int value) {
            if (value < 1 || value > 1000) {
                throw new IllegalArgumentException("maxConnectionsPerHost must be 1 to 1000, got " + value);
            }
            maxConnectionsPerHost = value;
            return this;
        }

        /** {@return the fetcher} */
        public UrlFetcher build() {
            return new UrlFetcher(this);
        }
    }
}

package io.omoib.vton.source;

import io.omoib.vton.internal.Limits;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Fetches images from http(s) URLs within limits, under a {@link UrlPolicy}: a connect timeout
 * (default 5 s), a total timeout for the whole fetch, redirects included (30 s), a size limit
 * (20 MiB, checked against {@code Content-Length} and again while reading), and at most 3 redirects,
 * each checked against the policy again. Uses {@link HttpClient} over HTTP/1.1 with no proxy.
 *
 * <p>The policy judges every address the host resolves to, through the {@link Resolver}. With the
 * default resolver ({@link InetAddress#getAllByName}) the JVM caches the answer (30 s unless
 * {@code networkaddress.cache.ttl} says otherwise) and the client's own lookup a moment later reads
 * that cache, so the address connected to is one that was judged; a deployment that sets the cache
 * time to 0 reopens the window for DNS rebinding.
 *
 * <p>Immutable and thread-safe; build with {@link #builder()} and share one instance.
 */
public final class UrlFetcher {
    /** Resolves a host name to its addresses; tests substitute their own DNS. */
    @FunctionalInterface
    public interface Resolver {
        /** Resolves with the JVM's resolver and its cache. */
        Resolver SYSTEM = InetAddress::getAllByName;

        /**
         * @param host a host name or IP literal
         * @return its addresses, at least one
         * @throws UnknownHostException if it has none
         */
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    private final UrlPolicy policy;
    private final Resolver resolver;
    private final Duration connectTimeout;
    private final Duration timeout;
    private final long maxBytes;
    private final int maxRedirects;
    private final HttpClient client;

    private UrlFetcher(Builder b) {
        this.policy = b.policy;
        this.resolver = b.resolver;
        this.connectTimeout = b.connectTimeout;
        this.timeout = b.timeout;
        this.maxBytes = b.maxBytes;
        this.maxRedirects = b.maxRedirects;
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .proxy(HttpClient.Builder.NO_PROXY)
                .connectTimeout(connectTimeout)
                .build();
    }

    /** @return a builder with the defaults above and {@link UrlPolicy#defaults()} */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the policy URLs are judged by */
    public UrlPolicy policy() {
        return policy;
    }

    /** @return the most bytes one image may have */
    public long maxBytes() {
        return maxBytes;
    }

    /**
     * @param url an http(s) URL
     * @return a source fetching the URL each time it is read; named by the URL without its query
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
     *     {@code TIMEOUT}, or {@code UNAVAILABLE} for DNS and connection failures
     * @throws InterruptedIOException if the thread is interrupted
     */
    public byte[] fetch(URI url) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        URI current = url;
        for (int redirects = 0; ; redirects++) {
            check(current);
            HttpResponse<byte[]> response = send(current, deadline);
            int status = response.statusCode();
            if (status >= 200 && status < 300) {
                return response.body();
            }
            if (isRedirect(status)) {
                String location = response.headers().firstValue("location").orElse(null);
                if (location == null) {
                    throw new ImageSourceException(ImageSourceException.Kind.NOT_FOUND, current,
                            "answered HTTP " + status + " with no Location header");
                }
                if (redirects == maxRedirects) {
                    throw new ImageSourceException(ImageSourceException.Kind.NOT_FOUND, url,
                            "redirected more than " + maxRedirects + " times");
                }
                try {
                    current = current.resolve(location.strip());
                } catch (IllegalArgumentException e) {
                    throw new ImageSourceException(ImageSourceException.Kind.NOT_FOUND, current,
                            "answered HTTP " + status + " with a malformed Location header");
                }
                continue;
            }
            throw new ImageSourceException(ImageSourceException.Kind.NOT_FOUND, current,
                    "answered HTTP " + status + "; check that the URL exists and has not expired");
        }
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    private void check(URI url) throws ImageSourceException {
        policy.checkUrl(url);
        String host = url.getHost();
        if (policy.allowsHost(host)) {
            return;
        }
        InetAddress[] addresses;
        try {
            addresses = resolver.resolve(host.startsWith("[") ? host.substring(1, host.length() - 1) : host);
        } catch (UnknownHostException e) {
            throw new ImageSourceException(ImageSourceException.Kind.UNAVAILABLE, ImageSourceException.redact(url),
                    "cannot resolve host '" + host + "'", e);
        }
        for (InetAddress address : addresses) {
            String refusal = policy.refusal(address);
            if (refusal != null) {
                throw new ImageSourceException(ImageSourceException.Kind.REFUSED, url,
                        "refused by the URL policy: " + refusal + "; allow it explicitly (VTON_URL_ALLOW) if it is trusted");
            }
        }
    }

    private HttpResponse<byte[]> send(URI url, long deadline) throws IOException {
        long remaining = deadline - System.nanoTime();
        if (remaining <= 0) {
            throw timedOut(url, null);
        }
        HttpRequest request;
        try {
            request = HttpRequest.newBuilder(url)
                    .GET()
                    .timeout(Duration.ofNanos(remaining))
                    .header("Accept", "image/*")
                    .header("User-Agent", "omoib-vton")
                    .build();
        } catch (IllegalArgumentException e) {
            throw new ImageSourceException(ImageSourceException.Kind.REFUSED, url, "is not a valid http(s) URL");
        }
        String name = ImageSourceException.redact(url);
        CompletableFuture<HttpResponse<byte[]>> pending =
                client.sendAsync(request, info -> new LimitedBody(name, maxBytes, info));
        try {
            return pending.get(remaining, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            pending.cancel(true);
            throw timedOut(url, e);
        } catch (InterruptedException e) {
            pending.cancel(true);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while fetching " + name);
        } catch (ExecutionException e) {
            throw failure(url, e.getCause());
        }
    }

    private IOException failure(URI url, Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof ImageSourceException source) {
                return source;
            }
            if (t instanceof HttpConnectTimeoutException) {
                return new ImageSourceException(ImageSourceException.Kind.TIMEOUT, ImageSourceException.redact(url),
                        "no connection within " + connectTimeout.toMillis() + " ms", t);
            }
            if (t instanceof HttpTimeoutException) {
                return timedOut(url, t);
            }
        }
        String what = cause instanceof ConnectException ? "connection refused or unreachable"
                : "fetch failed: " + cause;
        return new ImageSourceException(ImageSourceException.Kind.UNAVAILABLE, ImageSourceException.redact(url),
                what, cause);
    }

    private ImageSourceException timedOut(URI url, Throwable cause) {
        return new ImageSourceException(ImageSourceException.Kind.TIMEOUT, ImageSourceException.redact(url),
                "not fetched within " + timeout.toMillis() + " ms", cause);
    }

    /** Collects a 2xx body up to the limit, discards any other body. */
    private static final class LimitedBody implements HttpResponse.BodySubscriber<byte[]> {
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final String name;
        private final long maxBytes;
        private final boolean keep;
        private final boolean declaredTooLarge;
        private Flow.Subscription subscription;

        LimitedBody(String name, long maxBytes, HttpResponse.ResponseInfo info) {
            this.name = name;
            this.maxBytes = maxBytes;
            this.keep = info.statusCode() >= 200 && info.statusCode() < 300;
            OptionalLong declared = info.headers().firstValueAsLong("content-length");
            this.declaredTooLarge = keep && declared.isPresent() && declared.getAsLong() > maxBytes;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            if (declaredTooLarge) {
                s.cancel();
                result.completeExceptionally(ImageSourceException.tooLarge(name, maxBytes));
            } else {
                s.request(Long.MAX_VALUE);
            }
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            if (result.isDone()) {
                return;
            }
            for (ByteBuffer buffer : buffers) {
                if (!keep) {
                    continue;
                }
                if (out.size() + (long) buffer.remaining() > maxBytes) {
                    subscription.cancel();
                    result.completeExceptionally(ImageSourceException.tooLarge(name, maxBytes));
                    return;
                }
                byte[] chunk = new byte[buffer.remaining()];
                buffer.get(chunk);
                out.write(chunk, 0, chunk.length);
            }
        }

        @Override
        public void onError(Throwable error) {
            result.completeExceptionally(error);
        }

        @Override
        public void onComplete() {
            result.complete(keep ? out.toByteArray() : new byte[0]);
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return result;
        }
    }

    /** Builds a {@link UrlFetcher}. */
    public static final class Builder {
        private UrlPolicy policy = UrlPolicy.defaults();
        private Resolver resolver = Resolver.SYSTEM;
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration timeout = Duration.ofSeconds(30);
        private long maxBytes = 20L << 20;
        private int maxRedirects = 3;

        private Builder() {
        }

        /** @param value which URLs may be fetched; default {@link UrlPolicy#defaults()} */
        public Builder policy(UrlPolicy value) {
            policy = Objects.requireNonNull(value, "policy");
            return this;
        }

        /** @param value how host names become addresses for the policy; default {@link Resolver#SYSTEM} */
        public Builder resolver(Resolver value) {
            resolver = Objects.requireNonNull(value, "resolver");
            return this;
        }

        /** @param value the longest wait for a connection; default 5 s */
        public Builder connectTimeout(Duration value) {
            connectTimeout = Limits.positive(value, "connectTimeout");
            return this;
        }

        /** @param value the longest a whole fetch may take, redirects included; default 30 s */
        public Builder timeout(Duration value) {
            timeout = Limits.positive(value, "timeout");
            return this;
        }

        /** @param value the most bytes an image may have; default 20 MiB */
        public Builder maxBytes(long value) {
            if (value < 1 || value > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("maxBytes must be 1 to " + (Integer.MAX_VALUE - 8) + ", got " + value);
            }
            maxBytes = value;
            return this;
        }

        /** @param value the most redirects followed, 0 to 20; default 3 */
        public Builder maxRedirects(int value) {
            if (value < 0 || value > 20) {
                throw new IllegalArgumentException("maxRedirects must be 0 to 20, got " + value);
            }
            maxRedirects = value;
            return this;
        }

        /** @return the fetcher */
        public UrlFetcher build() {
            return new UrlFetcher(this);
        }
    }
}

package io.omoib.vton.examples;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AttributeKey;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request on a connection and its answer: the state the server's handlers share about it, and the
 * one place that writes the answer and decides whether the connection stays open after it. Touched
 * only on the connection's event loop. {@link Pipelining} creates one per request and keeps the current
 * one in the channel's {@link #CURRENT} attribute; when the request has been answered and read to its
 * end, {@link #FINISHED} goes through the pipeline.
 */
final class Exchange {
    /** The exchange being read or answered on a channel; {@code null} between requests. */
    static final AttributeKey<Exchange> CURRENT = AttributeKey.valueOf(Exchange.class, "current");
    /** The user event fired when the current exchange is over and the connection stays open for the next. */
    static final Object FINISHED = new Object() {
        @Override
        public String toString() {
            return "exchange finished";
        }
    };
    /** How much of a refused body is read and dropped before closing, so that the client sees the answer. */
    static final long DRAIN_LIMIT = 16L << 20;

    private static final Logger LOG = LoggerFactory.getLogger(InferenceServer.class);
    private static final SecureRandom IDS = new SecureRandom();

    private final Channel channel;
    private final HttpRequest request;
    private final String id = newId();
    private final String path;
    private final String attributes;
    private final BooleanSupplier stopping;
    private boolean ended;
    private boolean decided;
    private boolean written;
    private boolean closeAfter;
    private boolean continued;
    private long discarded;

    /**
     * Creates the exchange of one request on a connection.
     *
     * @param channel the connection
     * @param request the request's head
     * @param stopping whether the server is shutting down: answers then close their connection
     */
    Exchange(Channel channel, HttpRequest request, BooleanSupplier stopping) {
        this.channel = channel;
        this.request = request;
        this.path = InferenceServer.rawPath(request.uri());
        this.attributes = request.headers().get(InferenceServer.CUSTOM_ATTRIBUTES);
        this.stopping = stopping;
    }

    /** {@return the exchange current on a channel, or {@code null} between requests} */
    static Exchange current(Channel channel) {
        return channel.attr(CURRENT).get();
    }

    /** {@return the request's head} */
    HttpRequest request() {
        return request;
    }

    /** {@return the id the answer and the log carry ({@code X-Request-Id})} */
    String id() {
        return id;
    }

    /** {@return the request target up to its query, as sent} */
    String path() {
        return path;
    }

    /** {@return whether the request's last byte has arrived} */
    boolean ended() {
        return ended;
    }

    /** {@return whether an answer has been chosen (it may not be written yet)} */
    boolean decided() {
        return decided;
    }

    /** Marks the answer as chosen elsewhere (an invocation on its way to a handler thread). */
    void decide() {
        decided = true;
    }

    /** {@return whether the connection closes once this exchange is over (a refused body is being drained)} */
    boolean closesAfter() {
        return closeAfter;
    }

    /** Records that the client was told {@code 100 Continue}: its body is on its way. */
    void continued() {
        continued = true;
    }

    /**
     * Drops {@code n} bytes of a body that is answered already, up to {@link #DRAIN_LIMIT}.
     *
     * @return false once past the limit: the connection closes as soon as the answer is written
     */
    boolean drain(int n) {
        discarded += n;
        if (discarded <= DRAIN_LIMIT) {
            return true;
        }
        closeAfter = true;
        if (written) {
            channel.close();
        }
        return false;
    }

    /** The body could not be framed: nothing after it can be read, so the connection closes after the answer. */
    void unframed() {
        ended = true;
        closeAfter = true;
        if (decided && written) {
            channel.close();
        }
    }

    /** The request's last byte arrived; if it is answered already, the exchange is over. */
    void end() {
        ended = true;
        if (decided && written) {
            finish();
        }
    }

    /**
     * Writes the answer, once. When the request's body has not all arrived, the connection closes after the
     * answer (the rest is drained up to a bound, so the client sees it).
     *
     * @param reply the answer
     * @param close whether the connection closes after it whatever the request asked
     */
    void reply(Reply reply, boolean close) {
        if (written) {
            return; // a second answer
        }
        decided = true;
        if (reply.status() >= 400 && !path.equals("/ping")) {
            LOG.info("{} request {} {} {}: {}", reply.status(), id, InferenceServer.escape(request.method().name()),
                    InferenceServer.escape(path), InferenceServer.escape(new String(reply.body(), StandardCharsets.UTF_8)));
        }
        // a client waiting for 100 Continue sends no body: the decoder would wait for it, so close
        boolean awaitsContinue = !ended && !continued && HttpUtil.is100ContinueExpected(request);
        // a long, chunked or unreadably framed body still on its way: drain up to a bound, then close
        long declared = InferenceServer.declaredLength(request);
        boolean bodyPending = !ended && !awaitsContinue && (HttpUtil.isTransferEncodingChunked(request)
                || declared < 0 || declared > DRAIN_LIMIT);
        closeAfter |= bodyPending;
        boolean keepAlive = !close && !awaitsContinue && !closeAfter && HttpUtil.isKeepAlive(request)
                && !stopping.getAsBoolean();
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(reply.status()), Unpooled.wrappedBuffer(reply.body()));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, reply.contentType())
                .setInt(HttpHeaderNames.CONTENT_LENGTH, reply.body().length)
                .set(InferenceServer.REQUEST_ID, id);
        if (attributes != null && attributes.length() <= 1024) {
            response.headers().set(InferenceServer.CUSTOM_ATTRIBUTES, attributes);
        }
        if (reply.retryAfter() != null) {
            response.headers().set(HttpHeaderNames.RETRY_AFTER, reply.retryAfter());
        }
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        boolean closing = close || !keepAlive && !closeAfter;
        channel.writeAndFlush(response).addListener((ChannelFutureListener) f -> {
            written = true;
            if (!f.isSuccess() || closing || closeAfter && (ended || discarded > DRAIN_LIMIT)) {
                f.channel().close();
            } else if (ended) {
                finish();
            }
        });
    }

    /** Answered and read to its end: the connection closes, or waits for its next request. */
    private void finish() {
        if (closeAfter || !HttpUtil.isKeepAlive(request) || stopping.getAsBoolean()) {
            channel.close();
            return;
        }
        channel.pipeline().fireUserEventTriggered(FINISHED);
    }

    private static String newId() {
        byte[] id = new byte[8];
        IDS.nextBytes(id);
        return HexFormat.of().formatHex(id);
    }
}

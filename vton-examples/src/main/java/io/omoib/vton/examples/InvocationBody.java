package io.omoib.vton.examples;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Collects the body of {@code POST /invocations}: refused with 415 for a wrong content type and with 413
 * as soon as it passes the limit; held in a buffer that grows as its bytes arrive (from
 * {@value #FIRST_BUFFER} bytes, doubling, never past what the request declared), every byte reserved
 * from the {@link BodyBudget} first (503 past it); {@code Expect: 100-continue} answered only once the
 * declared body is reserved. A complete body goes on as an {@link Invocation}. The body of a request
 * answered already is dropped, up to a bound. One per connection.
 */
final class InvocationBody extends ChannelInboundHandlerAdapter {
    /** A body's first buffer, in bytes. */
    static final int FIRST_BUFFER = 1024;

    private final long maxBytes;
    private final BodyBudget budget;
    private final AtomicInteger badRequests;
    /** The body so far: {@code received} bytes at its start; null until the first byte. */
    private byte[] body;
    private long received;
    /** Bytes of the budget this connection holds: its buffer, or the body a 100 Continue promised. */
    private long reserved;

    /**
     * Creates the body reader of one connection.
     *
     * @param maxBytes the largest body
     * @param budget what all connections' bodies share
     * @param badRequests counts requests refused as malformed or too large
     */
    InvocationBody(long maxBytes, BodyBudget budget, AtomicInteger badRequests) {
        this.maxBytes = maxBytes;
        this.budget = budget;
        this.badRequests = badRequests;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            Exchange exchange = Exchange.current(ctx.channel());
            if (exchange == null) {
                return;
            }
            if (msg instanceof HttpRequest request && !exchange.decided()) {
                start(ctx, exchange, request);
            }
            if (msg instanceof HttpContent content) {
                content(ctx, exchange, content);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == Exchange.FINISHED) {
            release();
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        release();
        ctx.fireChannelInactive();
    }

    private void start(ChannelHandlerContext ctx, Exchange exchange, HttpRequest request) {
        String contentType = request.headers().get(HttpHeaderNames.CONTENT_TYPE);
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).strip().startsWith("application/json")) {
            exchange.reply(Reply.error(415, null, "send the request as Content-Type: application/json, not "
                    + (contentType == null ? "nothing" : contentType)), false);
            return;
        }
        long declared = InferenceServer.declaredLength(request);
        if (declared < 0) {
            badRequests.incrementAndGet();
            exchange.reply(Reply.error(400, null, Router.BAD_CONTENT_LENGTH), true);
            return;
        }
        if (declared > maxBytes) {
            tooLarge(exchange);
            return;
        }
        // nothing is allocated here: the body's buffer grows as its bytes arrive (see room)
        if (HttpUtil.is100ContinueExpected(request)) {
            // the client sends the body only when told to: tell it only once the whole body has its place
            if (!reserve(HttpUtil.isTransferEncodingChunked(request) ? maxBytes : declared)) {
                exchange.reply(busy(), false);
                return;
            }
            exchange.continued();
            // a full (empty) response: the encoder then takes the final answer as the next message
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
                    Unpooled.EMPTY_BUFFER));
        }
    }

    private void content(ChannelHandlerContext ctx, Exchange exchange, HttpContent content) {
        if (content.decoderResult().isFailure() || content instanceof LastHttpContent last
                && !last.trailingHeaders().isEmpty()) {
            malformed(exchange, content.decoderResult().isFailure()
                    ? "malformed HTTP request: the chunked body is not valid chunked encoding (each chunk size is "
                            + "a hexadecimal number below 2^31 on its own line, each chunk ends with CRLF)"
                    : "malformed HTTP request: trailer fields after the last chunk are not accepted; send none");
            return;
        }
        ByteBuf bytes = content.content();
        int n = bytes.readableBytes();
        if (exchange.decided()) {
            if (!exchange.drain(n)) {
                return; // answered already, and past the bound of what is dropped
            }
        } else if (n > 0) {
            if (received + n > maxBytes) {
                tooLarge(exchange);
            } else if (!room(exchange.request(), n)) {
                release();
                exchange.reply(busy(), false);
            } else {
                bytes.readBytes(body, (int) received, n);
                received += n;
            }
        }
        if (content instanceof LastHttpContent) {
            boolean answered = exchange.decided();
            exchange.end();
            if (!answered) {
                exchange.decide();
                Invocation invocation = new Invocation(exchange, body == null ? new byte[0] : body, (int) received,
                        reserved);
                body = null;
                received = 0;
                reserved = 0;
                ctx.fireChannelRead(invocation);
            }
        }
    }

    /**
     * A body whose framing the decoder could not read, or that hides data in trailer fields (what a
     * smuggled request would leave behind): 400, and the connection closes, since nothing after it can be
     * told apart from the body.
     */
    private void malformed(Exchange exchange, String message) {
        boolean answered = exchange.decided();
        exchange.unframed();
        release();
        if (!answered) {
            badRequests.incrementAndGet();
            exchange.reply(Reply.error(400, null, message), true);
        }
    }

    /** The 503 for a body the shared budget has no room for. */
    private static Reply busy() {
        return Reply.error(503, null, "the server is receiving too many large requests; retry").retryAfter("1");
    }

    private void tooLarge(Exchange exchange) {
        badRequests.incrementAndGet();
        release();
        exchange.reply(Reply.error(413, null, "the body is larger than " + maxBytes
                + " bytes; send image URLs instead of base64"), false);
    }

    private boolean reserve(long bytes) {
        if (!budget.reserve(bytes)) {
            return false;
        }
        reserved += bytes;
        return true;
    }

    /**
     * Makes room for {@code n} more body bytes: the buffer doubles, never past the declared length, and
     * what it allocates is reserved before it is allocated.
     *
     * @return false, with nothing changed, when the budget has no room
     */
    private boolean room(HttpRequest request, int n) {
        long needed = received + n;
        int capacity = body == null ? 0 : body.length;
        if (needed <= capacity) {
            return true;
        }
        long declared = HttpUtil.isTransferEncodingChunked(request) ? 0 : InferenceServer.declaredLength(request);
        long grown = Math.min(Math.max(FIRST_BUFFER, 2L * capacity), declared > 0 ? declared : maxBytes);
        grown = Math.max(needed, grown);
        if (grown > reserved && !reserve(grown - reserved)) {
            return false;
        }
        body = body == null ? new byte[(int) grown] : Arrays.copyOf(body, (int) grown);
        return true;
    }

    private void release() {
        body = null;
        received = 0;
        if (reserved > 0) {
            budget.release(reserved);
            reserved = 0;
        }
    }

    /**
     * A complete invocation body, handed to {@link InvocationHandler}.
     *
     * @param exchange the request it came with
     * @param body the body in its first {@code length} bytes (a chunked body's buffer may be longer)
     * @param length the body's length
     * @param held bytes of the budget the buffer holds, to give back once it is parsed
     */
    record Invocation(Exchange exchange, byte[] body, int length, long held) {
    }
}

package io.omoib.vton.examples;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Answers what a request head alone decides: a head the decoder could not read (431, 414, 400), the
 * {@code GET} endpoints ({@code /ping}, {@code /metrics} ...: answered on the event loop as soon as the
 * head arrives), wrong methods (405) and unknown paths (404). Everything else goes on, bodies included,
 * to {@link InvocationBody}. Shared by all connections.
 */
@ChannelHandler.Sharable
final class Router extends ChannelInboundHandlerAdapter {
    /** The path of the try-on endpoint. */
    static final String INVOCATIONS = "/invocations";
    /** The answer to a {@code Content-Length} that is not one plain decimal number. */
    static final String BAD_CONTENT_LENGTH = "malformed HTTP request: Content-Length must be one decimal number of "
            + "bytes, such as 1024 (not a list, a sign, or more than 19 digits)";

    private final Map<String, Supplier<Reply>> gets;
    private final boolean invocations;

    /**
     * Creates a router over the given endpoints.
     *
     * @param gets the {@code GET} (and {@code HEAD}) endpoints by path, each giving its answer
     * @param invocations whether {@code POST /invocations} is served; a queue worker answers it with 404
     */
    Router(Map<String, Supplier<Reply>> gets, boolean invocations) {
        this.gets = Map.copyOf(gets);
        this.invocations = invocations;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Exchange exchange = Exchange.current(ctx.channel());
        if (exchange == null) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpRequest request) {
            route(exchange, request);
        }
        ctx.fireChannelRead(msg);
    }

    private void route(Exchange exchange, HttpRequest request) {
        if (request.decoderResult().isFailure()) {
            Throwable cause = request.decoderResult().cause();
            int status = cause instanceof TooLongFrameException
                    ? (String.valueOf(cause.getMessage()).contains("header") ? 431 : 414) : 400;
            exchange.reply(Reply.error(status, null, status == 431 ? "the request headers are larger than 8 KB"
                    : status == 414 ? "the request line is longer than 4 KB"
                    : request.headers().getAll(HttpHeaderNames.CONTENT_LENGTH).size() > 1
                            || InferenceServer.declaredLength(request) < 0
                    ? BAD_CONTENT_LENGTH : "malformed HTTP request"), true);
            return;
        }
        String path = exchange.path();
        Supplier<Reply> get = gets.get(path);
        if (get != null) {
            HttpMethod method = request.method();
            exchange.reply(method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD) ? get.get()
                    : Reply.error(405, null, "use GET " + path), false);
        } else if (path.equals(INVOCATIONS)) {
            if (!invocations) {
                exchange.reply(Reply.error(404, null, "this process is a queue worker: send requests to its SQS queue"),
                        false);
            } else if (!request.method().equals(HttpMethod.POST)) {
                exchange.reply(Reply.error(405, null, "use POST /invocations"), false);
            }
        } else {
            exchange.reply(Reply.error(404, null, "no such endpoint; use GET /ping or POST /invocations"), false);
        }
    }
}

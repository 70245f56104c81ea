package io.omoib.vton.examples;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.function.BooleanSupplier;

/**
 * Answers the requests of a connection one at a time, in order: each request head starts an
 * {@link Exchange}; while one is being answered, what arrives for the next waits here and reading
 * pauses, until {@link Exchange#FINISHED}. One per connection.
 */
final class Pipelining extends ChannelInboundHandlerAdapter {
    private final ArrayDeque<Object> backlog = new ArrayDeque<>();
    private final BooleanSupplier stopping;
    private ChannelHandlerContext ctx;

    /**
     * Creates the pipelining handler of one connection.
     *
     * @param stopping whether the server is shutting down, for the exchanges
     */
    Pipelining(BooleanSupplier stopping) {
        this.stopping = stopping;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext context) {
        ctx = context;
    }

    @Override
    public void channelRead(ChannelHandlerContext context, Object msg) {
        if (!context.channel().isActive()) {
            ReferenceCountUtil.release(msg); // what the decoder makes of a closed connection's leftovers
            return;
        }
        if (!backlog.isEmpty() || msg instanceof HttpRequest && Exchange.current(context.channel()) != null) {
            backlog.add(msg);
            context.channel().config().setAutoRead(false);
            return;
        }
        process(msg);
    }

    private void process(Object msg) {
        if (msg instanceof HttpRequest request) {
            ctx.channel().attr(Exchange.CURRENT).set(new Exchange(ctx.channel(), request, stopping));
        } else if (Exchange.current(ctx.channel()) == null) {
            ReferenceCountUtil.release(msg);
            return;
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext context, Object evt) {
        if (evt == Exchange.FINISHED) {
            context.channel().attr(Exchange.CURRENT).set(null);
            context.fireUserEventTriggered(evt);
            while (!backlog.isEmpty()
                    && !(Exchange.current(context.channel()) != null && backlog.peek() instanceof HttpRequest)) {
                process(backlog.poll());
            }
            if (backlog.isEmpty()) {
                context.channel().config().setAutoRead(true);
                context.read();
            }
            return;
        }
        context.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext context) {
        for (Object o; (o = backlog.poll()) != null; ) {
            ReferenceCountUtil.release(o);
        }
        context.fireChannelInactive();
    }
}

package io.omoib.vton.examples;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.group.ChannelGroup;
import io.netty.util.AttributeKey;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Keeps at most {@code max} connections open: one more is closed as soon as it is accepted, before
 * anything is read from it. The connections let in join a group, which shutdown closes. Shared by all
 * connections.
 */
@ChannelHandler.Sharable
final class ConnectionGate extends ChannelInboundHandlerAdapter {
    private static final AttributeKey<Boolean> COUNTED = AttributeKey.valueOf(ConnectionGate.class, "counted");

    private final int max;
    private final AtomicInteger open;
    private final AtomicInteger refused;
    private final ChannelGroup admitted;

    /**
     * Creates a gate that admits at most {@code max} connections at once.
     *
     * @param max connections open at once
     * @param open the count of open connections (refused ones included until they are closed)
     * @param refused counts the connections closed for being over {@code max}
     * @param admitted where the connections let in are kept
     */
    ConnectionGate(int max, AtomicInteger open, AtomicInteger refused, ChannelGroup admitted) {
        this.max = max;
        this.open = open;
        this.refused = refused;
        this.admitted = admitted;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.channel().attr(COUNTED).set(Boolean.TRUE);
        if (open.incrementAndGet() > max) {
            refused.incrementAndGet();
            ctx.close();
            return;
        }
        admitted.add(ctx.channel());
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (ctx.channel().attr(COUNTED).getAndSet(null) != null) {
            open.decrementAndGet();
        }
        ctx.fireChannelInactive();
    }
}

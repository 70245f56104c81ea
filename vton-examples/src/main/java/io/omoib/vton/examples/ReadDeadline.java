package io.omoib.vton.examples;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives a connection {@code timeout} to send one complete request, counted from when it connects or its
 * previous exchange finished; a slower one is closed (what trickling slowloris clients get). A request
 * whose last byte has arrived is not timed while it is answered; a refused body is timed until its last
 * byte. One per connection, between the HTTP decoder and {@link Pipelining}: it sees every request as it
 * arrives, including those that wait behind the current one.
 */
final class ReadDeadline extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(InferenceServer.class);

    private final long timeoutNanos;
    private final AtomicInteger closed;
    private ScheduledFuture<?> deadline;

    /**
     * Creates a deadline for each request on a connection to arrive.
     *
     * @param timeoutNanos how long one request may take to arrive
     * @param closed counts the connections closed for being too slow
     */
    ReadDeadline(long timeoutNanos, AtomicInteger closed) {
        this.timeoutNanos = timeoutNanos;
        this.closed = closed;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            arm(ctx); // added to a connection already open: its clock starts now
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (deadline == null) {
            arm(ctx); // not armed yet by handlerAdded
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof LastHttpContent) {
            // a complete request arrived (maybe one waiting behind the current one): the timer stops until
            // the current exchange finishes; should it still run out, it spares an exchange whose request ended
            disarm();
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == Exchange.FINISHED) {
            arm(ctx);
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        disarm();
        ctx.fireChannelInactive();
    }

    private void arm(ChannelHandlerContext ctx) {
        disarm();
        deadline = ctx.executor().schedule(() -> {
            Exchange current = Exchange.current(ctx.channel());
            if (current == null || !current.ended() || current.closesAfter()) {
                closed.incrementAndGet();
                LOG.debug("closing a connection that sent no complete request within {} ms",
                        TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
                ctx.close();
            }
        }, timeoutNanos, TimeUnit.NANOSECONDS);
    }

    private void disarm() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }
}

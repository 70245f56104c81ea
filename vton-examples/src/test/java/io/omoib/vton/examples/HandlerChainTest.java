package io.omoib.vton.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The server's handlers one concern at a time, on an {@link EmbeddedChannel}: bytes in, bytes out, the
 * clock advanced by hand, no sockets and no threads.
 */
class HandlerChainTest {
    private final AtomicInteger badRequests = new AtomicInteger();
    private final AtomicInteger slow = new AtomicInteger();
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final BodyBudget budget = new BodyBudget(4096);
    private final List<InvocationBody.Invocation> invocations = new ArrayList<>();

    /** HTTP codec, deadline, pipelining, router and body collector; invocations are kept, not run. */
    private EmbeddedChannel chain(long maxBody) {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.freezeTime();
        channel.pipeline().addLast(new HttpServerCodec(), new ReadDeadline(TimeUnit.SECONDS.toNanos(30), slow),
                new Pipelining(stopping::get),
                new Router(Map.of("/ping", () -> Reply.json(200, "{\"status\":\"healthy\"}")), true),
                new InvocationBody(maxBody, budget, badRequests), new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        invocations.add((InvocationBody.Invocation) msg);
                    }
                });
        return channel;
    }

    /** {@return a {@code POST /invocations} head with a JSON content type, followed by {@code rest}} */
    private static String jsonPost(String rest) {
        return "POST /invocations HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n" + rest;
    }

    private static void send(EmbeddedChannel channel, String text) {
        channel.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1));
    }

    /** @return everything the channel wrote, as text */
    private static String written(EmbeddedChannel channel) {
        StringBuilder out = new StringBuilder();
        for (ByteBuf b; (b = channel.readOutbound()) != null; b.release()) {
            out.append(b.toString(StandardCharsets.ISO_8859_1));
        }
        return out.toString();
    }

    @Test
    void theGateClosesConnectionsPastTheLimitAndCountsThem() {
        AtomicInteger open = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        DefaultChannelGroup group = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
        ConnectionGate gate = new ConnectionGate(1, open, refused, group);

        EmbeddedChannel first = new EmbeddedChannel(gate);
        EmbeddedChannel second = new EmbeddedChannel(gate);

        assertThat(first.isOpen()).isTrue();
        assertThat(second.isOpen()).isFalse();
        assertThat(refused).hasValue(1);
        assertThat(group.contains(first)).isTrue();
        assertThat(group.size()).isEqualTo(1);
        first.close();
        assertThat(open).hasValue(0);
    }

    @Test
    void theRouterAnswersGetEndpointsWrongMethodsAndUnknownPaths() {
        EmbeddedChannel channel = chain(1024);

        send(channel, "GET /ping HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(written(channel)).startsWith("HTTP/1.1 200 OK").contains("healthy").contains("X-Request-Id");
        send(channel, "DELETE /ping HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(written(channel)).startsWith("HTTP/1.1 405").contains("use GET /ping");
        send(channel, "GET /invocations HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(written(channel)).startsWith("HTTP/1.1 405").contains("use POST /invocations");
        send(channel, "GET /admin HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(written(channel)).startsWith("HTTP/1.1 404");
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderOneAtATime() {
        EmbeddedChannel channel = chain(1024);

        send(channel, "GET /nope HTTP/1.1\r\nHost: a\r\n\r\nGET /ping HTTP/1.1\r\nHost: a\r\n\r\n");

        String out = written(channel);
        assertThat(out.indexOf("HTTP/1.1 404")).isZero();
        assertThat(out.indexOf("HTTP/1.1 200")).isGreaterThan(0);
        assertThat(channel.config().isAutoRead()).isTrue();
    }

    @Test
    void aCompleteBodyGoesOnAsOneInvocationHoldingItsBytesInTheBudget() {
        EmbeddedChannel channel = chain(1024);

        send(channel, jsonPost("Content-Length: 7\r\n\r\n{\"a\":"));
        assertThat(invocations).isEmpty();
        assertThat(budget.reserved()).isPositive();
        send(channel, "1}");

        assertThat(invocations).hasSize(1);
        InvocationBody.Invocation invocation = invocations.get(0);
        assertThat(new String(invocation.body(), 0, invocation.length(), StandardCharsets.UTF_8)).isEqualTo("{\"a\":1}");
        assertThat(invocation.held()).isEqualTo(budget.reserved());
        assertThat(invocation.exchange().decided()).isTrue();
        assertThat(written(channel)).isEmpty();
    }

    @Test
    void aBodyDeclaredTooLargeIsRefusedBeforeItsBytesAndNothingIsReserved() {
        EmbeddedChannel channel = chain(1024);

        send(channel, jsonPost("Content-Length: 5000\r\n\r\n"));

        assertThat(written(channel)).startsWith("HTTP/1.1 413").contains("larger than 1024 bytes");
        assertThat(badRequests).hasValue(1);
        assertThat(budget.reserved()).isZero();
    }

    @Test
    void continueIsSentOnlyOnceTheWholeBodyHasItsPlace() {
        EmbeddedChannel channel = chain(4096);
        budget.reserve(4000); // another connection's body

        send(channel, jsonPost("Expect: 100-continue\r\nContent-Length: 200\r\n\r\n"));

        String out = written(channel);
        assertThat(out).doesNotContain("100 Continue").startsWith("HTTP/1.1 503").contains("retry-after: 1");
        budget.release(4000);
        EmbeddedChannel next = chain(4096);
        send(next, jsonPost("Expect: 100-continue\r\nContent-Length: 200\r\n\r\n"));
        assertThat(written(next)).startsWith("HTTP/1.1 100 Continue");
        assertThat(budget.reserved()).isEqualTo(200);
        next.close();
        assertThat(budget.reserved()).as("a closed connection gives its reservation back").isZero();
    }

    @Test
    void aWrongContentTypeIs415() {
        EmbeddedChannel channel = chain(1024);

        send(channel, "POST /invocations HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi");

        assertThat(written(channel)).startsWith("HTTP/1.1 415").contains("application/json");
    }

    @Test
    void aConnectionThatSendsNoCompleteRequestInTimeIsClosed() {
        EmbeddedChannel channel = chain(1024);

        send(channel, "GET /ping HTTP/1.1\r\nHost: a\r\n"); // the headers never end
        channel.advanceTimeBy(29, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.isOpen()).isTrue();
        channel.advanceTimeBy(2, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();

        assertThat(channel.isOpen()).isFalse();
        assertThat(slow).hasValue(1);
    }

    @Test
    void aCompleteRequestBeingAnsweredIsNotTimed() {
        EmbeddedChannel channel = chain(1024);

        send(channel, jsonPost("Content-Length: 2\r\n\r\n{}"));
        channel.advanceTimeBy(5, TimeUnit.MINUTES);
        channel.runScheduledPendingTasks();

        assertThat(channel.isOpen()).isTrue();
        assertThat(invocations).hasSize(1);
        invocations.get(0).exchange().reply(Reply.json(200, "{}"), false);
        assertThat(written(channel)).startsWith("HTTP/1.1 200");
        channel.advanceTimeBy(31, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.isOpen()).as("idle after its answer: the next request's clock ran out").isFalse();
    }

    @Test
    void aChunkedBodyWithTrailersIs400AndTheConnectionCloses() {
        EmbeddedChannel channel = chain(1024);

        send(channel, jsonPost("Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\nX-Smuggled: 1\r\n\r\n"));

        assertThat(written(channel)).startsWith("HTTP/1.1 400").contains("trailer");
        assertThat(channel.isOpen()).isFalse();
        assertThat(invocations).isEmpty();
    }
}

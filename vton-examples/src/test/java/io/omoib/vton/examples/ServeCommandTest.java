package io.omoib.vton.examples;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import io.omoib.vton.pipeline.DtypeChoice;
import io.omoib.vton.pipeline.ModelArtifact;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code vton serve} as a command: it listens, loads the model, answers, and stops cleanly. */
class ServeCommandTest {

    /** Collects what the command prints and opens a latch when a line starts with the prefix. */
    static class Watch extends Writer {
        final StringBuilder text = new StringBuilder();
        final CountDownLatch ready = new CountDownLatch(1);

        @Override
        public synchronized void write(char[] buffer, int offset, int length) {
            text.append(buffer, offset, length);
            if (text.indexOf("\nready: ") >= 0 || text.indexOf("ready: ") == 0) {
                ready.countDown();
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    @Test
    void servesTheBundledModelUntilStopped() throws Exception {
        Watch out = new Watch();
        CommandLine cli = Vton.commandLine(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true));
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(
                () -> cli.execute("serve", "--host", "127.0.0.1", "--port", "0", "--timeout", "30"));
        assertThat(out.ready.await(60, TimeUnit.SECONDS)).as(out.text.toString()).isTrue();
        ServeCommand serve = cli.getSubcommands().get("serve").getCommand();

        HttpResponse<String> ping = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + serve.listeningPort() + "/ping")).build(), HttpResponse.BodyHandlers.ofString());
        serve.stop.countDown();

        assertThat(ping.statusCode()).isEqualTo(200);
        assertThat(exit.get(60, TimeUnit.SECONDS)).isZero();
        // --dtype auto: bfloat16 on CPUs with AMX, float32 elsewhere
        DtypeChoice dtype = DtypeChoice.auto(ModelArtifact.load(Environment.bundledModel()), Device.cpu());
        assertThat(out.text.toString()).contains("listening on http://127.0.0.1:", "warmed up: ",
                "ready: model toy-catvton (cpu-" + dtype.dtype().id() + ")", "15 steps by default", "stopped");
    }

    @Test
    void theServerWarmsUpBeforePingAnswers200() throws Exception {
        // /ping is asked from inside the write of the "warmed up" line, on the thread that then makes the server
        // ready: whatever the machine's speed, the answer shows the server's state during the warm-up's last moment
        List<Integer> pingDuringWarmUp = new ArrayList<>();
        Watch out = new Watch() {
            @Override
            public synchronized void write(char[] buffer, int offset, int length) {
                super.write(buffer, offset, length);
                String line = new String(buffer, offset, length);
                if (line.startsWith("warmed up: ")) {
                    Matcher port = Pattern.compile("listening on http://127.0.0.1:(\\d+)").matcher(text);
                    assertThat(port.find()).isTrue();
                    pingDuringWarmUp.add(ping(Integer.parseInt(port.group(1))));
                }
            }
        };
        CommandLine cli = Vton.commandLine(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true));
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(
                () -> cli.execute("serve", "--host", "127.0.0.1", "--port", "0", "--threads", "1"));
        assertThat(out.ready.await(60, TimeUnit.SECONDS)).as(out.text.toString()).isTrue();
        ServeCommand serve = cli.getSubcommands().get("serve").getCommand();
        int afterReady = ping(serve.listeningPort());
        serve.stop.countDown();

        assertThat(exit.get(60, TimeUnit.SECONDS)).isZero();
        assertThat(pingDuringWarmUp).containsExactly(503);
        assertThat(afterReady).isEqualTo(200);
        assertThat(out.text.toString()).containsPattern("warmed up: 768x1024, 384x512 in \\d+ ms, 1 thread\n");
    }

    @Test
    void noWarmUpGoesStraightToReady() throws Exception {
        Watch out = new Watch();
        CommandLine cli = Vton.commandLine(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true));
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(
                () -> cli.execute("serve", "--host", "127.0.0.1", "--port", "0", "--no-warm-up"));
        assertThat(out.ready.await(60, TimeUnit.SECONDS)).as(out.text.toString()).isTrue();
        ServeCommand serve = cli.getSubcommands().get("serve").getCommand();
        serve.stop.countDown();

        assertThat(exit.get(60, TimeUnit.SECONDS)).isZero();
        assertThat(out.text.toString()).contains("ready: model toy-catvton").doesNotContain("warmed up");
    }

    private static int ping(int port) {
        try {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/ping"))
                    .build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void numStepSetsTheDefaultStepsAndIsChecked() {
        assertThat(ServeCommand.defaults(Map.of("NUM_STEP", "30")).steps()).isEqualTo(30);
        assertThat(ServeCommand.defaults(Map.of()).steps()).isEqualTo(15);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ServeCommand.defaults(Map.of("NUM_STEP", "lots")))
                .isInstanceOf(BadInputException.class).hasMessageContaining("NUM_STEP");
    }
}

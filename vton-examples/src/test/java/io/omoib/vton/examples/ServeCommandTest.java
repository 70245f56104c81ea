package io.omoib.vton.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code vton serve} as a command: it listens, loads the model, answers, and stops cleanly. */
class ServeCommandTest {

    /** Collects what the command prints and opens a latch when a line starts with the prefix. */
    static final class Watch extends Writer {
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
        assertThat(out.text.toString()).contains("listening on http://127.0.0.1:", "ready: model toy-catvton (cpu-float32)",
                "15 steps by default", "stopped");
    }

    @Test
    void numStepSetsTheDefaultStepsAndIsChecked() {
        assertThat(ServeCommand.defaults(Map.of("NUM_STEP", "30")).steps()).isEqualTo(30);
        assertThat(ServeCommand.defaults(Map.of()).steps()).isEqualTo(15);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ServeCommand.defaults(Map.of("NUM_STEP", "lots")))
                .isInstanceOf(BadInputException.class).hasMessageContaining("NUM_STEP");
    }
}

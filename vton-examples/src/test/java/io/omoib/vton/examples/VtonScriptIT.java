package io.omoib.vton.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged jar through its two launchers, as separate processes: {@code ./vton} at the repository
 * root and the container's {@code serve} script. Runs after {@code package} (failsafe).
 */
class VtonScriptIT {
    private static final Path ROOT = Environment.bundledModel().getParent().getParent();

    @TempDir
    Path dir;

    private static List<String> lines(Process process) throws IOException {
        List<String> lines = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                lines.add(line);
            }
        }
        return lines;
    }

    @Test
    void vtonTryonWithNoArgumentsWritesATryOnOfTheSamples() throws Exception {
        Process process = new ProcessBuilder(ROOT.resolve("vton").toString(), "tryon")
                .directory(dir.toFile())
                .redirectError(dir.resolve("stderr.txt").toFile())
                .start();
        List<String> out = lines(process);

        assertThat(process.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(process.exitValue()).as(Files.readString(dir.resolve("stderr.txt"))).isZero();
        List<Path> written;
        try (Stream<Path> files = Files.walk(dir.resolve("vton_output"))) {
            written = files.filter(Files::isRegularFile).toList();
        }
        assertThat(written).hasSize(1);
        assertThat(out.get(0)).isEqualTo(written.get(0).toString());
        assertThat(written.get(0).getFileName().toString()).matches("local_overall_\\d+\\.jpg");
    }

    @Test
    void theServeScriptAnswersPingAndExitsZeroOnSigterm() throws Exception {
        ProcessBuilder builder = new ProcessBuilder(ROOT.resolve("vton-examples/docker/serve").toString(), "serve",
                "--host", "127.0.0.1")
                .directory(dir.toFile())
                .redirectError(dir.resolve("stderr.txt").toFile());
        builder.environment().put("VTON_HOME", ROOT.toString());
        builder.environment().put("VTON_JAR", ROOT.resolve("vton-examples/target/vton.jar").toString());
        builder.environment().put("SAGEMAKER_BIND_TO_PORT", "0");
        builder.environment().put("NUM_STEP", "4");
        builder.environment().remove("MALLOC_MMAP_THRESHOLD_");
        Process process = builder.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));

        Matcher listening = Pattern.compile("listening on http://127.0.0.1:(\\d+)").matcher(out.readLine());
        assertThat(listening.find()).isTrue();
        assertThat(out.readLine()).as(Files.readString(dir.resolve("stderr.txt"))).startsWith("warmed up: 768x1024, 384x512 in");
        String ready = out.readLine();
        assertThat(ready).as(Files.readString(dir.resolve("stderr.txt"))).startsWith("ready: model toy-catvton")
                .contains("4 steps by default");
        HttpResponse<String> ping = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + listening.group(1) + "/ping")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(ping.statusCode()).isEqualTo(200);
        // the script execs the JVM with a fixed malloc mmap threshold (freed libtorch tensors go back to the system)
        Path environ = Path.of("/proc", Long.toString(process.pid()), "environ");
        if (Files.isReadable(environ)) {
            assertThat(new String(Files.readAllBytes(environ), StandardCharsets.UTF_8).split("\0"))
                    .contains("MALLOC_MMAP_THRESHOLD_=1048576");
        }

        // SIGTERM, as SageMaker sends it (Process.destroy would also close our end of the output pipe)
        assertThat(new ProcessBuilder("kill", "-TERM", Long.toString(process.pid())).start().waitFor()).isZero();

        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isZero();
        assertThat(Files.readString(dir.resolve("stderr.txt"))).contains("serving the bundled TOY model");
        List<String> rest = new ArrayList<>();
        for (String line; (line = out.readLine()) != null; ) {
            rest.add(line);
        }
        assertThat(rest).contains("stopped");
    }
}

package io.omoib.vton.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.preprocess.RgbImage;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's command line and server quickstarts, run by bash as written, in a folder that links {@code ./vton} and
 * {@code vton-examples/} so that its files land there; only the port is changed to a free one.
 */
class ReadmeServerIT {
    private static final Path ROOT = Environment.bundledModel().getParent().getParent();

    /**
     * Links the launcher, the module and the models into the folder, so that the README's commands run there as
     * from the repository root, runs bash there, and removes the links again.
     */
    static String run(Path dir, String script) throws Exception {
        Path vton = Files.createSymbolicLink(dir.resolve("vton"), ROOT.resolve("vton"));
        Path module = Files.createSymbolicLink(dir.resolve("vton-examples"), ROOT.resolve("vton-examples"));
        Path models = Files.createSymbolicLink(dir.resolve("models"), ROOT.resolve("models"));
        try {
            // a server the script started in the background never outlives it, even when a step fails
            Files.writeString(dir.resolve("script.sh"), "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n"
                    + script);
            Process bash = new ProcessBuilder("bash", "script.sh").directory(dir.toFile())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("out.txt").toFile()).start();
            assertThat(bash.waitFor(5, TimeUnit.MINUTES)).isTrue();
            String out = Files.readString(dir.resolve("out.txt"));
            assertThat(bash.exitValue()).as(out).isZero();
            return out;
        } finally {
            Files.delete(vton);
            Files.delete(module);
            Files.delete(models);
        }
    }

    /** @return the first {@code bash} block after a heading; fails the test when the heading is gone */
    static String block(String readme, String heading) {
        int section = readme.indexOf(heading);
        assertThat(section).as("heading %s", heading).isNotNegative();
        int start = readme.indexOf("```bash\n", section) + "```bash\n".length();
        return readme.substring(start, readme.indexOf("```", start));
    }

    @Test
    void theCommandLineExamplesRunAsWritten(@TempDir Path dir) throws Exception {
        String out = run(dir, block(Files.readString(ROOT.resolve("README.md")), "### Command line"));

        assertThat(out).contains("vton tryon: cloth type must be one of upper, lower, overall", "exit code 2");
        Path results = dir.resolve("vton_output");
        ImageCodec codec = ImageCodec.defaults();
        try (var samples = Files.list(results.resolve("local"))) {
            assertThat(samples.map(p -> p.getFileName().toString())).singleElement().asString()
                    .matches("local_overall_\\d+\\.jpg");
        }
        assertThat(codec.decode(results.resolve("result.jpg")).width()).isEqualTo(768);
        assertThat(codec.decode(results.resolve("result_grid.jpg")).width()).isEqualTo(3 * 768);
        for (String name : new String[] {"person.png", "mask.png", "garment.png"}) {
            assertThat(codec.decode(results.resolve("prepared").resolve(name)).height()).isEqualTo(1024);
        }
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).as("nothing written beside the output folder")
                    .containsExactlyInAnyOrder("script.sh", "out.txt", "vton_output");
        }
    }

    @Test
    void theServerExampleRunsAsWritten(@TempDir Path dir) throws Exception {
        String example = block(Files.readString(ROOT.resolve("README.md")), "### Server and container");
        // The example names a fixed port; run it on a free one. A port found free can be taken by another
        // program before the server binds it, so a run that lost its port is tried again on another.
        String out = null;
        for (int attempt = 0; attempt < 3 && (out == null || out.contains("Address already in use")); attempt++) {
            int port;
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = socket.getLocalPort();
            }
            out = run(dir, example.replace("8080", Integer.toString(port)));
        }

        assertThat(out).contains("{\"status\":\"healthy\"}", "200\n", "\"field\":\"cloth_type\"",
                "vton_requests_total{outcome=\"completed\"} 1.0\n");
        RgbImage result = ImageCodec.defaults().decode(dir.resolve("vton_output/result.png"));
        assertThat(result.width()).isEqualTo(768);
        assertThat(result.height()).isEqualTo(1024);
    }
}

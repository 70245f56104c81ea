package io.omoib.vton.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The "Scaling out" walk-through of docs/SCALING.md, run by bash as written from the repository root (it needs
 * this module's jar, so it runs here, after {@code package}); only the two ports are changed to free
 * ones, and its log files go to a temporary folder.
 */
class ReadmeScalingOutIT {
    private static final Path ROOT = PipelineWork.bundledModel("toy").getParent().getParent();

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Test
    void twoWorkersDoFourJobsFromTheQueue(@TempDir Path dir) throws Exception {
        String readme = Files.readString(ROOT.resolve("docs/SCALING.md"));
        int section = readme.indexOf("# Scaling out");
        int start = readme.indexOf("```bash\n", section) + "```bash\n".length();
        String example = readme.substring(start, readme.indexOf("```", start));
        String out = null;
        // a port found free can be taken before a worker binds it: such a run is tried again on others
        for (int attempt = 0; attempt < 3 && (out == null || out.contains("Address already in use")); attempt++) {
            String script = example.replace("8081", Integer.toString(freePort())).replace("8082", Integer.toString(freePort()))
                    .replace("> local-aws.env", "> \"$logs/local-aws.env\"").replace("local-aws.env;", "\"$logs/local-aws.env\";")
                    .replace(". ./local-aws.env", ". \"$logs/local-aws.env\"")
                    .replace("> worker-1.log", "> \"$logs/worker-1.log\"").replace("> worker-2.log", "> \"$logs/worker-2.log\"");
            Files.writeString(dir.resolve("script.sh"), "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\nlogs='" + dir
                    + "'\ncd '" + ROOT + "'\n" + script);
            Process bash = new ProcessBuilder("bash", dir.resolve("script.sh").toString()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("out.txt").toFile()).start();
            boolean ended = bash.waitFor(8, TimeUnit.MINUTES);
            if (!ended) {
                bash.descendants().forEach(ProcessHandle::destroyForcibly);
                bash.destroyForcibly();
            }
            out = Files.readString(dir.resolve("out.txt"));
            assertThat(ended).as(out).isTrue();
            assertThat(bash.exitValue()).as(out).isZero();
        }

        assertThat(out).contains("{\"status\":\"healthy\"}{\"status\":\"healthy\"}", "4 notices");
        String metrics = out.lines().filter(l -> l.startsWith("vton_worker_messages_total{outcome=\"completed\"}"))
                .map(l -> l.substring(l.lastIndexOf(' ') + 1)).reduce("", (a, b) -> a + " " + b);
        assertThat(metrics.strip().split(" ")).as("both workers report, and together they did the four jobs")
                .hasSize(2).satisfies(counts -> assertThat(Double.parseDouble(counts[0]) + Double.parseDouble(counts[1])).isEqualTo(4));
        assertThat(Files.readString(dir.resolve("worker-1.log"))).contains("ready:", "stopping:", "stopped");
    }
}

package io.omoib.vton.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code vton serve} with the bundled toy model on 127.0.0.1 and a free port, in a process of its own
 * started from the benchmark jar; ready once it printed its {@code ready:} line (after loading and
 * warming up the model).
 */
final class ServerProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on http://127.0.0.1:(\\d+)");

    private final Process process;
    private final int port;

    private ServerProcess(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /**
     * @param jvmOptions options for the server's JVM, such as {@code -Xmx1g}
     * @param env variables added to the server's environment
     * @param serveOptions options after {@code serve}
     * @return the server, ready
     */
    static ServerProcess start(List<String> jvmOptions, Map<String, String> env, String... serveOptions) throws Exception {
        Path jar = Path.of(ServerProcess.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path root = PipelineWork.bundledModel("toy").getParent().getParent();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(jvmOptions);
        command.addAll(List.of("-Dvton.home=" + root, "-Dai.djl.offline=true", "-Dai.djl.pytorch.graph_optimizer=false",
                "-cp", jar.toString(), "io.omoib.vton.examples.Vton", "serve", "--host", "127.0.0.1", "--port", "0"));
        command.addAll(List.of(serveOptions));
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
        builder.environment().putAll(env);
        Process process = builder.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        Matcher listening = LISTENING.matcher(String.valueOf(out.readLine()));
        String line = out.readLine();
        while (line != null && !line.startsWith("ready:")) {
            line = out.readLine();
        }
        if (!listening.find() || line == null) {
            process.destroyForcibly();
            throw new IllegalStateException("the server did not start");
        }
        // the rest of its output is not read: drain it so the server never blocks on a full pipe
        Thread drain = new Thread(() -> {
            try {
                out.transferTo(java.io.Writer.nullWriter());
            } catch (IOException e) {
                // the server ended
            }
        }, "server-output");
        drain.setDaemon(true);
        drain.start();
        return new ServerProcess(process, Integer.parseInt(listening.group(1)));
    }

    int port() {
        return port;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** @return the exit code, or -1 while it runs */
    int exitCode() {
        return process.isAlive() ? -1 : process.exitValue();
    }

    /** @return the server's peak resident memory so far, in MiB (VmHWM), or -1 once it has ended */
    long peakResidentMib() throws IOException {
        Path status = Path.of("/proc", Long.toString(process.pid()), "status");
        if (!Files.isReadable(status)) {
            return -1;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
            }
        }
        return -1;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}

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
import java.util.Optional;
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

    /** The library {@code VTON_MALLOC=auto} preloads, found where the launchers look; empty when glibc is used. */
    private static Optional<Path> preferredAllocator() {
        String arch = System.getProperty("os.arch").equals("amd64") ? "x86_64" : System.getProperty("os.arch");
        return Stream.of("libjemalloc.so.2", "libtcmalloc_minimal.so.4", "libtcmalloc.so.4")
                .flatMap(name -> Stream.of("/usr/lib/" + arch + "-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib")
                        .map(dir -> Path.of(dir, name)))
                .filter(Files::isReadable)
                .findFirst();
    }

    /** @return {@code jemalloc}, {@code tcmalloc} or {@code glibc malloc}: what the JVM should report */
    private static String expectedAllocator() {
        return preferredAllocator().map(p -> p.getFileName().toString().contains("jemalloc") ? "jemalloc" : "tcmalloc")
                .orElse("glibc malloc");
    }

    private static String procFile(Process process, String name) throws IOException {
        return new String(Files.readAllBytes(Path.of("/proc", Long.toString(process.pid()), name)), StandardCharsets.UTF_8);
    }

    /** Starts the container's serve script on a free port and waits until it is ready. */
    private Process serve(java.util.Map<String, String> env) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(ROOT.resolve("vton-examples/docker/serve").toString(), "serve",
                "--host", "127.0.0.1", "--no-warm-up")
                .directory(dir.toFile())
                .redirectError(dir.resolve("stderr.txt").toFile());
        builder.environment().put("VTON_HOME", ROOT.toString());
        builder.environment().put("VTON_JAR", ROOT.resolve("vton-examples/target/vton.jar").toString());
        builder.environment().put("SAGEMAKER_BIND_TO_PORT", "0");
        builder.environment().remove("MALLOC_MMAP_THRESHOLD_");
        builder.environment().remove("LD_PRELOAD");
        builder.environment().remove("OMP_WAIT_POLICY");
        builder.environment().remove("MALLOC_CONF");
        builder.environment().putAll(env);
        Process process = builder.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        while (line != null && !line.startsWith("ready:")) {
            line = out.readLine();
        }
        assertThat(line).as("the server's ready line; stderr: %s", Files.readString(dir.resolve("stderr.txt"))).isNotNull();
        return process;
    }

    private static void stop(Process process) throws Exception {
        assertThat(new ProcessBuilder("kill", "-TERM", Long.toString(process.pid())).start().waitFor()).isZero();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void theLaunchedJvmHasJemallocOrTcmallocWhereInstalledElseGlibcWithAFixedThreshold() throws Exception {
        Process process = serve(java.util.Map.of());
        try {
            String maps = procFile(process, "maps");
            List<String> environ = List.of(procFile(process, "environ").split("\0"));
            if (preferredAllocator().isPresent()) {
                assertThat(maps).contains(preferredAllocator().get().toRealPath().toString());
                assertThat(environ).noneMatch(v -> v.startsWith("MALLOC_MMAP_THRESHOLD_="));
                if (expectedAllocator().equals("jemalloc")) {
                    assertThat(environ).contains("MALLOC_CONF=dirty_decay_ms:-1,muzzy_decay_ms:-1");
                }
            } else {
                assertThat(maps).doesNotContain("libtcmalloc").doesNotContain("libjemalloc");
                assertThat(environ).contains("MALLOC_MMAP_THRESHOLD_=1048576");
            }
            assertThat(environ).contains("OMP_WAIT_POLICY=PASSIVE");
        } finally {
            stop(process);
        }
        assertThat(Files.readString(dir.resolve("stderr.txt"))).contains("allocator: " + expectedAllocator());
    }

    @Test
    void vtonMallocPreloadsTheLibraryItNamesOrNone() throws Exception {
        // the JDK's signal-chaining library is made for LD_PRELOAD and is on every machine that runs this test
        Path library = Path.of(System.getProperty("java.home"), "lib", "libjsig.so").toRealPath();
        Process named = serve(java.util.Map.of("VTON_MALLOC", library.toString()));
        try {
            assertThat(procFile(named, "maps")).contains(library.toString());
            assertThat(procFile(named, "environ").split("\0")).noneMatch(v -> v.startsWith("MALLOC_MMAP_THRESHOLD_="));
        } finally {
            stop(named);
        }
        Process glibc = serve(java.util.Map.of("VTON_MALLOC", "glibc"));
        try {
            assertThat(procFile(glibc, "maps")).doesNotContain("libtcmalloc").doesNotContain("libjemalloc");
            assertThat(procFile(glibc, "environ").split("\0")).contains("MALLOC_MMAP_THRESHOLD_=1048576");
        } finally {
            stop(glibc);
        }
    }

    @Test
    void anUnknownVtonMallocExitsWithTwoAndOneLine() throws Exception {
        ProcessBuilder builder = new ProcessBuilder(ROOT.resolve("vton").toString(), "tryon")
                .directory(dir.toFile())
                .redirectError(dir.resolve("stderr.txt").toFile());
        builder.environment().put("VTON_MALLOC", "ptmalloc3");
        Process process = builder.start();
        lines(process);

        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(2);
        assertThat(Files.readAllLines(dir.resolve("stderr.txt"))).singleElement().asString()
                .contains("VTON_MALLOC must be auto, jemalloc, tcmalloc, glibc or a library path, got 'ptmalloc3'");
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
        assertThat(out).anyMatch(line -> line.startsWith("allocator: " + expectedAllocator() + " ("));
        // nothing but the test model's warning: no SLF4J notice, and none of DJL's CUDA probe where a CUDA
        // runtime is installed without a driver that fits it (it logs "CUDA driver version is insufficient")
        assertThat(Files.readAllLines(dir.resolve("stderr.txt"))).singleElement().asString()
                .startsWith("warning: model toy-catvton is a test stand-in");
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

    /**
     * A copy of the launcher in a folder whose {@code mvnw} prints what Maven prints for this build and then
     * links the real jar (or fails), so that the launcher's build step runs without building anything.
     */
    private Path launcherWithMaven(String mvnwBody) throws IOException {
        Path root = Files.createDirectories(dir.resolve("root"));
        Files.copy(ROOT.resolve("vton"), root.resolve("vton"));
        assertThat(root.resolve("vton").toFile().setExecutable(true)).isTrue();
        Path docker = Files.createDirectories(root.resolve("vton-examples/docker"));
        Files.copy(ROOT.resolve("vton-examples/docker/vton-runtime.sh"), docker.resolve("vton-runtime.sh"));
        Path mvnw = root.resolve("mvnw");
        StringBuilder lines = new StringBuilder("#!/usr/bin/env bash\necho '[INFO] Scanning for projects...'\n");
        String[] modules = {"vton-preprocess", "vton-core", "vton-s3", "vton-examples"};
        for (int i = 0; i < modules.length; i++) {
            lines.append("echo '[INFO] Building ").append(modules[i]).append(" 0.1.0-SNAPSHOT                     [")
                    .append(i + 1).append('/').append(modules.length).append("]'\n")
                    .append("echo '[INFO] --- compiler:3.14.0:compile (default-compile) @ ").append(modules[i]).append(" ---'\n");
        }
        Files.writeString(mvnw, lines + mvnwBody);
        assertThat(mvnw.toFile().setExecutable(true)).isTrue();
        return root;
    }

    @Test
    void theLauncherPrintsALinePerModuleWhileItBuildsThenRuns() throws Exception {
        Path target = ROOT.resolve("vton-examples/target");
        Path root = launcherWithMaven("mkdir -p vton-examples/target\n"
                + "ln -s '" + target.resolve("vton.jar") + "' vton-examples/target/vton.jar\n"
                + "ln -s '" + target.resolve("lib") + "' vton-examples/target/lib\n");
        Process process = new ProcessBuilder(root.resolve("vton").toString(), "--version").directory(dir.toFile())
                .redirectError(dir.resolve("stderr.txt").toFile()).start();
        List<String> out = lines(process);

        assertThat(process.waitFor(2, TimeUnit.MINUTES)).isTrue();
        List<String> err = Files.readAllLines(dir.resolve("stderr.txt"));
        assertThat(process.exitValue()).as(String.join("\n", err)).isZero();
        assertThat(err).filteredOn(line -> line.startsWith("vton:   ")).containsExactly("vton:   vton-preprocess [1/4]",
                "vton:   vton-core [2/4]", "vton:   vton-s3 [3/4]", "vton:   vton-examples [4/4]");
        assertThat(err).noneMatch(line -> line.contains("compiler:3.14.0")).anyMatch(line -> line.matches("vton: built in \\d+ s"));
        assertThat(out).containsExactly("vton 0.1.0");
        // the links only: JUnit would warn about deleting links that point outside its folder
        Files.delete(root.resolve("vton-examples/target/vton.jar"));
        Files.delete(root.resolve("vton-examples/target/lib"));
    }

    @Test
    void aFailedBuildShowsMavensErrorsAndExitsWithOne() throws Exception {
        Path root = launcherWithMaven("echo '[ERROR] COMPILATION ERROR : Foo.java:[3,1] class, interface, enum, or record expected'\n"
                + "echo '[INFO] BUILD FAILURE'\nexit 1\n");
        Process process = new ProcessBuilder(root.resolve("vton").toString(), "tryon").directory(dir.toFile())
                .redirectError(dir.resolve("stderr.txt").toFile()).start();
        lines(process);

        assertThat(process.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(process.exitValue()).isEqualTo(1);
        String err = Files.readString(dir.resolve("stderr.txt"));
        assertThat(err).contains("vton:   vton-examples [4/4]", "[ERROR] COMPILATION ERROR : Foo.java:[3,1]",
                "vton: the build failed; Maven's whole log is in ");
        Path log = Path.of(err.substring(err.indexOf("log is in ") + "log is in ".length()).strip());
        assertThat(Files.readString(log)).contains("[INFO] BUILD FAILURE");
        Files.delete(log);
    }
}

package io.omoib.vton.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A pipeline whose application brought no libtorch says what to add, before DJL looks for one online. */
class LibtorchTest {
    @TempDir
    Path dir;

    @Test
    void theNativeOnThisClasspathIsFound() {
        assertThat(Thread.currentThread().getContextClassLoader().getResource(Libtorch.NATIVE_MARKER)).isNotNull();
        assertThat(Libtorch.found()).isTrue();
    }

    @Test
    void withoutANativeTheBuilderNamesTheDependencyToAdd() throws Exception {
        String classpath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !entry.contains("pytorch-native"))
                .collect(Collectors.joining(File.pathSeparator));
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        // should the refusal ever fail, DJL's download goes to a closed port on loopback, not to the internet
        ProcessBuilder process = new ProcessBuilder(List.of(java.toString(), "-Dhttps.proxyHost=127.0.0.1",
                "-Dhttps.proxyPort=9", "-Dhttp.proxyHost=127.0.0.1", "-Dhttp.proxyPort=9", "-cp", classpath,
                Probe.class.getName(), TestModels.toy().toString()))
                .redirectErrorStream(true).redirectOutput(dir.resolve("probe.txt").toFile());
        process.environment().remove("PYTORCH_LIBRARY_PATH");
        process.environment().remove("ENGINE_CACHE_DIR");
        process.environment().put("DJL_CACHE_DIR", Files.createDirectories(dir.resolve("empty-cache")).toString());
        Process probe = process.start();
        boolean exited = probe.waitFor(60, TimeUnit.SECONDS);
        if (!exited) {
            probe.destroyForcibly();
        }
        String out = Files.readString(dir.resolve("probe.txt"));

        assertThat(exited).as(out).isTrue();
        assertThat(probe.exitValue()).as(out).isEqualTo(3);
        assertThat(out).contains("no libtorch", "pytorch-native-cpu:2.7.1", "linux-x86_64", "PYTORCH_LIBRARY_PATH")
                .doesNotContain("publish.djl.ai", "Offline mode");
    }

    /** Builds a pipeline in a JVM without the native jar; exits 3 with the message when it is refused. */
    public static final class Probe {
        private Probe() {
        }

        public static void main(String[] args) {
            try (CatVTONPipeline pipeline = CatVTONPipeline.builder().modelDirectory(Path.of(args[0])).build()) {
                System.out.println("built " + pipeline.variant());
            } catch (IllegalStateException refused) {
                System.out.println(refused.getMessage());
                System.exit(3);
            }
        }
    }
}

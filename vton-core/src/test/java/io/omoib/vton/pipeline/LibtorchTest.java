package io.omoib.vton.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
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
    void aLibtorchInDjlsCacheCounts() throws Exception {
        assertThat(Libtorch.cached(dir.resolve("absent"))).isFalse();
        Path version = Files.createDirectories(dir.resolve("2.7.1-cpu-linux-x86_64"));
        Files.writeString(version.resolve("libc10.so"), "");
        assertThat(Libtorch.cached(dir)).as("other libraries only").isFalse();
        Files.writeString(version.resolve("libtorch.so"), "");
        assertThat(Libtorch.cached(dir)).isTrue();
    }

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
        ProcessBuilder process = new ProcessBuilder(List.of(java.toString(), "-cp", classpath,
                Probe.class.getName(), TestModels.toy().toString()))
                .redirectErrorStream(true);
        process.environment().remove("PYTORCH_LIBRARY_PATH");
        process.environment().remove("ENGINE_CACHE_DIR");
        process.environment().put("DJL_CACHE_DIR", Files.createDirectories(dir.resolve("empty-cache")).toString());
        Process probe = process.start();
        String out = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(probe.waitFor(60, TimeUnit.SECONDS)).isTrue();
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

package io.omoib.vton.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.preprocess.RgbImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's Java quickstart, as written: its {@code java} block saved as {@code TryOn.java} and run by
 * {@code java -cp CLASSPATH TryOn.java} in a folder that links {@code models/} and {@code vton-examples/}, as
 * the repository root has them.
 */
class ReadmeJavaIT {
    private static final Path ROOT = Environment.bundledModel().getParent().getParent();

    @Test
    void theJavaQuickstartWritesATryOnOfTheShirt(@TempDir Path dir) throws Exception {
        String readme = Files.readString(ROOT.resolve("README.md"));
        int section = readme.indexOf("### Java");
        assertThat(section).isNotNegative();
        int start = readme.indexOf("```java\n", section) + "```java\n".length();
        Files.writeString(dir.resolve("TryOn.java"), readme.substring(start, readme.indexOf("```", start)));
        Path models = Files.createSymbolicLink(dir.resolve("models"), ROOT.resolve("models"));
        Path module = Files.createSymbolicLink(dir.resolve("vton-examples"), ROOT.resolve("vton-examples"));
        String out;
        Process java;
        try {
            String command = ProcessHandle.current().info().command().orElse("java");
            java = new ProcessBuilder(command, "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                    "TryOn.java").directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("out.txt").toFile()).start();
            assertThat(java.waitFor(5, TimeUnit.MINUTES)).isTrue();
            out = Files.readString(dir.resolve("out.txt"));
        } finally {
            Files.delete(models);
            Files.delete(module);
        }

        assertThat(java.exitValue()).as(out).isZero();
        RgbImage result = ImageCodec.defaults().decode(dir.resolve("vton_output/TryOn.jpg"));
        assertThat(result.width()).isEqualTo(768);
        assertThat(result.height()).isEqualTo(1024);
        // the toy pastes the red shirt into the upper-body mask and leaves the dark trousers below it
        int chest = result.rgb(384, 400);
        assertThat((chest >> 16) & 0xFF).isGreaterThan(((chest >> 8) & 0xFF) + 50);
        int legs = result.rgb(320, 800);
        assertThat((legs >> 16) & 0xFF).isLessThan(100);
        assertThat(legs & 0xFF).isLessThan(100);
    }
}

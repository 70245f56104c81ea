package io.omoib.vton.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.preprocess.RgbImage;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's Java quickstart, as written: its {@code java} block saved as {@code TryOn.java} and the
 * {@code bash} line after it run in a folder that links {@code models/} and {@code vton-examples/}, as the
 * repository root has them. Runs after {@code package} (failsafe), which made the jar the line names.
 */
class ReadmeJavaIT {
    private static final Path ROOT = Environment.bundledModel().getParent().getParent();

    @Test
    void theJavaQuickstartWritesATryOnOfTheShirt(@TempDir Path dir) throws Exception {
        String readme = Files.readString(ROOT.resolve("README.md"));
        int section = readme.indexOf("### Java");
        assertThat(section).isNotNegative();
        int start = readme.indexOf("```java\n", section) + "```java\n".length();
        int end = readme.indexOf("```", start);
        Files.writeString(dir.resolve("TryOn.java"), readme.substring(start, end));
        String command = ReadmeServerIT.block(readme.substring(end + 3), "");
        assertThat(command).contains("TryOn.java");

        String out = ReadmeServerIT.run(dir, command);

        assertThat(out).as("DJL's CUDA probe and SLF4J stay quiet").doesNotContain("CUDA", "SLF4J");
        RgbImage result = ImageCodec.defaults().decode(dir.resolve("vton_output/TryOn.jpg"));
        assertThat(result.width()).isEqualTo(768);
        assertThat(result.height()).isEqualTo(1024);
        // the toy pastes the red shirt into the upper-body mask and leaves the dark trousers below it
        int chest = result.rgb(384, 384);
        assertThat((chest >> 16) & 0xFF).isGreaterThan((chest & 0xFF) + 50);
        int legs = result.rgb(320, 800);
        assertThat(Math.max((legs >> 16) & 0xFF, Math.max((legs >> 8) & 0xFF, legs & 0xFF))).isLessThan(100);
    }
}

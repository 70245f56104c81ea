package io.omoib.vton.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's "Performance tuning" example, run by bash as written: an embedding JVM started as the launchers start theirs. */
class ReadmePerformanceIT {
    private static final Path ROOT = Environment.bundledModel().getParent().getParent();

    @Test
    void theEmbeddersJvmGetsTheAllocatorTheExampleNames(@TempDir Path dir) throws Exception {
        String script = ReadmeServerIT.block(Files.readString(ROOT.resolve("README.md")), "## Performance tuning");

        String out = ReadmeServerIT.run(dir, script);

        assertThat(out).contains("cold (run 1): ", "warm (median of runs 2-3): ");
        // the example names Debian's x86-64 path; elsewhere the loader ignores it and glibc's malloc runs
        assertThat(out).contains(Files.isReadable(Path.of("/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"))
                ? "allocator: jemalloc (" : "allocator: glibc malloc (");
    }
}

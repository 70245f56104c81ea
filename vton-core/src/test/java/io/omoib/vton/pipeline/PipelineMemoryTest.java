package io.omoib.vton.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.omoib.vton.preprocess.TryOnImages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Native memory is returned after every run: resident memory stops growing after a warm-up. */
class PipelineMemoryTest {

    @Test
    void twoHundredToyTryOnsDoNotGrowResidentMemory() throws IOException {
        TryOnImages images = TryOnImages.of(TestModels.rgb("person.png"), TestModels.gray("mask.png"),
                TestModels.rgb("garment.png"));
        TryOnParameters parameters = TryOnParameters.builder().steps(5).build();
        try (CatVTONPipeline toy = CatVTONPipeline.builder().modelDirectory(TestModels.toy()).build()) {
            for (int i = 0; i < 50; i++) {
                toy.run(images, parameters.toBuilder().seed(i).build());
            }
            System.gc();
            long warm = residentKib();
            for (int i = 50; i < 200; i++) {
                toy.run(images, parameters.toBuilder().seed(i).build());
            }
            System.gc();
            long after = residentKib();

            // One toy run allocates about 20 MiB of tensors; leaking them would add gigabytes.
            assertThat(after - warm).as("resident growth in KiB over 150 runs").isLessThan(64 * 1024);
        }
    }

    private static long residentKib() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}

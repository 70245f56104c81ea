package io.omoib.vton.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.omoib.vton.preprocess.ClothType;
import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.preprocess.RgbImage;
import io.omoib.vton.preprocess.TryOnImages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's "Running CatVTON" example, run as written (with the repository's model path). */
class ReadmeExampleTest {
    @TempDir
    Path in;

    @Test
    void readmeExampleWritesATryOn() throws IOException {
        TryOnImages prepared = TryOnImages.prepare(RgbImage.filled(600, 800, 90, 120, 150),
                RgbImage.filled(600, 800, 255, 255, 255), RgbImage.filled(300, 300, 200, 20, 20), null,
                ClothType.UPPER, 768, 1024);
        Path models = TestModels.repositoryRoot().resolve("models");

        // --- as in README.md ---
        try (CatVTONPipeline pipeline = CatVTONPipeline.builder()
                .modelDirectory(models.resolve("toy-catvton"))
                .weightDtype(WeightDtype.FLOAT32)                   // picks the cpu-float32 variant
                .build()) {
            TryOnParameters parameters = TryOnParameters.builder().steps(15).guidance(2.5f).seed(42).build();
            RgbImage result = pipeline.run(prepared, parameters);   // prepared: the TryOnImages above
            Files.write(in.resolve("result.jpg"), ImageCodec.defaults().encodeJpeg(result));
        }
        // ---

        RgbImage written = ImageCodec.defaults().decode(in.resolve("result.jpg"));
        assertThat(written.width()).isEqualTo(768);
        assertThat(written.height()).isEqualTo(1024);
        // The whole frame is masked and the garment is red: the toy paints it red.
        int centre = written.rgb(384, 512);
        assertThat((centre >> 16) & 0xFF).isGreaterThan(((centre >> 8) & 0xFF) + 50);
    }
}

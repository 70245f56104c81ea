package io.omoib.vton.preprocess;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The "Preparing images" example of docs/JAVA.md, run as written on real files. */
class ReadmeExampleTest {
    @TempDir
    Path dir;

    @Test
    void readmeExampleWritesThePreparedGarment() throws IOException {
        ImageCodec files = ImageCodec.defaults();
        Files.write(dir.resolve("person.jpg"), files.encodeJpeg(RgbImage.filled(600, 800, 90, 120, 150)));
        Files.write(dir.resolve("mask.png"), files.encodePng(GrayImage.filled(600, 800, 255).toRgb()));
        Files.write(dir.resolve("upper.webp"), CodecFixtures.bytes("webp-lossless.webp"));
        Files.write(dir.resolve("lower.jpg"), files.encodeJpeg(RgbImage.filled(300, 500, 20, 20, 160)));
        Path in = dir;
        // --- as in docs/JAVA.md, after its first line ---
        ImageCodec codec = ImageCodec.defaults();               // 50 MP and 64 MiB limits
        RgbImage person = codec.decode(in.resolve("person.jpg"));  // EXIF orientation applied, alpha over white
        RgbImage mask = codec.decode(in.resolve("mask.png"));
        RgbImage upper = codec.decode(in.resolve("upper.webp"));
        RgbImage lower = codec.decode(in.resolve("lower.jpg"));

        TryOnImages prepared = TryOnImages.prepare(person, mask, Garments.outfit(upper, lower), ClothType.OVERALL, 768, 1024);
        Files.write(in.resolve("garment.png"), codec.encodePng(prepared.garment()));
        // ---

        RgbImage garment = ImageCodec.defaults().decode(dir.resolve("garment.png"));
        assertThat(garment.width()).isEqualTo(768);
        assertThat(garment.height()).isEqualTo(1024);
        // The dark blue lower garment ends up in the bottom half, centred, with white around.
        assertThat(garment.rgb(384, 1000) & 0xFF).isGreaterThan(120);
        assertThat(garment.rgb(2, 1000)).isEqualTo(0xFFFFFF);
    }
}

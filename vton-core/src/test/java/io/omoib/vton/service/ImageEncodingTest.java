package io.omoib.vton.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.omoib.vton.pipeline.TestModels;
import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.preprocess.RgbImage;
import org.junit.jupiter.api.Test;

class ImageEncodingTest {
    private static final RgbImage IMAGE = TestModels.rgb("person.png");

    @Test
    void pngIsLosslessAndJpegQualityTradesSizeForFidelity() {
        ImageCodec codec = ImageCodec.defaults();
        byte[] png = ImageEncoding.of(ImageFormat.PNG).encode(IMAGE);
        byte[] high = ImageEncoding.DEFAULT.encode(IMAGE);
        byte[] low = new ImageEncoding(ImageFormat.JPEG, 30, codec).encode(IMAGE);

        assertThat(codec.decode(png, "png")).isEqualTo(IMAGE);
        assertThat(low.length).isLessThan(high.length);
        assertThat(TestModels.difference(codec.decode(low, "low"), IMAGE)[1])
                .isGreaterThan(TestModels.difference(codec.decode(high, "high"), IMAGE)[1]);
    }

    @Test
    void qualityOutsideOneToHundredIsRefused() {
        assertThatThrownBy(() -> new ImageEncoding(ImageFormat.JPEG, 0, ImageCodec.defaults()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1-100");
        assertThatThrownBy(() -> new ImageEncoding(ImageFormat.PNG, 101, ImageCodec.defaults()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void formatsParseAndNameTheirFiles() {
        assertThat(ImageFormat.parse(" JPG ")).isEqualTo(ImageFormat.JPEG);
        assertThat(ImageFormat.parse("png").contentType()).isEqualTo("image/png");
        assertThat(ImageFormat.JPEG.extension()).isEqualTo("jpg");
        assertThatThrownBy(() -> ImageFormat.parse("gif")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("jpeg or png");
    }
}

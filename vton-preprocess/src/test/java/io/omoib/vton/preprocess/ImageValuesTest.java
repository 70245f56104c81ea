package io.omoib.vton.preprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

/** {@link RgbImage} and {@link GrayImage} are immutable values. */
class ImageValuesTest {

    @Test
    void rgbImageCopiesWhatItIsGivenAndWhatItReturns() {
        byte[] pixels = {1, 2, 3, 4, 5, 6};
        RgbImage image = RgbImage.of(2, 1, pixels);
        pixels[0] = 99;
        image.toByteArray()[1] = 99;

        assertThat(image.rgb(0, 0)).isEqualTo(0x010203);
        assertThat(image.rgb(1, 0)).isEqualTo(0x040506);
    }

    @Test
    void grayImageCopiesWhatItIsGivenAndWhatItReturns() {
        byte[] pixels = {7, 8};
        GrayImage image = GrayImage.of(1, 2, pixels);
        pixels[0] = 99;
        image.toByteArray()[1] = 99;

        assertThat(image.value(0, 0)).isEqualTo(7);
        assertThat(image.value(0, 1)).isEqualTo(8);
    }

    @Test
    void wrongLengthOrSizeIsRefused() {
        assertThatThrownBy(() -> RgbImage.of(2, 2, new byte[11])).hasMessageContaining("needs 12 bytes, got 11");
        assertThatThrownBy(() -> GrayImage.of(0, 2, new byte[0])).hasMessageContaining("0x2");
        assertThatThrownBy(() -> RgbImage.filled(70000, 70000, 0, 0, 0)).hasMessageContaining("too large");
    }

    @Test
    void equalityIsBySizeAndPixels() {
        assertThat(RgbImage.filled(2, 3, 1, 2, 3)).isEqualTo(RgbImage.filled(2, 3, 1, 2, 3))
                .hasSameHashCodeAs(RgbImage.filled(2, 3, 1, 2, 3))
                .isNotEqualTo(RgbImage.filled(3, 2, 1, 2, 3))
                .isNotEqualTo(RgbImage.filled(2, 3, 1, 2, 4));
        assertThat(GrayImage.filled(2, 3, 9)).isEqualTo(GrayImage.filled(2, 3, 9))
                .isNotEqualTo(GrayImage.filled(2, 3, 8));
    }

    @Test
    void bufferedImageRoundTripKeepsPixels() {
        RgbImage image = RgbImage.of(2, 1, new byte[] {10, 20, 30, (byte) 200, (byte) 210, (byte) 220});
        BufferedImage buffered = image.toBufferedImage();

        assertThat(buffered.getRGB(1, 0) & 0xFFFFFF).isEqualTo(0xC8D2DC);
        assertThat(RgbImage.fromBufferedImage(buffered)).isEqualTo(image);
        assertThat(GrayImage.filled(3, 2, 77).toBufferedImage().getRaster().getSample(2, 1, 0)).isEqualTo(77);
    }

    @Test
    void grayToRgbRepeatsTheValue() {
        assertThat(GrayImage.filled(2, 2, 77).toRgb()).isEqualTo(RgbImage.filled(2, 2, 77, 77, 77));
    }
}

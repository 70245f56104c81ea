package io.omoib.vton.preprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Edge behaviour of {@link Resize}; the resampling arithmetic is covered by {@link ResizeGoldenTest}. */
class ResizeTest {

    @Test
    void sameSizeReturnsTheImageItself() {
        RgbImage image = noise(64, 48, 1);

        assertThat(Resize.lanczos(image, 64, 48)).isSameAs(image);
    }

    @Test
    void cropOfAnImageAlreadyAtTheTargetSizeKeepsEveryPixel() {
        RgbImage image = noise(128, 192, 2);

        assertThat(Resize.resizeAndCrop(image, 128, 192)).isEqualTo(image);
    }

    @Test
    void cropKeepsTheCentreOfAnImageThatIsOnlyTooWide() {
        RgbImage wide = noise(200, 192, 3);

        RgbImage cropped = Resize.resizeAndCrop(wide, 128, 192);

        // The 128-pixel box starts at (200 - 128) / 2 = 36 and needs no resampling.
        for (int y = 0; y < 192; y += 37) {
            for (int x = 0; x < 128; x += 11) {
                assertThat(cropped.rgb(x, y)).isEqualTo(wide.rgb(36 + x, y));
            }
        }
    }

    @Test
    void paddingCentresAnImageThatAlreadyFitsOnWhite() {
        RgbImage image = noise(768, 512, 4);

        RgbImage padded = Resize.resizeAndPadding(image, 768, 1024);

        assertThat(padded.rgb(0, 255)).isEqualTo(0xFFFFFF);
        assertThat(padded.rgb(767, 768)).isEqualTo(0xFFFFFF);
        for (int y = 0; y < 512; y += 51) {
            for (int x = 0; x < 768; x += 97) {
                assertThat(padded.rgb(x, 256 + y)).isEqualTo(image.rgb(x, y));
            }
        }
    }

    @Test
    void nonPositiveTargetSizeIsRefused() {
        RgbImage image = noise(8, 8, 5);

        assertThatThrownBy(() -> Resize.lanczos(image, 0, 8)).hasMessageContaining("0x8");
        assertThatThrownBy(() -> Resize.resizeAndCrop(image, 8, -1)).hasMessageContaining("8x-1");
    }

    private static RgbImage noise(int width, int height, long seed) {
        byte[] rgb = new byte[width * height * 3];
        new Random(seed).nextBytes(rgb);
        return RgbImage.of(width, height, rgb);
    }
}

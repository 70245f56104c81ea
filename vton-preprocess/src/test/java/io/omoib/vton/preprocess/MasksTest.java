package io.omoib.vton.preprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Argument checks and edge behaviour of {@link Masks}; the arithmetic is covered by {@link MasksGoldenTest}. */
class MasksTest {

    @Test
    void dilationGrowsASinglePixelIntoASquare() {
        byte[] dot = new byte[7 * 7];
        dot[3 * 7 + 3] = (byte) 255;

        GrayImage grown = Masks.dilate(GrayImage.of(7, 7, dot), 3);

        assertThat(Masks.selectedPixels(grown)).isEqualTo(9);
        assertThat(grown.value(2, 2)).isEqualTo(255);
        assertThat(grown.value(1, 1)).isZero();
    }

    @Test
    void blurOfRadiusZeroChangesNothing() {
        GrayImage image = Golden.gray("binary_90x120.png");

        assertThat(Masks.gaussianBlur(image, 0f)).isEqualTo(image);
    }

    @Test
    void badParametersAreRefused() {
        GrayImage image = GrayImage.filled(4, 4, 0);

        assertThatThrownBy(() -> Masks.dilate(image, 4)).hasMessageContaining("odd");
        assertThatThrownBy(() -> Masks.gaussianBlur(image, -1f)).hasMessageContaining(">= 0");
        assertThatThrownBy(() -> Masks.gaussianBlur(image, Float.NaN)).hasMessageContaining("NaN");
        assertThatThrownBy(() -> Masks.threshold(image, 300)).hasMessageContaining("0-256");
    }
}

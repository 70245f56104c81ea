package io.omoib.vton.preprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TryOnImagesTest {
    private final RgbImage person = RgbImage.filled(90, 120, 40, 80, 120);
    private final RgbImage whiteMask = RgbImage.filled(90, 120, 255, 255, 255);
    private final RgbImage garment = RgbImage.filled(50, 50, 200, 10, 10);

    @Test
    void defaultSizeIsCatVtons768x1024() {
        TryOnImages prepared = TryOnImages.prepare(person, whiteMask, Garments.upper(garment), ClothType.UPPER);

        assertThat(prepared.width()).isEqualTo(768);
        assertThat(prepared.height()).isEqualTo(1024);
        assertThat(prepared.mask().width()).isEqualTo(768);
        assertThat(prepared.garment().height()).isEqualTo(1024);
    }

    @Test
    void maskIsBinary() {
        byte[] ramp = new byte[90 * 120 * 3];
        for (int i = 0; i < ramp.length; i++) {
            ramp[i] = (byte) ((i / 3) % 256);
        }
        GrayImage mask = TryOnImages.prepare(person, RgbImage.of(90, 120, ramp), Garments.upper(garment), ClothType.UPPER,
                64, 128).mask();

        for (byte b : mask.toByteArray()) {
            assertThat(b & 0xFF).isIn(0, 255);
        }
        assertThat(Masks.selectedPixels(mask)).isBetween(1L, 64L * 128 - 1);
    }

    @ParameterizedTest
    @CsvSource({"768, 1000", "700, 1024", "0, 64", "-64, 64"})
    void sizeMustBeAPositiveMultipleOf64(int width, int height) {
        assertThatThrownBy(() -> TryOnImages.prepare(person, whiteMask, Garments.upper(garment), ClothType.UPPER, width, height))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("multiples of 64")
                .hasMessageContaining(width + "x" + height);
    }

    @Test
    void maskSelectingNothingIsRefused() {
        RgbImage dark = RgbImage.filled(90, 120, 127, 127, 127);

        assertThatThrownBy(() -> TryOnImages.prepare(person, dark, Garments.upper(garment), ClothType.UPPER))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("mask image selects no pixel");
    }

    @Test
    void maskOfAnotherSizeButTheSameShapeIsAccepted() {
        RgbImage bigMask = RgbImage.filled(180, 240, 255, 255, 255);

        assertThat(TryOnImages.prepare(person, bigMask, Garments.upper(garment), ClothType.UPPER, 384, 512).mask())
                .isEqualTo(GrayImage.filled(384, 512, 255));
    }

    @Test
    void maskOfAnotherShapeIsRefusedNamingBothSizes() {
        RgbImage wideMask = RgbImage.filled(160, 90, 255, 255, 255);

        assertThatThrownBy(() -> TryOnImages.prepare(person, wideMask, Garments.upper(garment), ClothType.UPPER))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("160x90")
                .hasMessageContaining("90x120");
    }

    @Test
    void missingGarmentIsNamed() {
        assertThatThrownBy(() -> TryOnImages.prepare(person, whiteMask, Garments.upper(garment), ClothType.OVERALL))
                .hasMessageContaining("lower garment");
    }

    @Test
    void preparedImagesMustShareOneSize() {
        assertThatThrownBy(() -> TryOnImages.of(RgbImage.filled(64, 64, 0, 0, 0), GrayImage.filled(64, 128, 0),
                RgbImage.filled(64, 64, 0, 0, 0)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("mask 64x128");
    }
}

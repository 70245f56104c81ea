package io.omoib.vton.preprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class GarmentsTest {
    private final RgbImage upper = RgbImage.filled(4, 2, 255, 0, 0);
    private final RgbImage lower = RgbImage.filled(2, 3, 0, 0, 255);

    @Test
    void upperAndLowerUseTheirOwnGarmentUnchanged() {
        assertThat(Garments.forClothType(ClothType.UPPER, upper, null)).isSameAs(upper);
        assertThat(Garments.forClothType(ClothType.LOWER, null, lower)).isSameAs(lower);
    }

    @Test
    void overallStacksUpperOverLowerCentredOnWhite() {
        RgbImage outfit = Garments.forClothType(ClothType.OVERALL, upper, lower);

        assertThat(outfit.width()).isEqualTo(4);
        assertThat(outfit.height()).isEqualTo(5);
        assertThat(outfit.rgb(0, 0)).isEqualTo(0xFF0000);
        assertThat(outfit.rgb(3, 1)).isEqualTo(0xFF0000);
        // The narrower lower garment sits at x = (4 - 2) / 2 = 1, with white either side.
        assertThat(outfit.rgb(0, 2)).isEqualTo(0xFFFFFF);
        assertThat(outfit.rgb(1, 2)).isEqualTo(0x0000FF);
        assertThat(outfit.rgb(2, 4)).isEqualTo(0x0000FF);
        assertThat(outfit.rgb(3, 4)).isEqualTo(0xFFFFFF);
    }

    @Test
    void eachClothTypeNamesTheGarmentItIsMissing() {
        assertThatThrownBy(() -> Garments.forClothType(ClothType.UPPER, null, lower))
                .hasMessageContaining("needs the upper garment");
        assertThatThrownBy(() -> Garments.forClothType(ClothType.LOWER, upper, null))
                .hasMessageContaining("needs the lower garment");
        assertThatThrownBy(() -> Garments.forClothType(ClothType.OVERALL, upper, null))
                .hasMessageContaining("overall needs the lower garment");
        assertThatThrownBy(() -> Garments.forClothType(ClothType.OVERALL, null, lower))
                .hasMessageContaining("overall needs the upper garment");
    }
}

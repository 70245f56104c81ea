package io.omoib.vton.preprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GarmentsTest {
    private final RgbImage upper = RgbImage.filled(4, 2, 255, 0, 0);
    private final RgbImage lower = RgbImage.filled(2, 3, 0, 0, 255);

    @Test
    void upperAndLowerUseTheirOwnGarmentUnchanged() {
        assertThat(Garments.upper(upper).forClothType(ClothType.UPPER)).isSameAs(upper);
        assertThat(Garments.lower(lower).forClothType(ClothType.LOWER)).isSameAs(lower);
    }

    @Test
    void overallStacksUpperOverLowerCentredOnWhite() {
        RgbImage outfit = Garments.outfit(upper, lower).forClothType(ClothType.OVERALL);

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
        assertThatThrownBy(() -> Garments.lower(lower).forClothType(ClothType.UPPER))
                .hasMessageContaining("needs the upper garment");
        assertThatThrownBy(() -> Garments.upper(upper).forClothType(ClothType.LOWER))
                .hasMessageContaining("needs the lower garment");
        assertThatThrownBy(() -> Garments.upper(upper).forClothType(ClothType.OVERALL))
                .hasMessageContaining("overall needs the lower garment");
        assertThatThrownBy(() -> Garments.lower(lower).forClothType(ClothType.OVERALL))
                .hasMessageContaining("overall needs the upper garment");
    }

    @Test
    void aGarmentTheClothTypeDoesNotUseIsIgnored() {
        assertThat(Garments.outfit(upper, lower).forClothType(ClothType.UPPER)).isSameAs(upper);
        assertThat(Garments.outfit(upper, lower).forClothType(ClothType.LOWER)).isSameAs(lower);
    }

    @Test
    void garmentsAreKeyedByTheirInputAndCopied() {
        Map<Input, RgbImage> byInput = new EnumMap<>(Input.class);
        byInput.put(Input.LOWER, lower);
        Garments garments = Garments.of(byInput);
        byInput.put(Input.UPPER, upper);

        assertThat(garments.asMap()).containsOnlyKeys(Input.LOWER);
        assertThat(garments).isEqualTo(Garments.lower(lower));
        assertThat(Garments.of(Map.of())).isNotEqualTo(garments);
    }

    @Test
    void onlyGarmentInputsAreAccepted() {
        assertThatThrownBy(() -> Garments.of(Map.of(Input.PERSON, upper)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("keyed by UPPER or LOWER, got PERSON");
    }
}

package io.omoib.vton.preprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ClothTypeTest {

    @ParameterizedTest
    @CsvSource({"upper, UPPER", "LOWER, LOWER", "Overall, OVERALL", "' upper ', UPPER"})
    void parsesNamesIgnoringCaseAndSpaces(String text, ClothType expected) {
        assertThat(ClothType.parse(text)).isEqualTo(expected);
    }

    @Test
    void unknownNameIsRefusedListingTheAcceptedOnes() {
        assertThatThrownBy(() -> ClothType.parse("dress"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'dress'")
                .hasMessageContaining("upper, lower, overall");
    }

    @Test
    void missingNameIsRefused() {
        assertThatThrownBy(() -> ClothType.parse(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got nothing");
    }

    @Test
    void idIsTheLowerCaseRequestName() {
        for (ClothType type : ClothType.values()) {
            assertThat(ClothType.parse(type.id())).isEqualTo(type);
            assertThat(type.id()).isLowerCase();
        }
    }

    @Test
    void eachClothTypeNamesTheGarmentsItNeedsAndAlwaysNeedsThePersonAndMask() {
        assertThat(ClothType.UPPER.garments()).containsExactly(Input.UPPER);
        assertThat(ClothType.LOWER.garments()).containsExactly(Input.LOWER);
        assertThat(ClothType.OVERALL.garments()).containsExactly(Input.UPPER, Input.LOWER);
        for (ClothType type : ClothType.values()) {
            assertThat(type.needs(Input.PERSON)).isTrue();
            assertThat(type.needs(Input.MASK)).isTrue();
        }
        assertThat(ClothType.UPPER.needs(Input.LOWER)).isFalse();
        assertThat(ClothType.LOWER.needs(Input.UPPER)).isFalse();
    }

    @Test
    void aMissingGarmentIsRefusedNamingItsRole() {
        RgbImage shirt = RgbImage.filled(10, 10, 1, 2, 3);

        assertThatThrownBy(() -> Garments.upper(shirt).forClothType(ClothType.OVERALL))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.input()).isEqualTo(Input.LOWER))
                .hasMessageContaining("lower garment image");
    }
}

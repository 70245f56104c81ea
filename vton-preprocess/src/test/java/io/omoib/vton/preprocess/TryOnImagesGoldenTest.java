package io.omoib.vton.preprocess;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The whole preparation matches what the Python service feeds CatVTON, for every cloth type. */
class TryOnImagesGoldenTest {

    static Stream<Arguments> prepare() {
        return Golden.cases("prepare").stream().map(f -> Arguments.of((Object[]) f));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource
    void prepare(String op, String clothType, String person, String mask, String upper, String lower,
                 String expectedPerson, String expectedMask, String expectedGarment, String width, String height) {
        TryOnImages prepared = TryOnImages.prepare(Golden.rgb(person), Golden.rgb(mask),
                Garments.outfit(Golden.rgb(upper), Golden.rgb(lower)), ClothType.parse(clothType), Integer.parseInt(width), Integer.parseInt(height));

        Golden.assertSame(prepared.person(), Golden.rgb(expectedPerson), "person");
        Golden.assertSame(prepared.mask(), Golden.gray(expectedMask), "mask");
        Golden.assertSame(prepared.garment(), Golden.rgb(expectedGarment), "garment");
    }
}

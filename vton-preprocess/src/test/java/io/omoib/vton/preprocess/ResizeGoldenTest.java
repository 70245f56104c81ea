package io.omoib.vton.preprocess;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Resizing is bit-identical to Pillow 9.4 ({@code tools/fixtures/make_preprocess_golden.py}). */
class ResizeGoldenTest {

    static Stream<Arguments> lanczos() {
        return Golden.cases("lanczos").stream().map(f -> Arguments.of(f[1], f[2], size(f[3], f[4])));
    }

    static Stream<Arguments> crop() {
        return Golden.cases("crop").stream().map(f -> Arguments.of(f[1], f[2], size(f[3], f[4])));
    }

    static Stream<Arguments> padding() {
        return Golden.cases("padding").stream().map(f -> Arguments.of(f[1], f[2], size(f[3], f[4])));
    }

    static Stream<Arguments> paddingRefused() {
        return Golden.cases("padding-refused").stream().map(f -> Arguments.of(f[1], size(f[3], f[4])));
    }

    @ParameterizedTest(name = "{0} -> {2}")
    @MethodSource
    void lanczos(String source, String expected, int[] size) {
        if (source.endsWith("_L.png")) {
            Golden.assertSame(Resize.lanczos(Golden.gray(source), size[0], size[1]), Golden.gray(expected), expected);
        } else {
            Golden.assertSame(Resize.lanczos(Golden.rgb(source), size[0], size[1]), Golden.rgb(expected), expected);
        }
    }

    @ParameterizedTest(name = "{0} -> {2}")
    @MethodSource
    void crop(String source, String expected, int[] size) {
        Golden.assertSame(Resize.resizeAndCrop(Golden.rgb(source), size[0], size[1]), Golden.rgb(expected), expected);
    }

    @ParameterizedTest(name = "{0} -> {2}")
    @MethodSource
    void padding(String source, String expected, int[] size) {
        Golden.assertSame(Resize.resizeAndPadding(Golden.rgb(source), size[0], size[1]), Golden.rgb(expected),
                expected);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource
    void paddingRefused(String source, int[] size) {
        RgbImage image = Golden.rgb(source);
        assertThatThrownBy(() -> Resize.resizeAndPadding(image, size[0], size[1]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(image.width() + "x" + image.height())
                .hasMessageContaining("too elongated");
    }

    private static int[] size(String width, String height) {
        return new int[] {Integer.parseInt(width), Integer.parseInt(height)};
    }
}

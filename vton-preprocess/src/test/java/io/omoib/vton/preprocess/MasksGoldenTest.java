package io.omoib.vton.preprocess;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Mask operations, garment stacking and CatVTON's repaint are bit-identical to Pillow 9.4 and numpy. */
class MasksGoldenTest {

    static Stream<Arguments> cases(String operation) {
        return Golden.cases(operation).stream().map(f -> Arguments.of((Object[]) f));
    }

    static Stream<Arguments> gray() {
        return cases("gray");
    }

    static Stream<Arguments> threshold() {
        return cases("threshold");
    }

    static Stream<Arguments> blur() {
        return cases("blur");
    }

    static Stream<Arguments> dilate() {
        return cases("dilate");
    }

    static Stream<Arguments> stack() {
        return cases("stack");
    }

    static Stream<Arguments> repaint() {
        return cases("repaint");
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource
    void repaint(String op, String person, String mask, String result, String expected) {
        Golden.assertSame(Repaint.apply(Golden.rgb(person), Golden.gray(mask), Golden.rgb(result)),
                Golden.rgb(expected), expected);
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource
    void gray(String op, String source, String expected) {
        Golden.assertSame(Masks.toGray(Golden.rgb(source)), Golden.gray(expected), expected);
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource
    void threshold(String op, String source, String expected) {
        Golden.assertSame(Masks.threshold(Golden.gray(source), Masks.DEFAULT_THRESHOLD), Golden.gray(expected),
                expected);
    }

    @ParameterizedTest(name = "radius {3}")
    @MethodSource
    void blur(String op, String source, String expected, String radius) {
        Golden.assertSame(Masks.gaussianBlur(Golden.gray(source), Float.parseFloat(radius)), Golden.gray(expected),
                expected);
    }

    @ParameterizedTest(name = "size {3}")
    @MethodSource
    void dilate(String op, String source, String expected, String size) {
        Golden.assertSame(Masks.dilate(Golden.gray(source), Integer.parseInt(size)), Golden.gray(expected),
                expected);
    }

    @ParameterizedTest(name = "{1} over {2}")
    @MethodSource
    void stack(String op, String upper, String lower, String expected) {
        Golden.assertSame(Garments.stack(Golden.rgb(upper), Golden.rgb(lower)), Golden.rgb(expected), expected);
    }
}

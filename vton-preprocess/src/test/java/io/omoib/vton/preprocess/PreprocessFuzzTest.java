package io.omoib.vton.preprocess;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.EnumMap;
import java.util.Map;

/**
 * Fuzz targets for what untrusted bytes reach first. In a normal build each replays its corpus under
 * {@code src/test/resources/io/omoib/vton/preprocess/PreprocessFuzzTestInputs/<method>/} (seeds and
 * past finds); {@code JAZZER_FUZZ=1 ./mvnw -pl vton-preprocess test -Dtest=PreprocessFuzzTest} fuzzes.
 */
class PreprocessFuzzTest {
    /** Small limits, so that fuzzing explores formats rather than allocating large images. */
    private static final ImageCodec CODEC = ImageCodec.builder().maxPixels(4_000_000).maxEncodedBytes(1 << 20).build();

    @FuzzTest(maxDuration = "60s")
    void decodeGivesAnImageOrInvalidImageException(byte[] data) {
        RgbImage image;
        try {
            image = CODEC.decode(data, "fuzz input");
        } catch (InvalidImageException expected) {
            assertThat(expected.getMessage()).startsWith("fuzz input");
            return;
        }
        assertThat(image.width()).isPositive();
        assertThat((long) image.width() * image.height()).isLessThanOrEqualTo(4_000_000);
    }

    @FuzzTest(maxDuration = "60s")
    void prepareGivesThePipelineSizeOrIllegalArgumentException(FuzzedDataProvider data) {
        RgbImage person = image(data);
        RgbImage mask = image(data);
        Map<Input, RgbImage> garments = new EnumMap<>(Input.class);
        if (data.consumeBoolean()) {
            garments.put(Input.UPPER, image(data));
        }
        if (data.consumeBoolean()) {
            garments.put(Input.LOWER, image(data));
        }
        ClothType type = data.pickValue(ClothType.values());
        int width = 64 * data.consumeInt(1, 4);
        int height = 64 * data.consumeInt(1, 4);
        TryOnImages prepared;
        try {
            prepared = TryOnImages.prepare(person, mask, Garments.of(garments), type, width, height);
        } catch (IllegalArgumentException expected) {
            return;
        }
        assertThat(prepared.width()).isEqualTo(width);
        assertThat(prepared.height()).isEqualTo(height);
        assertThat(prepared.garment().width()).isEqualTo(width);
    }

    /** An image of fuzzed size (1 to 300 on a side, any aspect) filled with fuzzed bytes. */
    private static RgbImage image(FuzzedDataProvider data) {
        int width = data.consumeInt(1, 300);
        int height = data.consumeInt(1, 300);
        byte[] rgb = new byte[width * height * 3];
        byte[] fill = data.consumeBytes(rgb.length);
        System.arraycopy(fill, 0, rgb, 0, fill.length);
        return RgbImage.of(width, height, rgb);
    }
}

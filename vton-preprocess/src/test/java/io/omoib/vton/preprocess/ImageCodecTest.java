package io.omoib.vton.preprocess;

import static io.omoib.vton.preprocess.CodecFixtures.bytes;
import static io.omoib.vton.preprocess.CodecFixtures.expected;
import static io.omoib.vton.preprocess.CodecFixtures.maxAbsDiff;
import static io.omoib.vton.preprocess.CodecFixtures.meanAbsDiff;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Decoding matches Pillow 9.4 (fixtures from tools/fixtures/make_codec_fixtures.py); encoding round-trips. */
class ImageCodecTest {
    private final ImageCodec codec = ImageCodec.defaults();

    private RgbImage decode(String file) {
        return codec.decode(bytes(file), file);
    }

    private void assertDecodesLikePillow(String file) {
        RgbImage actual = decode(file);
        RgbImage pillow = expected(file);
        assertThat(actual.width()).as("width of " + file).isEqualTo(pillow.width());
        assertThat(actual.height()).as("height of " + file).isEqualTo(pillow.height());
        assertThat(maxAbsDiff(actual, pillow)).as("max sample difference to Pillow for " + file).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"jpeg-baseline.jpg", "jpeg-progressive.jpg", "jpeg-gray.jpg"})
    void jpegDecodesBitIdenticalToPillow(String file) {
        assertDecodesLikePillow(file);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"png-rgb.png", "png-gray.png", "png-palette.png", "webp-lossless.webp", "bmp-rgb.bmp",
            "tiff-rgb.tif"})
    void losslessFormatsDecodeBitIdenticalToPillow(String file) {
        assertDecodesLikePillow(file);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"png-rgba.png", "png-gray-alpha.png", "png-palette-alpha.png", "png-rgb-trns.png",
            "png-gray-trns.png", "webp-lossless-alpha.webp"})
    void alphaIsCompositedOverWhiteLikePillowPaste(String file) {
        assertDecodesLikePillow(file);
    }

    @Test
    void fullyTransparentPixelsBecomeWhite() {
        // The fixture's alpha is 0 in its four leftmost columns, whatever the colour underneath.
        RgbImage image = decode("png-rgba.png");
        for (int y = 0; y < image.height(); y++) {
            for (int x = 0; x < 4; x++) {
                assertThat(image.rgb(x, y)).isEqualTo(0xFFFFFF);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"png-gray16.png", "png-rgb16.png", "png-rgba16.png"})
    void sixteenBitSamplesKeepTheirHighByte(String file) {
        assertDecodesLikePillow(file);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"png-gray1.png", "png-gray4.png"})
    void lowBitGrayIsStretchedToTheFullRange(String file) {
        assertDecodesLikePillow(file);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"jpeg-icc.jpg", "png-icc.png"})
    void embeddedIccProfilesAreIgnoredLikePillow(String file) {
        // The embedded profile is linear RGB: applying it (as TwelveMonkeys does by default) moves samples by up to 73.
        assertDecodesLikePillow(file);
    }

    @Test
    void gifDecodesItsFirstFrame() {
        assertDecodesLikePillow("gif-frames.gif");
    }

    @Test
    void lossyWebpIsCloseToLibwebp() {
        RgbImage actual = decode("webp-lossy.webp");
        RgbImage libwebp = expected("webp-lossy.webp");
        // TwelveMonkeys' VP8 decoder repeats chroma samples where libwebp interpolates them.
        // Measured on this smooth fixture: mean 2.95, max 14, no colour bias (signed means within 0.4).
        assertThat(meanAbsDiff(actual, libwebp)).isLessThan(4.0);
        assertThat(maxAbsDiff(actual, libwebp)).isLessThan(24);
    }

    @Test
    void cmykJpegWithoutProfileIsCloseToPillowsConversion() {
        // Ink patches and ramps; TwelveMonkeys' fallback conversion is Pillow's formula with other rounding.
        // Measured: mean 0.22, max 1. A CMYK JPEG with an embedded profile goes through that profile instead.
        RgbImage image = decode("jpeg-cmyk.jpg");
        RgbImage pillow = expected("jpeg-cmyk.jpg");
        assertThat(meanAbsDiff(image, pillow)).isLessThan(1.0);
        assertThat(maxAbsDiff(image, pillow)).isLessThanOrEqualTo(2);
        assertThat(image.rgb(9, 6)).as("cyan patch").isEqualTo(0x00FFFF);
        assertThat(image.rgb(33, 6)).as("magenta + yellow patch").isEqualTo(0xFF0000);
    }

    @ParameterizedTest(name = "orientation {0}")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8})
    void exifOrientationIsAppliedLikeExifTranspose(int orientation) {
        String file = "jpeg-orient-" + orientation + ".jpg";
        assertDecodesLikePillow(file);
        RgbImage image = decode(file);
        assertThat(image.width()).isEqualTo(orientation >= 5 ? 23 : 37);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"png-orient-6.png", "webp-orient-6.webp", "tiff-orient-6.tif"})
    void exifOrientationIsAlsoReadFromPngWebpAndTiff(String file) {
        assertDecodesLikePillow(file);
    }

    @ParameterizedTest(name = "orientation value {0}")
    @ValueSource(ints = {0, 9, 255})
    void outOfRangeOrientationMeansNoRotation(int value) {
        byte[] jpeg = withOrientationValue(bytes("jpeg-orient-6.jpg"), value);
        assertThat(codec.decode(jpeg, "odd orientation")).isEqualTo(expected("jpeg-orient-1.jpg"));
    }

    @Test
    void unreadableExifMeansNoRotation() {
        byte[] jpeg = bytes("jpeg-orient-6.jpg");
        int tiffHeader = indexOf(jpeg, new byte[] {'E', 'x', 'i', 'f', 0, 0}) + 6;
        // Break the byte-order mark ("MM") so no EXIF reader can parse the block.
        jpeg[tiffHeader] = 'X';
        jpeg[tiffHeader + 1] = 'Y';
        assertThat(codec.decode(jpeg, "broken exif")).isEqualTo(expected("jpeg-orient-1.jpg"));
    }

    /** Pillow writes big-endian EXIF: tag 0x0112, type SHORT, count 1, then the value. */
    private static byte[] withOrientationValue(byte[] jpeg, int value) {
        byte[] entry = {0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01};
        int at = indexOf(jpeg, entry) + entry.length;
        byte[] patched = jpeg.clone();
        patched[at] = 0;
        patched[at + 1] = (byte) value;
        return patched;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("pattern not found");
    }

    @Test
    void decodingAFileUsesItsPathAsTheName(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("upload.png");
        Files.write(file, bytes("png-rgb.png"));
        assertThat(codec.decode(file)).isEqualTo(expected("png-rgb.png"));

        Path broken = dir.resolve("broken.png");
        Files.write(broken, new byte[] {(byte) 0x89, 'P', 'N', 'G'});
        assertThatThrownBy(() -> codec.decode(broken))
                .isInstanceOf(InvalidImageException.class)
                .hasMessageStartingWith(broken + ": ");
    }

    @Test
    void pngEncodingRoundTripsExactly() {
        RgbImage image = expected("jpeg-baseline.jpg");
        byte[] png = codec.encodePng(image);
        assertThat(png).startsWith(0x89, 'P', 'N', 'G');
        assertThat(codec.decode(png, "round trip")).isEqualTo(image);
    }

    @Test
    void grayPngEncodingRoundTripsExactly() {
        byte[] luma = new byte[37 * 23];
        for (int i = 0; i < luma.length; i++) {
            luma[i] = (byte) (i * 7);
        }
        GrayImage mask = GrayImage.of(37, 23, luma);
        byte[] png = codec.encodePng(mask);
        // Colour type 0 (gray), 8 bits: the IHDR fields at bytes 24 and 25.
        assertThat(png[24]).isEqualTo((byte) 8);
        assertThat(png[25]).isEqualTo((byte) 0);
        assertThat(codec.decode(png, "mask")).isEqualTo(mask.toRgb());
    }

    @Test
    void jpegEncodingAtQuality95IsClose() {
        RgbImage image = smoothGradient(64, 48);
        byte[] jpeg = codec.encodeJpeg(image);
        assertThat(jpeg).startsWith(0xFF, 0xD8, 0xFF);
        RgbImage decoded = codec.decode(jpeg, "round trip");
        // Measured: mean 0.58, max 4.
        assertThat(meanAbsDiff(decoded, image)).isLessThan(1.0);
        assertThat(maxAbsDiff(decoded, image)).isLessThan(8);
    }

    private static RgbImage smoothGradient(int w, int h) {
        byte[] rgb = new byte[w * h * 3];
        for (int y = 0, o = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                rgb[o++] = (byte) (40 + x * 3);
                rgb[o++] = (byte) (200 - y * 3);
                rgb[o++] = (byte) (90 + (x + y));
            }
        }
        return RgbImage.of(w, h, rgb);
    }

    @Test
    void jpegQualityTradesSizeForFidelity() {
        RgbImage image = expected("png-rgb.png");
        byte[] low = codec.encodeJpeg(image, 30);
        byte[] high = codec.encodeJpeg(image, 95);
        assertThat(low.length).isLessThan(high.length);
        assertThat(meanAbsDiff(codec.decode(low, "q30"), image))
                .isGreaterThan(meanAbsDiff(codec.decode(high, "q95"), image));
        assertThat(codec.encodeJpeg(image)).isEqualTo(high);
    }

    @Test
    void jpegEncodingMatchesPillowByteForByte() {
        byte[] ours = codec.encodeJpeg(expected("png-rgb.png"), 95);
        byte[] pillow = bytes("encoded-by-pillow-q95.jpg");
        // Same libjpeg tables, 4:2:0 sampling and Huffman codes; only the JFIF minor version differs (2 vs 1).
        assertThat(ours).hasSameSizeAs(pillow);
        ours[12] = pillow[12];
        assertThat(ours).isEqualTo(pillow);
    }

    @ParameterizedTest(name = "quality {0}")
    @ValueSource(ints = {0, 101, -5})
    void jpegQualityOutsideOneToHundredIsRejected(int quality) {
        RgbImage image = RgbImage.filled(4, 4, 1, 2, 3);
        assertThatThrownBy(() -> codec.encodeJpeg(image, quality))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1-100")
                .hasMessageContaining(String.valueOf(quality));
    }

    @Test
    void defaultsAreFiftyMegapixelsAndSixtyFourMebibytes() {
        assertThat(ImageCodec.defaults().maxPixels()).isEqualTo(50_000_000L);
        assertThat(ImageCodec.defaults().maxEncodedBytes()).isEqualTo(64L * 1024 * 1024);
        ImageCodec custom = ImageCodec.builder().maxPixels(1000).maxEncodedBytes(2000).build();
        assertThat(custom.maxPixels()).isEqualTo(1000);
        assertThat(custom.maxEncodedBytes()).isEqualTo(2000);
    }

    @Test
    void builderRejectsLimitsThatCannotWork() {
        assertThatThrownBy(() -> ImageCodec.builder().maxPixels(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxPixels");
        assertThatThrownBy(() -> ImageCodec.builder().maxPixels(1L << 40))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxPixels");
        assertThatThrownBy(() -> ImageCodec.builder().maxEncodedBytes(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxEncodedBytes");
    }
}

package io.omoib.vton.preprocess;

import static io.omoib.vton.preprocess.CodecFixtures.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Untrusted uploads: every bad input becomes an InvalidImageException naming it, quickly. */
class HostileImageTest {
    /** Generous: each of these fails in milliseconds. */
    private static final Duration FAST = Duration.ofSeconds(2);

    private final ImageCodec codec = ImageCodec.defaults();

    private static InvalidImageException rejection(ImageCodec codec, byte[] bytes, String name) {
        InvalidImageException e = assertTimeoutPreemptively(FAST,
                () -> catchThrowableOfType(InvalidImageException.class, () -> codec.decode(bytes, name)));
        assertThat(e).as("decoding " + name + " should fail").isNotNull();
        assertThat(e.inputName()).isEqualTo(name);
        assertThat(e.getMessage()).startsWith(name + ": ");
        return e;
    }

    private InvalidImageException rejection(byte[] bytes, String name) {
        return rejection(codec, bytes, name);
    }

    @Test
    void pngDeclaringTenGigapixelsIsRejectedFromItsHeader() {
        byte[] png = png(100_000, 100_000, new byte[] {0, 1, 2, 3});
        assertThat(rejection(png, "person image")).hasMessage("person image: image is 100000x100000 = 10000000000"
                + " pixels, above the limit of 50000000; downscale it or raise ImageCodec.Builder.maxPixels");
    }

    @Test
    void jpegDeclaringAHugeFrameIsRejectedFromItsHeader() {
        byte[] jpeg = bytes("jpeg-baseline.jpg");
        int sof = indexOf(jpeg, (byte) 0xFF, (byte) 0xC0);
        // SOF0: marker, length (2), precision (1), height (2), width (2).
        ByteBuffer.wrap(jpeg).putShort(sof + 5, (short) 60000).putShort(sof + 7, (short) 60000);
        assertThat(rejection(jpeg, "garment image").getMessage())
                .contains("60000x60000 = 3600000000 pixels", "limit of 50000000", "maxPixels");
    }

    @Test
    void jpegWithThousandsOfScansIsRejectedBeforeDecoding() {
        byte[] jpeg = bytes("jpeg-progressive.jpg");
        int end = jpeg.length - 2;
        // an empty start-of-scan segment (length 2), repeated before the end marker
        ByteArrayOutputStream hostile = new ByteArrayOutputStream();
        hostile.write(jpeg, 0, end);
        for (int i = 0; i < 3000; i++) {
            hostile.write(new byte[] {(byte) 0xFF, (byte) 0xDA, 0, 2}, 0, 4);
        }
        hostile.write(jpeg, end, 2);

        assertThat(rejection(hostile.toByteArray(), "person image").getMessage())
                .contains("more than " + ImageCodec.MAX_JPEG_SCANS + " scans", "re-encode");
        assertThat(codec.decode(jpeg, "progressive").width()).as("a real progressive JPEG still decodes").isPositive();
    }

    @Test
    void gifDeclaringAHugeFrameIsRejectedFromItsHeader() {
        byte[] gif = bytes("gif-frames.gif");
        // the logical screen (bytes 6-9) and the first image descriptor (after the colour table), little endian
        ByteBuffer buffer = ByteBuffer.wrap(gif).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        buffer.putShort(6, (short) 60000).putShort(8, (short) 60000);
        int descriptor = firstImageDescriptor(gif);
        buffer.putShort(descriptor + 5, (short) 60000).putShort(descriptor + 7, (short) 60000);

        assertThat(rejection(gif, "garment image").getMessage()).contains("pixels, above the limit of 50000000");
    }

    @Test
    void webpDeclaringAHugeCanvasIsRejectedFromItsHeader() {
        byte[] webp = bytes("webp-lossless.webp");
        int vp8l = indexOf(webp, (byte) 'V', (byte) 'P', (byte) '8', (byte) 'L');
        // after the chunk header and the 0x2f signature: width - 1 and height - 1 in 14 bits each, all set
        webp[vp8l + 9] = (byte) 0xFF;
        webp[vp8l + 10] = (byte) 0xFF;
        webp[vp8l + 11] = (byte) 0xFF;
        webp[vp8l + 12] |= 0x0F;

        assertThat(rejection(webp, "garment image").getMessage()).contains("16384x16384", "above the limit of 50000000");
    }

    @Test
    void tiffDeclaringANegativeWidthIsRejected() {
        // One IFD, little-endian: ImageWidth is the unsigned LONG 0xFFFFFFFF, read back as -1.
        int[][] entries = {{256, 4, -1}, {257, 4, 2}, {258, 3, 8}, {259, 3, 1}, {262, 3, 1}, {273, 4, 122},
            {277, 3, 1}, {278, 4, 2}, {279, 4, 16}};
        ByteBuffer tiff = ByteBuffer.allocate(138).order(ByteOrder.LITTLE_ENDIAN);
        tiff.put(new byte[] {'I', 'I', 42, 0}).putInt(8).putShort((short) entries.length);
        for (int[] entry : entries) {
            tiff.putShort((short) entry[0]).putShort((short) entry[1]).putInt(1).putInt(entry[2]);
        }
        tiff.putInt(0);
        assertThat(rejection(tiff.array(), "scan").getMessage())
                .contains("TIFF header declares an impossible size of -1x2");
    }

    @Test
    void pixelLimitIsInclusive() {
        byte[] png = bytes("png-rgb.png");
        ImageCodec exact = ImageCodec.builder().maxPixels(37 * 23).build();
        assertThat(exact.decode(png, "fits").width()).isEqualTo(37);
        ImageCodec smaller = ImageCodec.builder().maxPixels(37 * 23 - 1).build();
        assertThat(rejection(smaller, png, "too big").getMessage()).contains("37x23 = 851 pixels", "limit of 850");
    }

    @Test
    void encodedSizeLimitIsCheckedFirst() {
        byte[] jpeg = bytes("jpeg-baseline.jpg");
        ImageCodec exact = ImageCodec.builder().maxEncodedBytes(jpeg.length).build();
        assertThat(exact.decode(jpeg, "fits").width()).isEqualTo(37);
        ImageCodec small = ImageCodec.builder().maxEncodedBytes(1000).build();
        assertThat(rejection(small, jpeg, "mask image")).hasMessage("mask image: input is " + jpeg.length
                + " bytes, above the limit of 1000 bytes; send a smaller file or raise ImageCodec.Builder.maxEncodedBytes");
        // Garbage is rejected for its size before anyone looks at its content.
        assertThat(rejection(small, new byte[5000], "zeros").getMessage()).contains("above the limit of 1000 bytes");
    }

    @Test
    void fileAboveTheSizeLimitIsRejectedNamingItsPath(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("huge.jpg");
        Files.write(file, new byte[5000]);
        ImageCodec small = ImageCodec.builder().maxEncodedBytes(4096).build();
        InvalidImageException e = catchThrowableOfType(InvalidImageException.class, () -> small.decode(file));
        assertThat(e).hasMessageStartingWith(file + ": input is 5000 bytes, above the limit of 4096 bytes");
    }

    @Test
    void emptyInputIsRejected() {
        assertThat(rejection(new byte[0], "person image").getMessage()).contains("input is empty");
    }

    @Test
    void randomBytesAreNotAnImage() {
        byte[] noise = new byte[4096];
        new Random(42).nextBytes(noise);
        assertThat(rejection(noise, "noise").getMessage()).contains("not a supported image format");
    }

    @Test
    void textFileNamedJpgIsRejectedByContent(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("photo.jpg");
        Files.writeString(file, "<html><body>403 Forbidden</body></html>");
        InvalidImageException e = catchThrowableOfType(InvalidImageException.class, () -> codec.decode(file));
        assertThat(e).hasMessage(file + ": not a supported image format (JPEG, PNG, WebP, BMP, GIF or TIFF);"
                + " it starts with bytes 3c 68 74 6d 6c 3e 3c 62");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"jpeg-baseline.jpg", "jpeg-progressive.jpg", "jpeg-cmyk.jpg", "png-rgb.png",
            "png-palette.png", "webp-lossless.webp", "webp-lossy.webp", "bmp-rgb.bmp", "tiff-rgb.tif"})
    void halfAFileIsRejected(String file) {
        byte[] whole = bytes(file);
        rejection(Arrays.copyOf(whole, whole.length / 2), file);
    }

    @Test
    void jpegWithoutItsEndMarkerIsTruncatedAsInPillow() {
        // The JDK's libjpeg would fill in grey and only warn; Pillow refuses such a file.
        byte[] jpeg = bytes("jpeg-progressive.jpg");
        assertThat(rejection(Arrays.copyOf(jpeg, jpeg.length - 2), "upload").getMessage())
                .contains("JPEG data is truncated");
    }

    @Test
    void losslessWebpCutShortIsTruncatedAsInLibwebp() {
        // TwelveMonkeys alone would return the image with its missing part black.
        byte[] webp = bytes("webp-lossless.webp");
        assertThat(rejection(Arrays.copyOf(webp, webp.length - 100), "upload").getMessage())
                .contains("WebP data is truncated", "declares " + webp.length + " bytes");
    }

    @Test
    void pngWithCorruptCompressedDataIsRejected() {
        byte[] garbage = new byte[64];
        Arrays.fill(garbage, (byte) 0xFF);
        assertThat(rejection(png(37, 23, garbage), "corrupt").getMessage()).contains("cannot decode it as PNG");
    }

    @Test
    void pngTextChunksAreNeverInflated() {
        // zTXt is where decompression bombs go (1 MB inflating to 1 GB); this one is not even valid zlib,
        // yet the pixels and the eXIf orientation must still come through.
        byte[] png = bytes("png-orient-6.png");
        ByteArrayOutputStream withText = new ByteArrayOutputStream();
        int afterIhdr = 8 + 4 + 4 + 13 + 4;
        withText.write(png, 0, afterIhdr);
        byte[] text = new byte[40];
        Arrays.fill(text, (byte) 0xFF);
        System.arraycopy("Comment\0\0".getBytes(StandardCharsets.US_ASCII), 0, text, 0, 9);
        chunk(withText, "zTXt", text);
        withText.write(png, afterIhdr, png.length - afterIhdr);
        RgbImage decoded = assertTimeoutPreemptively(FAST, () -> codec.decode(withText.toByteArray(), "text bomb"));
        assertThat(decoded).isEqualTo(CodecFixtures.expected("png-orient-6.png"));
    }

    @Test
    void mutatedFilesEitherDecodeOrFailWithInvalidImageException() {
        String[] files = {"jpeg-baseline.jpg", "jpeg-progressive.jpg", "jpeg-cmyk.jpg", "png-rgba.png",
            "png-palette-alpha.png", "png-rgb16.png", "webp-lossless-alpha.webp", "webp-lossy.webp", "bmp-rgb.bmp",
            "gif-frames.gif", "tiff-rgb.tif", "jpeg-orient-6.jpg"};
        Random random = new Random(7);
        for (String file : files) {
            byte[] original = bytes(file);
            for (int i = 0; i < 40; i++) {
                byte[] mutated = mutate(original, random);
                String name = file + " mutation " + i;
                assertTimeoutPreemptively(FAST, () -> {
                    try {
                        RgbImage image = codec.decode(mutated, name);
                        assertThat(image.width()).isPositive();
                    } catch (InvalidImageException e) {
                        assertThat(e).hasMessageStartingWith(name + ": ");
                    }
                }, name);
            }
        }
    }

    /** Overwrites a few bytes, or cuts the file, or both; the 8-byte signature is mostly left alone. */
    private static byte[] mutate(byte[] original, Random random) {
        byte[] mutated = original.clone();
        int flips = random.nextInt(8);
        for (int f = 0; f < flips; f++) {
            mutated[8 + random.nextInt(mutated.length - 8)] = (byte) random.nextInt(256);
        }
        return flips == 0 || random.nextInt(4) == 0
                ? Arrays.copyOf(mutated, 8 + random.nextInt(mutated.length - 8))
                : mutated;
    }

    /** An 8-bit RGB PNG with the given size and IDAT payload, every CRC valid. */
    private static byte[] png(int width, int height, byte[] idat) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height).put((byte) 8).put((byte) 2);
        chunk(out, "IHDR", ihdr.array());
        chunk(out, "IDAT", idat);
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(typeBytes);
        out.writeBytes(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    private static int indexOf(byte[] haystack, byte... needle) {
        search:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue search;
                }
            }
            return i;
        }
        throw new AssertionError("marker not found");
    }

    /** @return where a GIF's first image descriptor starts: after the header, the colour table and any extensions */
    private static int firstImageDescriptor(byte[] gif) {
        int at = 13 + ((gif[10] & 0x80) != 0 ? 3 << ((gif[10] & 7) + 1) : 0);
        while (gif[at] == 0x21) {
            at += 2;
            while (gif[at] != 0) {
                at += (gif[at] & 0xFF) + 1;
            }
            at++;
        }
        assertThat(gif[at]).as("an image descriptor").isEqualTo((byte) 0x2C);
        return at;
    }
}

package io.omoib.vton.examples;

import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.preprocess.RgbImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Hostile and unusual inputs, made by code (or taken from vton-preprocess's codec fixtures), each
 * with the outcome the layers above the codec must give: accepted, or refused as bad input.
 */
final class HostileCorpus {
    /**
     * One image, whether the codec must decode it, and whether a try-on with it as the garment must
     * succeed (an image can decode and still be unusable, such as a 1x100000 strip).
     */
    record Image(String name, byte[] bytes, boolean decodes, boolean valid) {
        Image(String name, byte[] bytes, boolean valid) {
            this(name, bytes, valid, valid);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private HostileCorpus() {
    }

    private static Path root() {
        return Environment.bundledModel().getParent().getParent();
    }

    static List<Image> images() {
        ImageCodec codec = ImageCodec.defaults();
        byte[] jpeg = codec.encodeJpeg(RgbImage.filled(120, 160, 200, 30, 30));
        byte[] png = codec.encodePng(RgbImage.filled(120, 160, 30, 200, 30));
        List<Image> corpus = new ArrayList<>();
        corpus.add(new Image("empty file", new byte[0], false));
        corpus.add(new Image("plain text", "this is not an image\n".getBytes(StandardCharsets.UTF_8), false));
        corpus.add(new Image("JSON", "{\"person_image_url\": \"x\"}".getBytes(StandardCharsets.UTF_8), false));
        corpus.add(new Image("JPEG cut after its header", Arrays.copyOf(jpeg, 200), false));
        corpus.add(new Image("PNG cut after IHDR", Arrays.copyOf(png, 33), false));
        corpus.add(new Image("PNG with corrupt compressed data", corruptIdat(png), false));
        corpus.add(new Image("WebP header and garbage", riff("WEBP", "VP8 ", new byte[64]), false));
        corpus.add(new Image("GIF header and garbage", concat("GIF89a".getBytes(StandardCharsets.US_ASCII), new byte[40]), false));
        corpus.add(new Image("TIFF header and garbage", concat(new byte[] {'I', 'I', 42, 0, 8, 0, 0, 0}, new byte[40]), false));
        corpus.add(new Image("PNG declaring 100000x100000 pixels", pngHeaderOnly(100_000, 100_000), false));
        corpus.add(new Image("PNG deflate bomb (20000x20000 of zeros in a few KB)", deflateBomb(20_000, 20_000), false));
        corpus.add(new Image("1x1 PNG", codec.encodePng(RgbImage.filled(1, 1, 255, 0, 0)), true));
        corpus.add(new Image("1x100000 PNG", codec.encodePng(RgbImage.filled(1, 100_000, 0, 0, 255)), true, false));
        corpus.add(new Image("100000x1 PNG", codec.encodePng(RgbImage.filled(100_000, 1, 0, 0, 255)), true, false));
        corpus.add(new Image("10x3000 PNG", codec.encodePng(RgbImage.filled(10, 3000, 0, 0, 255)), true));
        corpus.add(new Image("JPEG with EXIF orientation 9", exifOrientation(fixture("jpeg-orient-6.jpg"), 9), true));
        corpus.add(new Image("JPEG with EXIF orientation 0", exifOrientation(fixture("jpeg-orient-6.jpg"), 0), true));
        for (String fixture : new String[] {"jpeg-cmyk.jpg", "jpeg-gray.jpg", "jpeg-progressive.jpg", "png-rgb16.png",
                "png-rgba16.png", "png-palette-alpha.png", "png-gray-alpha.png", "png-gray1.png", "webp-lossy.webp",
                "webp-lossless-alpha.webp", "gif-frames.gif", "tiff-rgb.tif", "bmp-rgb.bmp"}) {
            corpus.add(new Image(fixture, fixture(fixture), true));
        }
        return corpus;
    }

    static byte[] fixture(String name) {
        try {
            return Files.readAllBytes(root().resolve("vton-preprocess/src/test/resources/codec").resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static byte[] riff(String form, String chunk, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(20 + data.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(12 + data.length)
                .put(form.getBytes(StandardCharsets.US_ASCII)).put(chunk.getBytes(StandardCharsets.US_ASCII))
                .putInt(data.length).put(data);
        return b.array();
    }

    /** Flips bytes inside the first IDAT chunk's data. */
    private static byte[] corruptIdat(byte[] png) {
        byte[] out = png.clone();
        for (int i = 8; i + 8 < out.length; ) {
            int length = ByteBuffer.wrap(out, i, 4).getInt();
            if (new String(out, i + 4, 4, StandardCharsets.US_ASCII).equals("IDAT")) {
                for (int j = i + 10; j < i + 8 + length - 2; j += 3) {
                    out[j] ^= (byte) 0x5a;
                }
                return out;
            }
            i += 12 + length;
        }
        throw new IllegalStateException("no IDAT");
    }

    private static byte[] pngHeaderOnly(int width, int height) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        chunk(out, "IHDR", ByteBuffer.allocate(13).putInt(width).putInt(height).put((byte) 8).put((byte) 2)
                .put((byte) 0).put((byte) 0).put((byte) 0).array());
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    /** A valid PNG of zeros whose IDAT inflates a thousandfold: the pixel limit must stop it before inflating. */
    private static byte[] deflateBomb(int width, int height) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        chunk(out, "IHDR", ByteBuffer.allocate(13).putInt(width).putInt(height).put((byte) 8).put((byte) 0)
                .put((byte) 0).put((byte) 0).put((byte) 0).array());
        Deflater deflater = new Deflater(9);
        byte[] row = new byte[width + 1];
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        byte[] buffer = new byte[1 << 16];
        for (int y = 0; y < 200; y++) {   // 200 rows are enough to show the ratio; the header claims them all
            deflater.setInput(row);
            while (!deflater.needsInput()) {
                compressed.write(buffer, 0, deflater.deflate(buffer));
            }
        }
        deflater.finish();
        while (!deflater.finished()) {
            compressed.write(buffer, 0, deflater.deflate(buffer));
        }
        chunk(out, "IDAT", compressed.toByteArray());
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        out.writeBytes(typeBytes);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    /** Rewrites the value of the EXIF orientation tag (0x0112) of a JPEG that has one. */
    static byte[] exifOrientation(byte[] jpeg, int value) {
        byte[] out = jpeg.clone();
        for (int i = 0; i + 10 < out.length; i++) {
            boolean intel = out[i] == 0x12 && out[i + 1] == 0x01 && out[i + 2] == 3 && out[i + 3] == 0;
            boolean motorola = out[i] == 0x01 && out[i + 1] == 0x12 && out[i + 2] == 0 && out[i + 3] == 3;
            if (intel) {
                out[i + 8] = (byte) value;
                out[i + 9] = 0;
                return out;
            }
            if (motorola) {
                out[i + 8] = 0;
                out[i + 9] = (byte) value;
                return out;
            }
        }
        throw new IllegalStateException("no orientation tag");
    }
}

package io.omoib.vton.benchmarks;

import io.omoib.vton.preprocess.ClothType;
import io.omoib.vton.preprocess.Garments;
import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.preprocess.RgbImage;
import io.omoib.vton.preprocess.TryOnImages;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Random;

/**
 * The preprocessing work the benchmarks time: four encoded pictures (person, mask, upper and lower
 * garment) decoded and prepared to 768x1024, exactly what the Python service does with Pillow
 * ({@code benchmarks/compare/preprocess_pillow.py}).
 */
final class PreprocessWork {
    static final String[] NAMES = {"person", "mask", "upper", "lower"};

    private final ImageCodec codec = ImageCodec.defaults();
    private final byte[][] encoded;

    private PreprocessWork(byte[][] encoded) {
        this.encoded = encoded;
    }

    /** Reads {@code person.jpg}, {@code mask.jpg}, {@code upper.jpg} and {@code lower.jpg} from a folder. */
    static PreprocessWork fromFolder(Path folder) {
        byte[][] encoded = new byte[NAMES.length][];
        try {
            for (int i = 0; i < NAMES.length; i++) {
                encoded[i] = Files.readAllBytes(folder.resolve(NAMES[i] + ".jpg"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new PreprocessWork(encoded);
    }

    /**
     * Synthetic JPEGs of the same sizes as {@code make_inputs.py} writes (1200x1600 person and mask,
     * 900x1100 and 800x1200 garments), for running the JMH suite without Python.
     */
    static PreprocessWork synthetic() {
        ImageCodec codec = ImageCodec.defaults();
        int[][] sizes = {{1200, 1600}, {1200, 1600}, {900, 1100}, {800, 1200}};
        byte[][] encoded = new byte[NAMES.length][];
        for (int i = 0; i < NAMES.length; i++) {
            encoded[i] = codec.encodeJpeg(picture(sizes[i][0], sizes[i][1], i, i == 1), 92);
        }
        return new PreprocessWork(encoded);
    }

    private static RgbImage picture(int width, int height, long seed, boolean mask) {
        Random random = new Random(seed);
        byte[] rgb = new byte[width * height * 3];
        double cx = width / 2.0;
        double cy = height / 2.0;
        for (int y = 0, o = 0; y < height; y++) {
            for (int x = 0; x < width; x++, o += 3) {
                if (mask) {
                    double dx = (x - cx) / (width / 4.0);
                    double dy = (y - cy) / (height * 0.3);
                    byte v = dx * dx + dy * dy <= 1 ? (byte) 255 : 0;
                    rgb[o] = rgb[o + 1] = rgb[o + 2] = v;
                } else {
                    int noise = random.nextInt(48);
                    rgb[o] = (byte) (x * 255 / width + noise);
                    rgb[o + 1] = (byte) (y * 255 / height + noise);
                    rgb[o + 2] = (byte) ((x + y) / 3 + noise);
                }
            }
        }
        return RgbImage.of(width, height, rgb);
    }

    /** Decodes the four pictures and prepares them for a 768x1024 overall try-on. */
    TryOnImages prepare() {
        RgbImage person = codec.decode(encoded[0], NAMES[0]);
        RgbImage mask = codec.decode(encoded[1], NAMES[1]);
        RgbImage upper = codec.decode(encoded[2], NAMES[2]);
        RgbImage lower = codec.decode(encoded[3], NAMES[3]);
        return TryOnImages.prepare(person, mask, Garments.outfit(upper, lower), ClothType.OVERALL);
    }

    /**
     * @param index 0 person, 1 mask, 2 upper, 3 lower, as {@link #NAMES}
     * @return that picture's JPEG bytes
     */
    byte[] encoded(int index) {
        return encoded[index];
    }

    /** @return the person picture, decoded */
    RgbImage decodedPerson() {
        return codec.decode(encoded[0], NAMES[0]);
    }

    /** SHA-256 over the prepared person, mask and garment samples, as the Pillow script computes it. */
    static String digest(TryOnImages images) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(images.person().toByteArray());
            sha.update(images.mask().toByteArray());
            sha.update(images.garment().toByteArray());
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

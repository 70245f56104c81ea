package io.omoib.vton.preprocess;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.apache.commons.imaging.Imaging;
import org.apache.commons.imaging.common.ImageMetadata;
import org.apache.commons.imaging.formats.jpeg.JpegImageMetadata;
import org.apache.commons.imaging.formats.tiff.TiffDirectory;
import org.apache.commons.imaging.formats.tiff.TiffField;
import org.apache.commons.imaging.formats.tiff.TiffImageMetadata;
import org.apache.commons.imaging.formats.tiff.constants.TiffDirectoryConstants;
import org.apache.commons.imaging.formats.tiff.constants.TiffTagConstants;
import org.apache.commons.imaging.formats.webp.WebPImageMetadata;

/**
 * The EXIF orientation tag (274) and the transposition it asks for, as Pillow 9.4's
 * {@code ImageOps.exif_transpose}: 2 flip left-right, 3 rotate 180°, 4 flip top-bottom, 5 transpose,
 * 6 rotate 90° clockwise, 7 transverse, 8 rotate 90° counter-clockwise.
 */
final class ExifOrientation {
    /** No transposition. */
    static final int NORMAL = 1;

    private ExifOrientation() {}

    /**
     * Reads the orientation from the first image directory of a JPEG's APP1 Exif segment, a PNG's
     * eXIf chunk, a WebP's EXIF chunk or a TIFF's first IFD.
     *
     * @param encoded the encoded image
     * @return 1-8; {@link #NORMAL} when the tag is missing, out of range or unreadable, since a
     *     damaged tag should not cost the caller an otherwise good image
     */
    static int read(byte[] encoded) {
        try {
            TiffImageMetadata exif;
            if (isPng(encoded)) {
                // Commons Imaging would inflate every text chunk of the PNG, a decompression bomb's target.
                byte[] exifChunk = pngExifChunk(encoded);
                exif = exifChunk == null ? null : exifOf(Imaging.getMetadata(exifChunk));
            } else {
                exif = exifOf(Imaging.getMetadata(encoded));
            }
            if (exif == null) {
                return NORMAL;
            }
            TiffDirectory root = exif.findDirectory(TiffDirectoryConstants.DIRECTORY_TYPE_ROOT);
            TiffField field = root == null ? null : root.findField(TiffTagConstants.TIFF_TAG_ORIENTATION);
            // Pillow only honours a single value; an array of them means "no rotation" there too.
            if (field == null || field.getCount() != 1 || !(field.getValue() instanceof Number value)) {
                return NORMAL;
            }
            int orientation = value.intValue();
            return orientation >= 1 && orientation <= 8 ? orientation : NORMAL;
        } catch (Exception | OutOfMemoryError | StackOverflowError | AssertionError e) {
            return NORMAL;
        }
    }

    private static boolean isPng(byte[] encoded) {
        return encoded.length >= 8 && (encoded[0] & 0xFF) == 0x89 && encoded[1] == 'P' && encoded[2] == 'N'
                && encoded[3] == 'G';
    }

    /** {@return the payload of the PNG's eXIf chunk (a TIFF structure), or null if there is none} */
    private static byte[] pngExifChunk(byte[] png) {
        int pos = 8;
        while (pos + 12 <= png.length) {
            long length = ByteBuffer.wrap(png, pos, 4).getInt() & 0xFFFFFFFFL;
            if (length > png.length - pos - 12) {
                return null;
            }
            if (png[pos + 4] == 'e' && png[pos + 5] == 'X' && png[pos + 6] == 'I' && png[pos + 7] == 'f') {
                return Arrays.copyOfRange(png, pos + 8, pos + 8 + (int) length);
            }
            pos += 12 + (int) length;
        }
        return null;
    }

    private static TiffImageMetadata exifOf(ImageMetadata metadata) {
        if (metadata instanceof JpegImageMetadata jpeg) {
            return jpeg.getExif();
        }
        if (metadata instanceof WebPImageMetadata webp) {
            return webp.getExif();
        }
        if (metadata instanceof TiffImageMetadata tiff) {
            return tiff;
        }
        return null;
    }

    /**
     * Applies an orientation to packed RGB pixels.
     *
     * @param orientation 1-8
     * @param image the image as stored in the file
     * @return the image as it should be shown; {@code image} itself for orientation 1
     */
    static RgbImage apply(int orientation, RgbImage image) {
        if (orientation == NORMAL) {
            return image;
        }
        int w = image.width();
        int h = image.height();
        // Each output pixel (x, y) reads source pixel start + x * stepX + y * stepY.
        int start;
        int stepX;
        int stepY;
        switch (orientation) {
            case 2 -> { start = w - 1; stepX = -1; stepY = w; }
            case 3 -> { start = h * w - 1; stepX = -1; stepY = -w; }
            case 4 -> { start = (h - 1) * w; stepX = 1; stepY = -w; }
            case 5 -> { start = 0; stepX = w; stepY = 1; }
            case 6 -> { start = (h - 1) * w; stepX = -w; stepY = 1; }
            case 7 -> { start = h * w - 1; stepX = -w; stepY = -1; }
            case 8 -> { start = w - 1; stepX = w; stepY = -1; }
            default -> throw new IllegalArgumentException("EXIF orientation must be 1-8, got " + orientation);
        }
        boolean swapsAxes = orientation >= 5;
        int outW = swapsAxes ? h : w;
        int outH = swapsAxes ? w : h;
        byte[] src = image.pixels();
        byte[] out = new byte[src.length];
        int o = 0;
        for (int y = 0; y < outH; y++) {
            for (int x = 0, s = start + y * stepY; x < outW; x++, s += stepX) {
                int i = s * 3;
                out[o++] = src[i];
                out[o++] = src[i + 1];
                out[o++] = src[i + 2];
            }
        }
        return RgbImage.wrap(outW, outH, out);
    }
}

package io.omoib.vton.preprocess;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferUShort;
import java.awt.image.IndexColorModel;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.Raster;

/**
 * Turns a decoded {@link BufferedImage} into packed 8-bit RGB the way Pillow would: raster samples
 * taken as they are (embedded ICC profiles ignored), 16-bit samples reduced to their high byte,
 * 1/2/4-bit gray stretched to 0-255, gray copied to all three channels, palettes looked up, and alpha
 * composited over white exactly like Pillow's {@code white.paste(rgb, mask=alpha)}.
 */
final class RasterToRgb {
    private RasterToRgb() {}

    /** {@return {@code width * height * 3} bytes, row-major {@code R, G, B}} */
    static byte[] toRgb(BufferedImage image) {
        ColorModel colorModel = image.getColorModel();
        if (colorModel instanceof IndexColorModel palette) {
            return fromPalette(image.getRaster(), palette);
        }
        if (colorModel instanceof ComponentColorModel && isPlainRgbOrGray(colorModel)) {
            Raster raster = image.getRaster();
            if (!colorModel.hasAlpha() && colorModel.getNumComponents() == 3
                    && raster.getDataBuffer() instanceof DataBufferByte
                    && raster.getSampleModel() instanceof PixelInterleavedSampleModel) {
                return fromInterleavedRgbBytes(raster);
            }
            return fromComponents(raster, colorModel);
        }
        return fromArgb(image);
    }

    /** RGB or gray samples of 1-16 bits, straight alpha: the layouts read sample by sample. */
    private static boolean isPlainRgbOrGray(ColorModel colorModel) {
        int space = colorModel.getColorSpace().getType();
        int colours = colorModel.getNumColorComponents();
        int transfer = colorModel.getTransferType();
        return ((space == ColorSpace.TYPE_RGB && colours == 3) || (space == ColorSpace.TYPE_GRAY && colours == 1))
                && !colorModel.isAlphaPremultiplied()
                && (transfer == DataBuffer.TYPE_BYTE || transfer == DataBuffer.TYPE_USHORT);
    }

    /** The common JPEG/PNG/WebP case: a straight copy with the raster's band order and strides. */
    private static byte[] fromInterleavedRgbBytes(Raster raster) {
        int w = raster.getWidth();
        int h = raster.getHeight();
        PixelInterleavedSampleModel layout = (PixelInterleavedSampleModel) raster.getSampleModel();
        DataBufferByte buffer = (DataBufferByte) raster.getDataBuffer();
        byte[] data = buffer.getData();
        int[] bandOffsets = layout.getBandOffsets();
        int red = bandOffsets[0];
        int green = bandOffsets[1];
        int blue = bandOffsets[2];
        int pixelStride = layout.getPixelStride();
        int scanlineStride = layout.getScanlineStride();
        int origin = buffer.getOffset()
                + (raster.getMinY() - raster.getSampleModelTranslateY()) * scanlineStride
                + (raster.getMinX() - raster.getSampleModelTranslateX()) * pixelStride;
        byte[] rgb = new byte[RgbImage.checkLength(w, h, -1)];
        int o = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0, i = origin + y * scanlineStride; x < w; x++, i += pixelStride) {
                rgb[o++] = data[i + red];
                rgb[o++] = data[i + green];
                rgb[o++] = data[i + blue];
            }
        }
        return rgb;
    }

    /** Gray, gray+alpha, RGB and RGBA of any layout and of 1-16 bits per sample. */
    private static byte[] fromComponents(Raster raster, ColorModel colorModel) {
        int w = raster.getWidth();
        int h = raster.getHeight();
        int bands = raster.getNumBands();
        boolean gray = colorModel.getNumColorComponents() == 1;
        boolean alpha = colorModel.hasAlpha();
        int[] shift = new int[bands];
        int[] maxValue = new int[bands];
        boolean eightBit = true;
        for (int b = 0; b < bands; b++) {
            int bits = colorModel.getComponentSize(b);
            shift[b] = Math.max(0, bits - 8);
            maxValue[b] = bits < 8 ? (1 << bits) - 1 : 0;
            eightBit &= bits == 8;
        }
        byte[] rgb = new byte[RgbImage.checkLength(w, h, -1)];
        int[] row = new int[w * bands];
        int o = 0;
        for (int y = 0; y < h; y++) {
            readRow(raster, y, row);
            for (int i = 0; !eightBit && i < row.length; i++) {
                int b = i % bands;
                // Pillow keeps the high byte of 16-bit samples and stretches 1/2/4-bit gray to 0-255.
                row[i] = maxValue[b] != 0 ? row[i] * 255 / maxValue[b] : row[i] >> shift[b];
            }
            for (int i = 0; i < row.length; i += bands) {
                int r = row[i];
                int g = gray ? r : row[i + 1];
                int bl = gray ? r : row[i + 2];
                if (alpha) {
                    int a = row[i + bands - 1];
                    r = overWhite(r, a);
                    g = overWhite(g, a);
                    bl = overWhite(bl, a);
                }
                rgb[o++] = (byte) r;
                rgb[o++] = (byte) g;
                rgb[o++] = (byte) bl;
            }
        }
        return rgb;
    }

    /** One row of raw samples, reading interleaved byte and ushort storage directly because getPixels is slow. */
    private static void readRow(Raster raster, int y, int[] row) {
        int w = raster.getWidth();
        int bands = raster.getNumBands();
        DataBuffer buffer = raster.getDataBuffer();
        if (raster.getSampleModel() instanceof PixelInterleavedSampleModel layout
                && (buffer instanceof DataBufferByte || buffer instanceof DataBufferUShort)) {
            int[] bandOffsets = layout.getBandOffsets();
            int pixelStride = layout.getPixelStride();
            int start = buffer.getOffset()
                    + (raster.getMinY() + y - raster.getSampleModelTranslateY()) * layout.getScanlineStride()
                    + (raster.getMinX() - raster.getSampleModelTranslateX()) * pixelStride;
            if (buffer instanceof DataBufferByte bytes) {
                byte[] data = bytes.getData();
                for (int x = 0, i = start, o = 0; x < w; x++, i += pixelStride) {
                    for (int b = 0; b < bands; b++) {
                        row[o++] = data[i + bandOffsets[b]] & 0xFF;
                    }
                }
            } else {
                short[] data = ((DataBufferUShort) buffer).getData();
                for (int x = 0, i = start, o = 0; x < w; x++, i += pixelStride) {
                    for (int b = 0; b < bands; b++) {
                        row[o++] = data[i + bandOffsets[b]] & 0xFFFF;
                    }
                }
            }
            return;
        }
        raster.getPixels(raster.getMinX(), raster.getMinY() + y, w, 1, row);
    }

    /** Palette images, with each entry's alpha (PNG tRNS, GIF transparent index) composited once. */
    private static byte[] fromPalette(Raster raster, IndexColorModel palette) {
        int w = raster.getWidth();
        int h = raster.getHeight();
        int entries = palette.getMapSize();
        // Indices past a short palette are black, as in Pillow's zero-padded palettes.
        int[] lookup = new int[Math.max(entries, 1 << Math.min(16, palette.getPixelSize()))];
        for (int i = 0; i < entries; i++) {
            int a = palette.getAlpha(i);
            lookup[i] = overWhite(palette.getRed(i), a) << 16
                    | overWhite(palette.getGreen(i), a) << 8
                    | overWhite(palette.getBlue(i), a);
        }
        byte[] rgb = new byte[RgbImage.checkLength(w, h, -1)];
        int[] row = new int[w];
        int o = 0;
        for (int y = 0; y < h; y++) {
            raster.getSamples(raster.getMinX(), raster.getMinY() + y, w, 1, 0, row);
            for (int x = 0; x < w; x++) {
                int p = lookup[row[x]];
                rgb[o++] = (byte) (p >> 16);
                rgb[o++] = (byte) (p >> 8);
                rgb[o++] = (byte) p;
            }
        }
        return rgb;
    }

    /** Anything else (CMYK, premultiplied, packed, float): the colour model's own sRGB conversion. */
    private static byte[] fromArgb(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        byte[] rgb = new byte[RgbImage.checkLength(w, h, -1)];
        int[] row = new int[w];
        int o = 0;
        for (int y = 0; y < h; y++) {
            image.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int p = row[x];
                int a = p >>> 24;
                rgb[o++] = (byte) overWhite(p >> 16 & 0xFF, a);
                rgb[o++] = (byte) overWhite(p >> 8 & 0xFF, a);
                rgb[o++] = (byte) overWhite(p & 0xFF, a);
            }
        }
        return rgb;
    }

    /** Pillow's paste-with-mask blend onto 255: {@code DIV255(255 * (255 - a) + c * a)}, rounded its way. */
    static int overWhite(int c, int a) {
        int v = 255 * (255 - a) + c * a + 128;
        return ((v >> 8) + v) >> 8;
    }
}

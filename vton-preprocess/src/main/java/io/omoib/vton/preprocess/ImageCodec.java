package io.omoib.vton.preprocess;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.spi.IIORegistry;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Decodes untrusted image files into {@link RgbImage}s and encodes results as PNG or JPEG.
 *
 * <p>Decoding accepts JPEG (baseline, progressive, CMYK/YCCK), PNG (1-16 bits, gray, palette, RGB,
 * with or without alpha), WebP (lossy and lossless), BMP, GIF (first frame) and TIFF (first page),
 * recognised by content rather than file name. The result is what the Python reference gets from
 * Pillow: EXIF orientation applied, alpha composited over white, gray and palette images expanded to
 * RGB, 16-bit samples reduced to their high byte, and embedded ICC profiles ignored. Baseline and
 * progressive JPEG, PNG, lossless WebP, BMP, GIF and TIFF decode bit-identically to Pillow 9.4. Lossy
 * WebP differs by about 3 levels on average (TwelveMonkeys repeats chroma samples where libwebp
 * interpolates). CMYK/YCCK JPEG goes through TwelveMonkeys' conversion: the embedded ICC profile when
 * there is one (Pillow ignores it), otherwise a formula within 1 level of Pillow's.
 *
 * <p>Every failure is an {@link InvalidImageException} that names the input: empty, oversized
 * ({@link Builder#maxEncodedBytes(long)}, {@link Builder#maxPixels(long)}, checked from the header
 * before any pixel is decoded), truncated, corrupt or unsupported data. Decoder bugs triggered by
 * hostile files, out-of-memory errors included, are reported the same way.
 *
 * <p>Instances are immutable and thread-safe; every call uses its own decoder.
 */
public final class ImageCodec {
    private static final long DEFAULT_MAX_PIXELS = 50_000_000L;
    private static final long DEFAULT_MAX_ENCODED_BYTES = 64L << 20;
    private static final int DEFAULT_JPEG_QUALITY = 95;
    private static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;
    private static final ImageCodec DEFAULTS = new Builder().build();

    /** ImageIO format names this codec accepts, and how messages call them. */
    private static final Map<String, String> FORMATS = Map.of(
            "jpeg", "JPEG", "png", "PNG", "webp", "WebP", "bmp", "BMP", "gif", "GIF", "tiff", "TIFF");
    private static final String FORMAT_LIST = "JPEG, PNG, WebP, BMP, GIF or TIFF";

    /** The most start-of-scan markers a JPEG may have. */
    static final int MAX_JPEG_SCANS = 256;

    private final long maxPixels;
    private final long maxEncodedBytes;
    private final DecodeBudget budget;

    private ImageCodec(Builder builder) {
        this.maxPixels = builder.maxPixels;
        this.maxEncodedBytes = builder.maxEncodedBytes;
        this.budget = builder.budget;
    }

    /** {@return a builder starting from the defaults (50,000,000 pixels, 64 MiB encoded)} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return a codec with the default limits: 50,000,000 pixels and 64 MiB (67,108,864 bytes) encoded} */
    public static ImageCodec defaults() {
        return DEFAULTS;
    }

    /** {@return the largest accepted image, in pixels ({@code width * height})} */
    public long maxPixels() {
        return maxPixels;
    }

    /** {@return the memory budget decodes draw from} */
    public DecodeBudget budget() {
        return budget;
    }

    /** {@return the largest accepted encoded input, in bytes} */
    public long maxEncodedBytes() {
        return maxEncodedBytes;
    }

    /**
     * Reads and decodes an image file. The file size is checked before anything is read.
     *
     * @param path the file; its path names it in error messages
     * @return the image, oriented and composited over white
     * @throws InvalidImageException if the file is not a decodable image within the limits
     * @throws IOException if the file cannot be read
     */
    public RgbImage decode(Path path) throws IOException {
        String name = path.toString();
        long size = Files.size(path);
        if (size > maxEncodedBytes) {
            throw tooManyBytes(name, size);
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(path)) {
            // One byte past the limit is enough to tell that a growing file went over it.
            bytes = in.readNBytes((int) Math.min(maxEncodedBytes + 1, MAX_ARRAY_LENGTH));
        }
        return decode(bytes, name);
    }

    /**
     * Decodes an encoded image.
     *
     * @param bytes the encoded image: JPEG, PNG, WebP, BMP, GIF or TIFF, told apart by content
     * @param name what to call the input in error messages, such as {@code "person image"} or a URL
     * @return the image, oriented and composited over white
     * @throws InvalidImageException if the bytes are not a decodable image within the limits
     */
    public RgbImage decode(byte[] bytes, String name) {
        return decode(bytes, name, 0, 0);
    }

    /**
     * Decodes an encoded image that will be resized to at most {@code width x height} (after any crop):
     * an image whose shorter side is at least twice the longer target side in a whole multiple
     * {@code k >= 2} is read at {@code 1/k} of its size ({@code ImageReadParam} source subsampling, every
     * {@code k}-th pixel of every {@code k}-th row), so a 50-megapixel photo costs the decoder a quarter
     * of its memory, and the resize still starts from at least twice the target. Smaller images decode
     * in full, exactly as {@link #decode(byte[], String)} and as Pillow do.
     *
     * @param bytes the encoded image
     * @param name what to call the input in error messages
     * @param width the width it will be resized to, or 0 to decode in full
     * @param height the height it will be resized to, or 0 to decode in full
     * @return the image, oriented and composited over white
     * @throws InvalidImageException if the bytes are not a decodable image within the limits
     * @throws DecodeBudget.Exhausted if the decode budget stayed too full to decode it now
     */
    public RgbImage decode(byte[] bytes, String name, int width, int height) {
        return decode(bytes, name, width, height, null);
    }

    /**
     * As {@link #decode(byte[], String, int, int)}, for a caller that keeps the image while it decodes
     * others: the image's bytes (3 a pixel) stay reserved in {@code holding} after the decode returns,
     * and a decode that would need more than the budget together with what {@code holding} keeps is
     * refused at once.
     *
     * @param bytes the encoded image
     * @param name what to call it in errors
     * @param width the width it will be prepared at
     * @param height the height it will be prepared at
     * @param holding a holding of this codec's {@link #budget()}, or {@code null} to keep nothing reserved
     * @return the decoded image, as {@link #decode(byte[], String, int, int)}
     * @throws InvalidImageException if the bytes are not a decodable image within the limits, or the
     *     budget cannot fit this decode beside the images {@code holding} keeps
     * @throws DecodeBudget.Exhausted if the decode budget stayed too full to decode it now
     */
    public RgbImage decode(byte[] bytes, String name, int width, int height, DecodeBudget.Holding holding) {
        Objects.requireNonNull(bytes, "bytes");
        Objects.requireNonNull(name, "name");
        if (holding != null && holding.budget() != budget) {
            throw new IllegalArgumentException("the holding belongs to another DecodeBudget; take it from this codec's "
                    + "budget().holding()");
        }
        if (bytes.length > maxEncodedBytes) {
            throw tooManyBytes(name, bytes.length);
        }
        if (bytes.length == 0) {
            throw new InvalidImageException(name, "input is empty (0 bytes); expected a " + FORMAT_LIST + " image");
        }
        String format = null;
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            ImageReader reader = readerFor(in);
            if (reader == null) {
                throw new InvalidImageException(name, "not a supported image format (" + FORMAT_LIST
                        + "); it starts with bytes " + hexPrefix(bytes));
            }
            format = FORMATS.get(formatKey(reader.getOriginatingProvider()));
            try {
                return readFirstImage(reader, in, name, format, bytes, Math.max(width, height), holding);
            } finally {
                reader.dispose();
            }
        } catch (InvalidImageException | DecodeBudget.Exhausted e) {
            throw e;
        } catch (OutOfMemoryError e) {
            throw new InvalidImageException(name, "ran out of memory decoding it" + (format == null ? "" : " as " + format)
                    + "; lower ImageCodec.Builder.maxPixels or give the JVM more heap", e);
        } catch (IOException | RuntimeException | StackOverflowError | AssertionError e) {
            throw new InvalidImageException(name, "cannot decode it" + (format == null ? "" : " as " + format)
                    + " (" + describe(e) + "); the file is damaged or not what its header says", e);
        }
    }

    /**
     * Header first, limits, the memory budget, then pixels; decoder warnings that mean lost data become
     * errors.
     *
     * @param target the longer side the image will be resized to, or 0 to decode in full
     * @param holding where the result's bytes stay reserved, or {@code null}
     */
    private RgbImage readFirstImage(ImageReader reader, ImageInputStream in, String name, String format,
            byte[] bytes, int target, DecodeBudget.Holding holding) throws IOException {
        if (format.equals("WebP")) {
            checkRiffLength(bytes, name);
        }
        if (format.equals("JPEG")) {
            checkScanCount(bytes, name);
        }
        // Ignoring metadata keeps the PNG reader from inflating text chunks, a decompression bomb's target.
        reader.setInput(in, false, true);
        TruncationWarnings truncation = new TruncationWarnings();
        reader.addIIOReadWarningListener(truncation);
        int width = reader.getWidth(0);
        int height = reader.getHeight(0);
        long pixels = (long) width * height;
        if (width < 1 || height < 1) {
            // TwelveMonkeys' TIFF reader reports an unsigned width above 2^31 as negative.
            throw new InvalidImageException(name, "its " + format + " header declares an impossible size of "
                    + width + "x" + height + "; the file is damaged");
        }
        if (pixels > maxPixels) {
            throw new InvalidImageException(name, "image is " + width + "x" + height + " = " + pixels
                    + " pixels, above the limit of " + maxPixels + "; downscale it or raise ImageCodec.Builder.maxPixels");
        }
        int step = target > 0 ? Math.max(1, Math.min(width, height) / (2 * target)) : 1;
        int readWidth = (width + step - 1) / step;
        int readHeight = (height + step - 1) / step;
        try (DecodeBudget.Reservation reserved = budget.reserve(decodeBytes(reader, (long) readWidth * readHeight), name,
                holding)) {
            ImageReadParam param = storedSamplesParam(reader, format, readWidth, readHeight);
            if (step > 1) {
                param.setSourceSubsampling(step, step, 0, 0);
            }
            BufferedImage image = reader.read(0, param);
            if (truncation.first != null) {
                throw new InvalidImageException(name, format + " data is truncated (" + truncation.first
                        + "); send the complete file");
            }
            RgbImage rgb = RgbImage.wrap(image.getWidth(), image.getHeight(), packedRgbOf(image));
            boolean mayHaveExif = !format.equals("BMP") && !format.equals("GIF");
            RgbImage result = mayHaveExif ? ExifOrientation.apply(ExifOrientation.read(bytes), rgb) : rgb;
            if (holding != null) {
                reserved.keep((long) result.width() * result.height() * 3, holding);
            }
            return result;
        }
    }

    /**
     * What decoding {@code pixels} pixels holds at its peak: the decoder's own image at its stored
     * sample size (up to 8 bytes a pixel for 16-bit RGBA), the packed RGB result and, for a rotated
     * image, its turned copy.
     */
    private static long decodeBytes(ImageReader reader, long pixels) throws IOException {
        ImageTypeSpecifier stored = reader.getRawImageType(0);
        long decoderBytes = 8;
        if (stored != null) {
            int bits = 0;
            for (int band = 0; band < stored.getSampleModel().getNumBands(); band++) {
                bits += stored.getSampleModel().getSampleSize(band);
            }
            decoderBytes = Math.max(1, (bits + 7) / 8);
        }
        return pixels * (decoderBytes + 3 + 3);
    }

    /**
     * Asks for RGB and gray samples as stored: TwelveMonkeys would otherwise convert a JPEG with an
     * embedded ICC profile to sRGB, which Pillow never does. A YCbCr or RGB JPEG is decoded straight into
     * {@link RgbImage}'s layout, which saves a copy of every pixel. CMYK and other spaces keep the
     * reader's default, a conversion to sRGB.
     */
    private static ImageReadParam storedSamplesParam(ImageReader reader, String format, int width, int height)
            throws IOException {
        ImageReadParam param = reader.getDefaultReadParam();
        ImageTypeSpecifier stored = reader.getRawImageType(0);
        if (stored == null) {
            return param;
        }
        ColorModel storedModel = stored.getColorModel();
        ColorSpace storedSpace = storedModel.getColorSpace();
        if (format.equals("JPEG") && storedSpace.getType() == ColorSpace.TYPE_RGB && storedModel.getNumComponents() == 3
                && storedModel.getTransferType() == DataBuffer.TYPE_BYTE
                && stored.getSampleModel().getNumBands() == 3 && stored.getSampleModel().getSampleSize(0) == 8) {
            param.setDestination(packedRgbDestination(storedSpace, width, height));
            return param;
        }
        boolean rgbOrGray = storedSpace.getType() == ColorSpace.TYPE_RGB || storedSpace.getType() == ColorSpace.TYPE_GRAY;
        Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0);
        if (rgbOrGray && types.hasNext() && !types.next().getColorModel().getColorSpace().equals(storedSpace)) {
            param.setDestinationType(stored);
        }
        return param;
    }

    /**
     * An image whose buffer is exactly a packed {@code R, G, B} array, in the stored colour space so
     * that no reader converts into it.
     */
    private static BufferedImage packedRgbDestination(ColorSpace space, int width, int height) {
        WritableRaster raster = Raster.createInterleavedRaster(
                new DataBufferByte(RgbImage.checkLength(width, height, -1)), width, height, width * 3, 3,
                new int[] {0, 1, 2}, null);
        ColorModel model = new ComponentColorModel(space, false, false, Transparency.OPAQUE, DataBuffer.TYPE_BYTE);
        return new BufferedImage(model, raster, false, null);
    }

    /** The packed RGB bytes of a decoded image: its own buffer when decoded into that layout, else a conversion. */
    private static byte[] packedRgbOf(BufferedImage image) {
        Raster raster = image.getRaster();
        if (image.getColorModel().getNumComponents() == 3 && !image.getColorModel().hasAlpha()
                && raster.getDataBuffer() instanceof DataBufferByte buffer
                && buffer.getNumBanks() == 1 && buffer.getOffset() == 0
                && raster.getSampleModel() instanceof java.awt.image.PixelInterleavedSampleModel layout
                && layout.getPixelStride() == 3 && layout.getScanlineStride() == image.getWidth() * 3
                && java.util.Arrays.equals(layout.getBandOffsets(), new int[] {0, 1, 2})
                && raster.getParent() == null && raster.getMinX() == 0 && raster.getMinY() == 0
                && buffer.getData().length == image.getWidth() * image.getHeight() * 3) {
            return buffer.getData();
        }
        return RasterToRgb.toRgb(image);
    }

    /**
     * libwebp refuses a file shorter than its RIFF header declares, but TwelveMonkeys decodes the
     * missing part of a lossless image as zeros, so the check is made here.
     */
    /**
     * A progressive JPEG is decoded scan by scan, each pass over the whole image; a file of a few
     * kilobytes can hold thousands of tiny scans and keep a decoder busy for minutes. Encoders write
     * about ten; more than {@value #MAX_JPEG_SCANS} is refused before decoding. Counts start-of-scan
     * markers: entropy-coded data stuffs every 0xFF byte, so the marker cannot occur inside a scan.
     */
    private static void checkScanCount(byte[] bytes, String name) {
        int scans = 0;
        for (int i = 0; i + 1 < bytes.length; i++) {
            if (bytes[i] == (byte) 0xFF && bytes[i + 1] == (byte) 0xDA && ++scans > MAX_JPEG_SCANS) {
                throw new InvalidImageException(name, "the JPEG has more than " + MAX_JPEG_SCANS
                        + " scans (encoders write about 10); re-encode it");
            }
        }
    }

    private static void checkRiffLength(byte[] bytes, String name) {
        if (bytes.length < 12) {
            throw new InvalidImageException(name, "WebP data is truncated: " + bytes.length
                    + " bytes is shorter than a RIFF header; send the complete file");
        }
        long declared = 8 + (ByteBuffer.wrap(bytes, 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xFFFFFFFFL);
        if (declared > bytes.length) {
            throw new InvalidImageException(name, "WebP data is truncated: its RIFF header declares " + declared
                    + " bytes but only " + bytes.length + " are present; send the complete file");
        }
    }

    /** The highest-priority reader of an accepted format that recognises the content. */
    private static ImageReader readerFor(ImageInputStream in) throws IOException {
        Iterator<ImageReaderSpi> providers = IIORegistry.getDefaultInstance()
                .getServiceProviders(ImageReaderSpi.class, true);
        while (providers.hasNext()) {
            ImageReaderSpi provider = providers.next();
            if (formatKey(provider) != null && recognises(provider, in)) {
                return provider.createReaderInstance();
            }
        }
        return null;
    }

    private static boolean recognises(ImageReaderSpi provider, ImageInputStream in) {
        try {
            in.mark();
            try {
                return provider.canDecodeInput(in);
            } finally {
                in.reset();
            }
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** {@return the key in {@link #FORMATS} for a provider, or null if it reads none of them} */
    private static String formatKey(ImageReaderSpi provider) {
        for (String formatName : provider.getFormatNames()) {
            String key = formatName.toLowerCase(Locale.ROOT);
            if (FORMATS.containsKey(key)) {
                return key;
            }
        }
        return null;
    }

    private InvalidImageException tooManyBytes(String name, long size) {
        return new InvalidImageException(name, "input is " + size + " bytes, above the limit of " + maxEncodedBytes
                + " bytes; send a smaller file or raise ImageCodec.Builder.maxEncodedBytes");
    }

    private static String hexPrefix(byte[] bytes) {
        StringBuilder hex = new StringBuilder();
        for (int i = 0; i < Math.min(8, bytes.length); i++) {
            hex.append(i == 0 ? "" : " ").append(String.format("%02x", bytes[i] & 0xFF));
        }
        return hex.toString();
    }

    /** The exception and its causes in one line, since decoders often wrap the telling one. */
    private static String describe(Throwable e) {
        List<String> parts = new ArrayList<>();
        for (Throwable t = e; t != null && parts.size() < 3; t = t.getCause()) {
            parts.add(t.getMessage() == null ? t.getClass().getSimpleName() : t.getClass().getSimpleName() + ": " + t.getMessage());
        }
        return String.join(", caused by ", parts);
    }

    /**
     * Encodes as PNG: 8-bit RGB, no metadata.
     *
     * @param image the image
     * @return the PNG file's bytes
     */
    public byte[] encodePng(RgbImage image) {
        return write(rgbView(image), "png", null);
    }

    /**
     * Encodes as PNG: 8-bit gray, no metadata.
     *
     * @param image the image, such as a mask
     * @return the PNG file's bytes
     */
    public byte[] encodePng(GrayImage image) {
        return write(grayView(image), "png", null);
    }

    /**
     * Encodes as baseline JPEG (JFIF, YCbCr 4:2:0) at quality 95.
     *
     * @param image the image
     * @return the JPEG file's bytes
     */
    public byte[] encodeJpeg(RgbImage image) {
        return encodeJpeg(image, DEFAULT_JPEG_QUALITY);
    }

    /**
     * Encodes as baseline JPEG (JFIF, YCbCr 4:2:0).
     *
     * @param image the image
     * @param quality 1-100, the libjpeg quality scale Pillow also uses
     * @return the JPEG file's bytes
     * @throws IllegalArgumentException if {@code quality} is outside 1-100
     */
    public byte[] encodeJpeg(RgbImage image, int quality) {
        if (quality < 1 || quality > 100) {
            throw new IllegalArgumentException("JPEG quality must be 1-100, got " + quality);
        }
        return write(rgbView(image), "jpeg", quality / 100f);
    }

    /**
     * Encodes an image with the JDK's writer for a format.
     *
     * @param quality JPEG quality 0-1, or null for the writer's default
     */
    private static byte[] write(BufferedImage image, String format, Float quality) {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName(format);
        if (!writers.hasNext()) {
            throw new IllegalStateException("no ImageIO writer for " + format + " on the class path");
        }
        ImageWriter writer = writers.next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            ImageWriteParam param = writer.getDefaultWriteParam();
            if (quality != null) {
                param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
                param.setCompressionQuality(quality);
            }
            writer.setOutput(out);
            writer.write(null, new IIOImage(image, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + format + " to memory failed", e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    /** A BufferedImage over the image's own storage (writers only read it), in R, G, B band order. */
    private static BufferedImage rgbView(RgbImage image) {
        ColorModel colorModel = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), false, false,
                Transparency.OPAQUE, DataBuffer.TYPE_BYTE);
        DataBufferByte buffer = new DataBufferByte(image.pixels(), image.pixels().length);
        WritableRaster raster = Raster.createInterleavedRaster(buffer, image.width(), image.height(),
                image.width() * 3, 3, new int[] {0, 1, 2}, null);
        return new BufferedImage(colorModel, raster, false, null);
    }

    private static BufferedImage grayView(GrayImage image) {
        ColorModel colorModel = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_GRAY), false, false,
                Transparency.OPAQUE, DataBuffer.TYPE_BYTE);
        DataBufferByte buffer = new DataBufferByte(image.pixels(), image.pixels().length);
        WritableRaster raster = Raster.createInterleavedRaster(buffer, image.width(), image.height(),
                image.width(), 1, new int[] {0}, null);
        return new BufferedImage(colorModel, raster, false, null);
    }

    /**
     * Options for {@link ImageCodec}; every setter returns this builder. Defaults suit photos from
     * phones and cameras uploaded to a service.
     */
    public static final class Builder {
        private long maxPixels = DEFAULT_MAX_PIXELS;
        private long maxEncodedBytes = DEFAULT_MAX_ENCODED_BYTES;
        private DecodeBudget budget = DecodeBudget.shared();

        private Builder() {}

        /**
         * The memory budget decodes reserve from before they read pixels; codecs given the same
         * budget share it. Default {@link DecodeBudget#shared()}, a quarter of the heap for the whole
         * process.
         *
         * @param budget the budget
         * @return this builder
         */
        public Builder budget(DecodeBudget budget) {
            this.budget = Objects.requireNonNull(budget, "budget");
            return this;
        }

        /**
         * The largest image accepted, in pixels ({@code width * height} as declared in the file's
         * header), checked before pixels are decoded. Decoding needs about 3 bytes per pixel for the
         * result plus up to 8 per pixel inside the decoder (16-bit RGBA). Default 50,000,000 (for
         * example 8660x5773).
         *
         * @param maxPixels 1 to 715,827,879 (the most an RGB byte array can hold)
         * @return this builder
         */
        public Builder maxPixels(long maxPixels) {
            long ceiling = MAX_ARRAY_LENGTH / 3;
            if (maxPixels < 1 || maxPixels > ceiling) {
                throw new IllegalArgumentException("maxPixels must be 1-" + ceiling + ", got " + maxPixels);
            }
            this.maxPixels = maxPixels;
            return this;
        }

        /**
         * The largest encoded input accepted, in bytes, checked before anything is parsed (and, for
         * files, before anything is read). Default 64 MiB (67,108,864 bytes).
         *
         * @param maxEncodedBytes 1 to 2,147,483,639 (the most a byte array can hold)
         * @return this builder
         */
        public Builder maxEncodedBytes(long maxEncodedBytes) {
            if (maxEncodedBytes < 1 || maxEncodedBytes > MAX_ARRAY_LENGTH) {
                throw new IllegalArgumentException(
                        "maxEncodedBytes must be 1-" + MAX_ARRAY_LENGTH + ", got " + maxEncodedBytes);
            }
            this.maxEncodedBytes = maxEncodedBytes;
            return this;
        }

        /** {@return a codec with these options} */
        public ImageCodec build() {
            return new ImageCodec(this);
        }
    }

    /** Collects warnings that mean the decoder ran out of data and filled the rest in. */
    private static final class TruncationWarnings implements IIOReadWarningListener {
        String first;

        @Override
        public void warningOccurred(ImageReader source, String warning) {
            String lower = warning.toLowerCase(Locale.ROOT);
            // TwelveMonkeys: "Truncated File - Missing EOI marker"; the JDK's libjpeg: "Premature end of JPEG file".
            if (first == null && (lower.contains("truncated") || lower.contains("premature end of jpeg file"))) {
                first = warning;
            }
        }
    }
}

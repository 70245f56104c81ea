package io.omoib.vton.core;

import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.preprocess.RgbImage;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

/**
 * Stores results as files in the seed server's layout,
 * {@code {root}/{userId}/{userId}_{clothType}_{timestamp}.jpg}. Each part of the name is sanitised
 * ({@link ResultName#sanitize}), so every file stays inside the root whatever a client sends. Writes
 * are atomic: the image goes to a hidden temporary file in the same folder, which is flushed to disk
 * and then renamed, so a reader never sees half an image and a failure leaves nothing behind.
 */
public final class LocalDirectorySink implements ResultSink {
    private final Path root;
    private final ImageFormat format;
    private final int jpegQuality;
    private final ImageCodec codec;

    private LocalDirectorySink(Builder b) {
        this.root = b.root.toAbsolutePath().normalize();
        this.format = b.format;
        this.jpegQuality = b.jpegQuality;
        this.codec = b.codec;
    }

    /**
     * @param root the output folder, such as {@code vton_output}; created when needed
     * @return a builder writing JPEG at quality 95
     */
    public static Builder builder(Path root) {
        return new Builder(root);
    }

    /** @return the absolute output folder */
    public Path root() {
        return root;
    }

    /**
     * @param name what names the result
     * @return the file {@link #write} stores it in
     */
    public Path fileFor(ResultName name) {
        String user = ResultName.sanitize(name.userId());
        Path file = root.resolve(user).resolve(user + "_" + name.clothType().id() + "_"
                + ResultName.sanitize(name.timestamp()) + "." + format.extension()).normalize();
        if (!file.startsWith(root)) {
            throw new IllegalStateException("sanitised name " + file + " escaped " + root);
        }
        return file;
    }

    @Override
    public URI write(ResultName name, RgbImage image) throws IOException {
        Path file = fileFor(name);
        byte[] bytes = format.encode(image, codec, jpegQuality);
        Files.createDirectories(file.getParent());
        Path temp = Files.createTempFile(file.getParent(), "." + file.getFileName(), ".part");
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
        return file.toUri();
    }

    @Override
    public String toString() {
        return "LocalDirectorySink[" + root + ", " + format + "]";
    }

    /** Builds a {@link LocalDirectorySink}. */
    public static final class Builder {
        private final Path root;
        private ImageFormat format = ImageFormat.JPEG;
        private int jpegQuality = 95;
        private ImageCodec codec = ImageCodec.defaults();

        private Builder(Path root) {
            this.root = Objects.requireNonNull(root, "root");
        }

        /** @param value JPEG (default) or PNG */
        public Builder format(ImageFormat value) {
            format = Objects.requireNonNull(value, "format");
            return this;
        }

        /** @param value JPEG quality 1-100; default 95 */
        public Builder jpegQuality(int value) {
            if (value < 1 || value > 100) {
                throw new IllegalArgumentException("JPEG quality must be 1-100, got " + value);
            }
            jpegQuality = value;
            return this;
        }

        /** @param value the encoder; default {@link ImageCodec#defaults()} */
        public Builder codec(ImageCodec value) {
            codec = Objects.requireNonNull(value, "codec");
            return this;
        }

        /** @return the sink */
        public LocalDirectorySink build() {
            return new LocalDirectorySink(this);
        }
    }
}

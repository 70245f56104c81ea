package io.omoib.vton.service;

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
    private final ImageEncoding encoding;

    private LocalDirectorySink(Builder b) {
        this.root = b.root.toAbsolutePath().normalize();
        this.encoding = b.encoding;
    }

    /**
     * {@return a builder writing JPEG at quality 95}
     *
     * @param root the output folder, such as {@code vton_output}; created when needed
     */
    public static Builder builder(Path root) {
        return new Builder(root);
    }

    /** {@return the absolute output folder} */
    public Path root() {
        return root;
    }

    /**
     * {@return the file {@link #write} stores it in}
     *
     * @param name what names the result
     */
    public Path fileFor(ResultName name) {
        String user = ResultName.sanitize(name.userId());
        Path file = root.resolve(user).resolve(user + "_" + name.clothType().id() + "_"
                + ResultName.sanitize(name.timestamp()) + "." + encoding.format().extension()).normalize();
        if (!file.startsWith(root)) {
            throw new IllegalStateException("sanitised name " + file + " escaped " + root);
        }
        return file;
    }

    @Override
    public URI write(ResultName name, RgbImage image) throws IOException {
        Path file = fileFor(name);
        byte[] bytes = encoding.encode(image);
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
        return "LocalDirectorySink[" + root + ", " + encoding.format() + "]";
    }

    /** Builds a {@link LocalDirectorySink}. */
    public static final class Builder {
        private final Path root;
        private ImageEncoding encoding = ImageEncoding.DEFAULT;

        private Builder(Path root) {
            this.root = Objects.requireNonNull(root, "root");
        }

        /**
         * Sets the format.
         *
         * @param value JPEG (default) or PNG, at quality 95 for JPEG
         * @return this builder
         */
        public Builder format(ImageFormat value) {
            return encoding(ImageEncoding.of(value));
        }

        /**
         * Sets the encoding.
         *
         * @param value format, JPEG quality and encoder; default {@link ImageEncoding#DEFAULT}
         * @return this builder
         */
        public Builder encoding(ImageEncoding value) {
            encoding = Objects.requireNonNull(value, "encoding");
            return this;
        }

        /** {@return the sink} */
        public LocalDirectorySink build() {
            return new LocalDirectorySink(this);
        }
    }
}

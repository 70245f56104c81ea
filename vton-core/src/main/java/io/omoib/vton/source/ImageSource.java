package io.omoib.vton.source;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Where an encoded image comes from: a file, bytes in memory, an http(s) URL
 * ({@link UrlFetcher#source}) or an object store ({@code S3ImageSource} in vton-s3). Reading happens
 * when {@link #read()} is called, on the caller's thread, within the source's size and time limits.
 *
 * <p>Thread safety: implementations must allow {@link #read()} from any thread, and from several at
 * once: a service reads sources on its own fetch threads. The sources of this library (bytes, files,
 * URLs, S3 objects) are immutable and thread-safe.
 */
public interface ImageSource {
    /** The largest file {@link #file(Path)} reads by default: 64 MiB, as {@code ImageCodec}'s default. */
    long DEFAULT_MAX_FILE_BYTES = 64L << 20;

    /** {@return what to call the source in messages and logs; never carries credentials} */
    String name();

    /**
     * {@return the encoded image}
     *
     * @throws ImageSourceException if the source is missing, refused, too large or too slow
     * @throws IOException if reading fails otherwise
     */
    byte[] read() throws IOException;

    /**
     * The remote party a read waits on, for limits per party: {@code https://host:port} for a URL,
     * {@code s3://bucket} for an object. A service reads remote sources off its own threads and caps
     * how many reads of one origin run at once, so a slow host holds back only its own requests.
     *
     * @return the origin, or empty for a source that is read at once (bytes in memory, a file)
     */
    default Optional<String> origin() {
        return Optional.empty();
    }

    /**
     * Reads a stream to its end within a size limit, for sources that stream (files, object stores).
     *
     * @param in the stream, never read past {@code maxBytes + 1} bytes
     * @param maxBytes the most bytes accepted
     * @param name the source, for the error
     * @return everything the stream held
     * @throws ImageSourceException with {@code TOO_LARGE} beyond {@code maxBytes}
     * @throws IOException if reading fails
     */
    static byte[] readAtMost(InputStream in, long maxBytes, String name) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[64 << 10];
        for (int n; (n = in.read(buffer)) >= 0; ) {
            if (out.size() + (long) n > maxBytes) {
                throw ImageSourceException.tooLarge(name, maxBytes);
            }
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    /**
     * {@return a source of those bytes}
     *
     * @param bytes an encoded image, used as is (not copied)
     * @param name what to call it in messages, such as {@code "person_image"}
     */
    static ImageSource of(byte[] bytes, String name) {
        Objects.requireNonNull(bytes, "bytes");
        Objects.requireNonNull(name, "name");
        return new ImageSource() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public byte[] read() {
                return bytes;
            }

            @Override
            public String toString() {
                return name + " (" + bytes.length + " bytes)";
            }
        };
    }

    /**
     * {@return a source reading at most {@link #DEFAULT_MAX_FILE_BYTES}}
     *
     * @param file an image file, read in full when {@link #read()} is called
     */
    static ImageSource file(Path file) {
        Objects.requireNonNull(file, "file");
        return new ImageSource() {
            @Override
            public String name() {
                return file.toString();
            }

            @Override
            public byte[] read() throws IOException {
                try (InputStream in = Files.newInputStream(file)) {
                    return readAtMost(in, DEFAULT_MAX_FILE_BYTES, name());
                } catch (NoSuchFileException e) {
                    throw new ImageSourceException(ImageSourceException.Kind.NOT_FOUND, name(),
                            "no such file", e);
                }
            }

            @Override
            public String toString() {
                return name();
            }
        };
    }
}

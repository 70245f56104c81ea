package io.omoib.vton.examples;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The bundled sample pictures, as bytes and as files. */
final class Samples {
    static final String[] NAMES = {"person.jpg", "mask.png", "upper.jpg", "lower.jpg"};

    private Samples() {
    }

    static byte[] bytes(String name) {
        try (InputStream in = InputOptions.class.getResourceAsStream("samples/" + name)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes the four samples into a folder. */
    static Path copyTo(Path dir) throws IOException {
        for (String name : NAMES) {
            Files.write(dir.resolve(name), bytes(name));
        }
        return dir;
    }
}

package io.omoib.vton.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.omoib.vton.preprocess.ClothType;
import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.preprocess.RgbImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalDirectorySinkTest {
    private static final RgbImage IMAGE = RgbImage.filled(64, 48, 0x33, 0x66, 0xcc);

    @TempDir
    Path root;

    private static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).toList();
        }
    }

    @Test
    void writesTheSeedServersLayoutAsJpeg() throws IOException {
        LocalDirectorySink sink = LocalDirectorySink.builder(root).build();

        var location = sink.write(new ResultName("u42", ClothType.OVERALL, "1700000000123"), IMAGE);

        Path expected = root.resolve("u42/u42_overall_1700000000123.jpg");
        assertThat(Path.of(location)).isEqualTo(expected);
        byte[] bytes = Files.readAllBytes(expected);
        assertThat(bytes[0] & 0xff).isEqualTo(0xff);
        assertThat(bytes[1] & 0xff).isEqualTo(0xd8);
        assertThat(ImageCodec.defaults().decode(bytes, "result").width()).isEqualTo(64);
        assertThat(files(root)).containsExactly(expected);
    }

    @Test
    void pngIsLossless() throws IOException {
        LocalDirectorySink sink = LocalDirectorySink.builder(root).format(ImageFormat.PNG).build();

        Path file = Path.of(sink.write(new ResultName("u", ClothType.UPPER, "t"), IMAGE));

        assertThat(file.getFileName().toString()).isEqualTo("u_upper_t.png");
        assertThat(ImageCodec.defaults().decode(Files.readAllBytes(file), "png")).isEqualTo(IMAGE);
    }

    @Test
    void hostileNamesStayInsideTheRoot() throws IOException {
        LocalDirectorySink sink = LocalDirectorySink.builder(root).build();
        String[][] names = {{"../../etc", "../../passwd"}, {"..", ".."}, {"/abs/path", "a\\b"}, {"a\u0000b", "x:y"},
                {"é漢字", "😀"}, {"u".repeat(500), "t".repeat(500)}};
        for (String[] n : names) {
            Path file = Path.of(sink.write(new ResultName(n[0], ClothType.LOWER, n[1]), IMAGE));
            assertThat(file).startsWith(sink.root());
            assertThat(sink.root().relativize(file).getNameCount()).as(file.toString()).isEqualTo(2);
            assertThat(file.getFileName().toString()).hasSizeLessThanOrEqualTo(2 * ResultName.MAX_PART + 16);
        }
        assertThat(sink.root().relativize(sink.fileFor(new ResultName("../../etc", ClothType.LOWER, "t")))
                .toString()).matches("_\\.\\._\\.\\._etc-[0-9a-f]{12}/_\\.\\._\\.\\._etc-[0-9a-f]{12}_lower_t\\.jpg");
        assertThat(files(root)).hasSize(names.length);
    }

    @Test
    void namesThatSanitiseAlikeStillNameDifferentFiles() {
        LocalDirectorySink sink = LocalDirectorySink.builder(root).build();
        String[] users = {"a/b", "a_b", "a:b", "a b", "x".repeat(101), "x".repeat(102), "x".repeat(100) + "y", ".a", "_.a"};
        Set<Path> files = new HashSet<>();
        for (String user : users) {
            files.add(sink.fileFor(new ResultName(user, ClothType.UPPER, "t")));
        }
        assertThat(files).hasSize(users.length);
        // a name that is already safe is kept as it is
        assertThat(sink.fileFor(new ResultName("user-1.x_y", ClothType.UPPER, "1732900000")))
                .isEqualTo(sink.root().resolve("user-1.x_y/user-1.x_y_upper_1732900000.jpg"));
    }

    @Test
    void aFailedWriteLeavesNothingBehindAndKeepsTheOldFile() throws IOException {
        LocalDirectorySink sink = LocalDirectorySink.builder(root).build();
        ResultName name = new ResultName("u", ClothType.UPPER, "t");
        Path file = sink.fileFor(name);
        // a non-empty folder where the file should go makes the final rename fail
        Files.createDirectories(file.resolve("occupied"));

        assertThatThrownBy(() -> sink.write(name, IMAGE)).isInstanceOf(IOException.class);

        assertThat(files(root)).isEmpty();
    }

    @Test
    void replacesAnEarlierResultWhole() throws IOException {
        LocalDirectorySink sink = LocalDirectorySink.builder(root).format(ImageFormat.PNG).build();
        ResultName name = new ResultName("u", ClothType.UPPER, "t");
        sink.write(name, RgbImage.filled(8, 8, 0, 0, 0));

        Path file = Path.of(sink.write(name, IMAGE));

        assertThat(ImageCodec.defaults().decode(Files.readAllBytes(file), "png")).isEqualTo(IMAGE);
        assertThat(files(root)).containsExactly(file);
    }
}

package io.omoib.vton.source;

import io.omoib.vton.source.ImageSourceException.Kind;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageSourcesTest {
    private static final ImageSources SERVER = ImageSources.builder().build();

    @TempDir
    Path dir;

    private static void assertRefused(ImageSources sources, String spec, String messagePart) {
        assertThatThrownBy(() -> sources.resolve(spec, "person"))
                .isInstanceOfSatisfying(ImageSourceException.class, e -> assertThat(e.kind()).isEqualTo(Kind.REFUSED))
                .hasMessageContaining(messagePart);
    }

    @Test
    void filesAreRefusedUnlessAllowed() throws IOException {
        Path file = Files.write(dir.resolve("p.png"), new byte[] {1, 2, 3});

        assertRefused(SERVER, file.toString(), "is not a URL");
        assertRefused(SERVER, file.toUri().toString(), "unsupported source");
        ImageSources cli = ImageSources.builder().allowFiles(true).build();
        assertThat(cli.resolve(file.toString(), "person").read()).containsExactly(1, 2, 3);
        assertThat(cli.resolve(file.toUri().toString(), "person").read()).containsExactly(1, 2, 3);
    }

    @Test
    void otherSchemesAreRefusedNamingTheAcceptedOnes() {
        for (String spec : new String[] {"ftp://example.com/a.jpg", "jar:file:/x.jar!/a.png", "gopher://h/",
                "data:image/png;base64,AAAA", "javascript:alert(1)"}) {
            assertRefused(SERVER, spec, "use one of: http(s) URL");
        }
    }

    @Test
    void registeredSchemesOpenTheirUris() throws IOException {
        ImageSources sources = ImageSources.builder()
                .scheme("mem", uri -> ImageSource.of(uri.getPath().getBytes(), uri.toString())).build();

        assertThat(sources.resolve("MEM://bucket/key.png", "mask").read()).isEqualTo("/key.png".getBytes());
        assertRefused(sources, "ftp://x/y", "use one of: http(s) URL, mem:// URI");
    }

    @Test
    void emptyOverlongAndMalformedSpecsAreRefused() {
        assertRefused(SERVER, "  ", "no image given");
        assertRefused(SERVER, "https://example.com/" + "a".repeat(9000), "limit is 8192");
        assertRefused(SERVER, "http://exa mple.com/a.jpg", "not a valid URL");
        assertRefused(SERVER, "http:///nohost", "no host name");
    }

    @Test
    void missingFilesAreNotFound() {
        ImageSources cli = ImageSources.builder().allowFiles(true).build();

        assertThatThrownBy(() -> cli.resolve(dir.resolve("nope.png").toString(), "mask").read())
                .isInstanceOfSatisfying(ImageSourceException.class, e -> assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND))
                .hasMessageContaining("nope.png");
    }
}

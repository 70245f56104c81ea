package io.omoib.vton.examples;

import ai.djl.Device;
import io.omoib.vton.s3.AwsSettings;
import io.omoib.vton.s3.S3ImageSource;
import io.omoib.vton.source.ImageSources;
import io.omoib.vton.source.UrlFetcher;
import io.omoib.vton.source.UrlPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/** What the commands read from the process: the bundled model, the URL policy, devices. */
final class Environment {
    /** The bundled toy model, relative to the repository root. */
    static final String TOY_MODEL = "models/toy-catvton";

    private Environment() {
    }

    /** {@return the value of a system property, else of an environment variable, else {@code null}} */
    static String setting(Map<String, String> env, String variable, String property) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            value = env.get(variable);
        }
        return value == null || value.isBlank() ? null : value.strip();
    }

    /**
     * {@return the bundled toy model: under {@code vton.home} (set by {@code ./vton}), else in the
     * nearest parent of the working directory that has it; {@code null} when there is none}
     */
    static Path bundledModel() {
        String home = System.getProperty("vton.home");
        if (home != null && Files.isDirectory(Path.of(home, TOY_MODEL))) {
            return Path.of(home, TOY_MODEL);
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve(TOY_MODEL))) {
                return dir.resolve(TOY_MODEL);
            }
        }
        return null;
    }

    /**
     * Builds the image sources a command or the server reads inputs with.
     *
     * @param env the environment ({@code VTON_URL_ALLOW} widens the URL policy)
     * @param aws opens {@code s3://} sources with its client
     * @param files whether plain paths may be read (the CLI: yes; the server: never)
     * @return sources for http(s), s3 and, if allowed, files
     */
    static ImageSources sources(Map<String, String> env, AwsSettings aws, boolean files) {
        UrlPolicy.Builder policy = UrlPolicy.builder();
        String allow = setting(env, "VTON_URL_ALLOW", "vton.url.allow");
        if (allow != null) {
            policy.allowAll(allow);
        }
        ImageSources.Builder sources = ImageSources.builder()
                .fetcher(UrlFetcher.builder().policy(policy.build()).build())
                .allowFiles(files);
        return aws.addS3Sources(sources, S3ImageSource.DEFAULT_MAX_BYTES).build();
    }

    /**
     * Parses a device option.
     *
     * @param text {@code cpu}, {@code gpu} or {@code gpu:i}
     * @return the DJL device
     * @throws BadInputException for anything else
     */
    static Device device(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        if (t.equals("cpu")) {
            return Device.cpu();
        }
        if (t.equals("gpu")) {
            return Device.gpu();
        }
        if (t.matches("gpu:\\d{1,3}")) {
            return Device.gpu(Integer.parseInt(t.substring(4)));
        }
        throw new BadInputException("--device", "--device must be cpu, gpu or gpu:N, got '" + text + "'");
    }
}

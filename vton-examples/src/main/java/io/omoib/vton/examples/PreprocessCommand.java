package io.omoib.vton.examples;

import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.preprocess.TryOnImages;
import io.omoib.vton.s3.AwsSettings;
import io.omoib.vton.service.RequestPreparer;
import io.omoib.vton.service.TryOnRequest;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vton preprocess}: the three images exactly as the pipeline receives them. */
@Command(name = "preprocess", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Writes person.png, mask.png and garment.png exactly as the pipeline receives them.",
                "With no images given, prepares the bundled samples."})
final class PreprocessCommand implements Callable<Integer> {
    /** This command's picocli spec, injected by picocli (its output streams and usage). */
    @Spec
    CommandSpec spec;

    /**
     * The input image options ({@code --person}, {@code --mask}, {@code --upper}, {@code --lower},
     * {@code --cloth-type}).
     */
    @Mixin
    InputOptions inputs;

    /** {@code --width}: Width, a multiple of 64. */
    @Option(names = "--width", paramLabel = "W", defaultValue = "768", description = "Width, a multiple of 64 (default: ${DEFAULT-VALUE}).")
    int width;

    /** {@code --height}: Height, a multiple of 64. */
    @Option(names = "--height", paramLabel = "H", defaultValue = "1024", description = "Height, a multiple of 64 (default: ${DEFAULT-VALUE}).")
    int height;

    /** {@code --out}: Folder for the three PNGs. */
    @Option(names = "--out", paramLabel = "DIR", defaultValue = "vton_output/prepared",
            description = "Folder for the three PNGs (default: ${DEFAULT-VALUE}).")
    Path out;

    @Override
    public Integer call() throws IOException {
        ImageCodec codec = ImageCodec.defaults();
        TryOnImages prepared;
        try (AwsSettings aws = AwsSettings.fromEnvironment()) {
            TryOnRequest request = inputs.request(Environment.sources(System.getenv(), aws, true)).build();
            prepared = new RequestPreparer(codec).prepare(request, width, height);
        }
        Files.createDirectories(out);
        Files.write(out.resolve("person.png"), codec.encodePng(prepared.person()));
        Files.write(out.resolve("mask.png"), codec.encodePng(prepared.mask()));
        Files.write(out.resolve("garment.png"), codec.encodePng(prepared.garment()));
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.println(out.resolve("person.png"));
        stdout.println(out.resolve("mask.png"));
        stdout.println(out.resolve("garment.png"));
        return 0;
    }
}

package io.omoib.vton.examples;

import io.omoib.vton.pipeline.CatVTONPipeline;
import io.omoib.vton.pipeline.RunTimings;
import io.omoib.vton.pipeline.StepListener;
import io.omoib.vton.pipeline.TryOnParameters;
import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.preprocess.RgbImage;
import io.omoib.vton.preprocess.TryOnImages;
import io.omoib.vton.s3.AwsSettings;
import io.omoib.vton.service.ImageEncoding;
import io.omoib.vton.service.ImageFormat;
import io.omoib.vton.service.LocalDirectorySink;
import io.omoib.vton.service.ResultName;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vton tryon}: one try-on, from files, URLs or s3:// objects, to a file. */
@Command(name = "tryon", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs one try-on and writes the result.",
                "With no images given, runs the bundled samples (a drawn figure, a shirt and trousers)."})
final class TryOnCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    InputOptions inputs;

    @Mixin
    ModelOptions model;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "15", description = "DDIM steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--guidance", paramLabel = "G", defaultValue = "2.5",
            description = "Classifier-free guidance scale; 1 or less turns it off (default: ${DEFAULT-VALUE}).")
    float guidance;

    @Option(names = "--eta", paramLabel = "E", defaultValue = "1.0", description = "DDIM eta, 0 to 1 (default: ${DEFAULT-VALUE}).")
    float eta;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--repaint", description = "Keep the original person outside a blurred mask.")
    boolean repaint;

    @Option(names = "--grid", description = "Also write person | garment | result side by side, as NAME_grid.jpg.")
    boolean grid;

    @Option(names = "--user", paramLabel = "ID", defaultValue = "local",
            description = "User id naming the result in an output folder (default: ${DEFAULT-VALUE}).")
    String user;

    @Option(names = "--out", paramLabel = "FILE|DIR", defaultValue = "vton_output",
            description = {"A .jpg or .png file, or a folder that gets {user}/{user}_{cloth-type}_{timestamp}.jpg",
                    "(default: ${DEFAULT-VALUE})."})
    Path out;

    @Override
    public Integer call() throws IOException {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter stderr = spec.commandLine().getErr();
        TryOnParameters parameters;
        try {
            parameters = TryOnParameters.builder().steps(steps).guidance(guidance).eta(eta).seed(seed)
                    .repaint(repaint).build();
        } catch (IllegalArgumentException e) {
            throw new BadInputException(null, e.getMessage());
        }
        ImageCodec codec = ImageCodec.defaults();
        long started = System.nanoTime();
        InputOptions.Decoded decoded;
        try (AwsSettings aws = AwsSettings.fromEnvironment()) {
            decoded = inputs.decode(Environment.sources(System.getenv(), aws, true), codec);
        }
        try (CatVTONPipeline pipeline = model.pipeline(Environment.bundledModel()).build()) {
            TryOnImages prepared = decoded.prepare(pipeline.artifact().width(), pipeline.artifact().height());
            long preparedAt = System.nanoTime();
            RunTimings[] timings = new RunTimings[1];
            StepListener bar = System.console() != null ? new ProgressBar(stderr) : StepListener.NONE;
            RgbImage result = pipeline.runBatch(List.of(prepared), List.of(parameters), new StepListener() {
                @Override
                public void onStep(int step, int total) {
                    bar.onStep(step, total);
                }

                @Override
                public void onFinished(RunTimings t) {
                    timings[0] = t;
                }
            }).get(0);
            Path file = write(result, decoded);
            stdout.println(file);
            if (grid) {
                Path gridFile = file.resolveSibling(file.getFileName().toString().replaceFirst("\\.[^.]+$", "") + "_grid.jpg");
                Files.write(gridFile, codec.encodeJpeg(grid(prepared, result)));
                stdout.println(gridFile);
            }
            RunTimings t = timings[0];
            stdout.printf(Locale.ROOT, "%s, %d steps: prepare %.0f ms, encode %.0f ms, denoise %.0f ms (%.1f it/s),"
                            + " decode %.0f ms, total %.0f ms%n", pipeline.variant().id(), steps,
                    (preparedAt - started) / 1e6, t.encode() / 1e6, t.denoise() / 1e6, steps / (t.denoise() / 1e9),
                    t.decode() / 1e6, (System.nanoTime() - started) / 1e6);
        }
        return 0;
    }

    private Path write(RgbImage result, InputOptions.Decoded decoded) throws IOException {
        String name = out.getFileName() == null ? "" : out.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".jpg") || name.endsWith(".jpeg") || name.endsWith(".png")) {
            ImageFormat format = name.endsWith(".png") ? ImageFormat.PNG : ImageFormat.JPEG;
            Path parent = out.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Files.write(out, ImageEncoding.of(format).encode(result));
            return out;
        }
        LocalDirectorySink sink = LocalDirectorySink.builder(out).build();
        return Path.of(sink.write(new ResultName(user, decoded.clothType(), Long.toString(System.currentTimeMillis())),
                result));
    }

    /** The prepared person, the garment and the result in a row. */
    static RgbImage grid(TryOnImages prepared, RgbImage result) {
        int w = prepared.width();
        int h = prepared.height();
        byte[] row = new byte[3 * w * h * 3];
        RgbImage[] panels = {prepared.person(), prepared.garment(), result};
        for (int p = 0; p < panels.length; p++) {
            byte[] rgb = panels[p].toByteArray();
            for (int y = 0; y < h; y++) {
                System.arraycopy(rgb, y * w * 3, row, (y * 3 * w + p * w) * 3, w * 3);
            }
        }
        return RgbImage.of(3 * w, h, row);
    }
}

package io.omoib.vton.examples;

import io.omoib.vton.pipeline.CatVTONPipeline;
import io.omoib.vton.pipeline.InvalidParameterException;
import io.omoib.vton.pipeline.RunTimings;
import io.omoib.vton.pipeline.TryOnParameters;
import io.omoib.vton.preprocess.ClothType;
import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.preprocess.RgbImage;
import io.omoib.vton.preprocess.TryOnImages;
import io.omoib.vton.s3.AwsSettings;
import io.omoib.vton.service.ImageEncoding;
import io.omoib.vton.service.ImageFormat;
import io.omoib.vton.service.LocalDirectorySink;
import io.omoib.vton.service.ProgressListener;
import io.omoib.vton.service.RequestPreparer;
import io.omoib.vton.service.ResultName;
import io.omoib.vton.service.TryOnRequest;
import io.omoib.vton.service.TryOnResult;
import io.omoib.vton.service.TryOnService;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vton tryon}: one try-on, from files, URLs or s3:// objects, to a file. It goes through
 * {@link TryOnService}, the path every server request takes, with a queue of one.
 */
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
        } catch (InvalidParameterException e) {
            throw new BadInputException("--" + e.parameter().name().toLowerCase(Locale.ROOT), e.getMessage());
        }
        ImageCodec codec = ImageCodec.defaults();
        try (AwsSettings aws = AwsSettings.fromEnvironment();
             CatVTONPipeline pipeline = model.pipeline(Environment.bundledModel()).build();
             TryOnService service = TryOnService.builder().pipeline(pipeline).codec(codec).queueCapacity(1)
                     .ioThreads(1).build()) {
            TryOnRequest request = inputs.request(Environment.sources(System.getenv(), aws, true))
                    .parameters(parameters)
                    .progress(System.console() != null ? new ProgressBar(stderr) : ProgressListener.NONE)
                    .build();
            TryOnResult result = await(service.submit(request));
            Path file = write(result.image(), request.clothType());
            stdout.println(file);
            if (grid) {
                // the grid shows what the model saw: the inputs are read and prepared once more
                TryOnImages prepared = new RequestPreparer(codec).prepare(request, result.image().width(),
                        result.image().height());
                Path gridFile = file.resolveSibling(file.getFileName().toString().replaceFirst("\\.[^.]+$", "") + "_grid.jpg");
                Files.write(gridFile, codec.encodeJpeg(grid(prepared, result.image())));
                stdout.println(gridFile);
            }
            TryOnResult.Timings t = result.timings();
            RunTimings run = t.pipeline();
            stdout.printf(Locale.ROOT, "%s, %d steps: prepare %.0f ms, encode %.0f ms, denoise %.0f ms (%.1f it/s),"
                            + " decode %.0f ms, total %.0f ms%n", pipeline.variant().id(), steps,
                    t.prepare() / 1e6, run.encode() / 1e6, run.denoise() / 1e6, steps / (run.denoise() / 1e9),
                    run.decode() / 1e6, t.total() / 1e6);
        }
        return 0;
    }

    /** @return the result, or the failure as thrown by the service's parts */
    private static TryOnResult await(CompletableFuture<TryOnResult> future) throws IOException {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while waiting for the try-on");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException(cause);
        }
    }

    private Path write(RgbImage result, ClothType clothType) throws IOException {
        String name = out.getFileName() == null ? "" : out.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".jpg") || name.endsWith(".jpeg") || name.endsWith(".png")) {
            ImageFormat format = name.endsWith(".png") ? ImageFormat.PNG : ImageFormat.JPEG;
            Path parent = out.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Files.write(out, ImageEncoding.of(format).encode(result));
            return out;
        }
        LocalDirectorySink sink = LocalDirectorySink.builder(out).build();
        return Path.of(sink.write(new ResultName(user, clothType, Long.toString(System.currentTimeMillis())),
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

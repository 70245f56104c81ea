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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.ToLongFunction;
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
    /** This command's picocli spec, injected by picocli (its output streams and usage). */
    @Spec
    CommandSpec spec;

    /**
     * The input image options ({@code --person}, {@code --mask}, {@code --upper}, {@code --lower},
     * {@code --cloth-type}).
     */
    @Mixin
    InputOptions inputs;

    /** The model options ({@code --model}, {@code --device}, {@code --dtype}, {@code --threads}, {@code --tf32}). */
    @Mixin
    ModelOptions model;

    /** {@code --steps}: DDIM steps. */
    @Option(names = "--steps", paramLabel = "N", defaultValue = "15", description = "DDIM steps (default: ${DEFAULT-VALUE}).")
    int steps;

    /** {@code --guidance}: Classifier-free guidance scale; 1 or less turns it off. */
    @Option(names = "--guidance", paramLabel = "G", defaultValue = "2.5",
            description = "Classifier-free guidance scale; 1 or less turns it off (default: ${DEFAULT-VALUE}).")
    float guidance;

    /** {@code --eta}: DDIM eta, 0 to 1. */
    @Option(names = "--eta", paramLabel = "E", defaultValue = "1.0", description = "DDIM eta, 0 to 1 (default: ${DEFAULT-VALUE}).")
    float eta;

    /** {@code --seed}: Random seed. */
    @Option(names = "--seed", paramLabel = "S", defaultValue = "42", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    /** {@code --repaint}: Keep the original person outside a blurred mask. */
    @Option(names = "--repaint", description = "Keep the original person outside a blurred mask.")
    boolean repaint;

    /** {@code --grid}: Also write person | garment | result side by side, as NAME_grid.jpg. */
    @Option(names = "--grid", description = "Also write person | garment | result side by side, as NAME_grid.jpg.")
    boolean grid;

    /** {@code --user}: User id naming the result in an output folder. */
    @Option(names = "--user", paramLabel = "ID", defaultValue = "local",
            description = "User id naming the result in an output folder (default: ${DEFAULT-VALUE}).")
    String user;

    /**
     * {@code --runs}: Run the try-on N times, 1-1000, and print the first (cold) run's time apart from the median
     * of the others (warm).
     */
    @Option(names = "--runs", paramLabel = "N", defaultValue = "1",
            description = "Run the try-on N times, 1-1000, and print the first (cold) run's time apart from the "
                    + "median of the others (warm) (default: ${DEFAULT-VALUE}).")
    int runs;

    /** {@code --out}: A .jpg or .png file, or a folder that gets {user}/{user}_{cloth-type}_{timestamp}.jpg. */
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
        if (runs < 1 || runs > 1000) {
            throw new BadInputException("--runs", "--runs must be 1 to 1000, got " + runs);
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
            String run = pipeline.variant().id() + ", " + pipeline.threads() + (pipeline.threads() == 1 ? " thread, " : " threads, ")
                    + steps + " steps";
            List<TryOnResult.Timings> timings = new ArrayList<>();
            TryOnResult result = null;
            for (int i = 1; i <= runs; i++) {
                result = await(service.submit(request));
                timings.add(result.timings());
                if (runs > 1) {
                    stderr.println(run + ", run " + i + " of " + runs + (i == 1 ? " (cold)" : "") + ": "
                            + describe(result.timings()));
                    stderr.flush();
                }
            }
            Path file = write(result.image(), request.clothType());
            // after the result is written, so that a failure stays the only line on stderr
            ModelOptions.weightsWarning(pipeline.artifact()).ifPresent(warning -> {
                stderr.println(warning);
                stderr.flush();
            });
            stdout.println(file);
            if (grid) {
                // the grid shows what the model saw: the inputs are read and prepared once more
                TryOnImages prepared = new RequestPreparer(codec).prepare(request, result.image().width(),
                        result.image().height());
                Path gridFile = file.resolveSibling(file.getFileName().toString().replaceFirst("\\.[^.]+$", "") + "_grid.jpg");
                Files.write(gridFile, codec.encodeJpeg(grid(prepared, result.image())));
                stdout.println(gridFile);
            }
            if (runs == 1) {
                stdout.println(run + ": " + describe(timings.get(0)));
            } else {
                stdout.println(run + ", cold (run 1): " + describe(timings.get(0)));
                stdout.println(run + ", warm (median of runs 2-" + runs + "): " + describe(median(timings.subList(1, runs))));
            }
            model.dtypeNote().ifPresent(stdout::println);
            stdout.println("allocator: " + NativeAllocator.describe());
        }
        return 0;
    }

    /** {@return {@code prepare 338 ms, encode 1313 ms, denoise 4937 ms (6.1 it/s), decode 501 ms, total 7101 ms}} */
    private String describe(TryOnResult.Timings t) {
        RunTimings run = t.pipeline();
        return String.format(Locale.ROOT, "prepare %.0f ms, encode %.0f ms, denoise %.0f ms (%.1f it/s), decode %.0f ms,"
                        + " total %.0f ms", t.prepare() / 1e6, run.encode() / 1e6, run.denoise() / 1e6,
                steps / (run.denoise() / 1e9), run.decode() / 1e6, t.total() / 1e6);
    }

    /** {@return each part's median over the runs (so the parts need not add up to the total)} */
    private static TryOnResult.Timings median(List<TryOnResult.Timings> timings) {
        return new TryOnResult.Timings(median(timings, TryOnResult.Timings::prepare), median(timings, TryOnResult.Timings::queued),
                median(timings, TryOnResult.Timings::run), median(timings, TryOnResult.Timings::store),
                median(timings, TryOnResult.Timings::total),
                new RunTimings(median(timings, t -> t.pipeline().encode()), median(timings, t -> t.pipeline().denoise()),
                        median(timings, t -> t.pipeline().decode()), median(timings, t -> t.pipeline().modules()),
                        median(timings, t -> t.pipeline().total())));
    }

    private static long median(List<TryOnResult.Timings> timings, ToLongFunction<TryOnResult.Timings> part) {
        long[] values = timings.stream().mapToLong(part).sorted().toArray();
        return values.length % 2 == 1 ? values[values.length / 2]
                : (values[values.length / 2 - 1] + values[values.length / 2]) / 2;
    }

    /** {@return the result, or the failure as thrown by the service's parts} */
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

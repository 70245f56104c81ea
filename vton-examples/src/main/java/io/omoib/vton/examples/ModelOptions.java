package io.omoib.vton.examples;

import ai.djl.Device;
import io.omoib.vton.pipeline.CatVTONPipeline;
import io.omoib.vton.pipeline.DtypeChoice;
import io.omoib.vton.pipeline.ModelArtifact;
import io.omoib.vton.pipeline.WeightDtype;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/** The options that choose, load and run a model, shared by {@code tryon}, {@code serve} and {@code worker}. */
final class ModelOptions {
    /** {@code --model}: Model directory exported by tools/export. */
    @Option(names = "--model", paramLabel = "DIR",
            description = "Model directory exported by tools/export (default: the bundled toy model).")
    Path model;

    /** {@code --device}: Device to run on. */
    @Option(names = "--device", paramLabel = "cpu|gpu[:i]", defaultValue = "${env:VTON_DEVICE:-cpu}",
            description = "Device to run on (default: VTON_DEVICE, else cpu; now ${DEFAULT-VALUE}).")
    String device;

    /**
     * {@code --dtype}: Weight type of the model variant; auto picks float16 on a GPU, bfloat16 on a CPU with AMX,
     * float32 elsewhere.
     */
    @Option(names = "--dtype", paramLabel = "auto|float32|float16|bfloat16", defaultValue = "${env:VTON_DTYPE:-auto}",
            description = "Weight type of the model variant; auto picks float16 on a GPU, bfloat16 on a CPU with AMX, "
                    + "float32 elsewhere (default: VTON_DTYPE, else auto; now ${DEFAULT-VALUE}).")
    String dtype;

    /** {@code --threads}: Intra-op threads per run, 1-1024. */
    @Option(names = "--threads", paramLabel = "N", defaultValue = "${env:VTON_THREADS}",
            description = "Intra-op threads per run, 1-1024 (default: VTON_THREADS, else the processors available, "
                    + "at most libtorch's count of physical cores).")
    Integer threads;

    /** {@code --tf32}: Let float32 matrix products use TF32 on NVIDIA GPUs. */
    @Option(names = "--tf32", description = "Let float32 matrix products use TF32 on NVIDIA GPUs.")
    boolean tf32;

    /** What {@code --dtype auto} picked and why, once {@link #pipeline} has run with it; else null. */
    private String dtypeNote;

    /**
     * Reads the model options into a pipeline builder.
     *
     * @param fallback the model when {@code --model} is not given, or {@code null}
     * @return a builder for the chosen model, device, variant and threads
     * @throws BadInputException if there is no model or an option is invalid
     */
    CatVTONPipeline.Builder pipeline(Path fallback) {
        Path dir = model != null ? model : fallback;
        if (dir == null) {
            throw new BadInputException("--model", "no model: pass --model DIR (see tools/export/README.md)");
        }
        Device on = Environment.device(device);
        WeightDtype weights;
        if (dtype.strip().equalsIgnoreCase("auto")) {
            DtypeChoice choice = DtypeChoice.auto(ModelArtifact.load(dir), on);
            weights = choice.dtype();
            dtypeNote = "dtype " + weights.id() + " (auto: " + choice.reason() + ")";
        } else {
            try {
                weights = WeightDtype.parse(dtype);
            } catch (IllegalArgumentException e) {
                throw new BadInputException("--dtype", e.getMessage().replace("dtype must be one of ",
                        "--dtype must be auto or one of "));
            }
        }
        CatVTONPipeline.Builder builder = CatVTONPipeline.builder()
                .modelDirectory(dir)
                .device(on)
                .weightDtype(weights)
                .useTf32(tf32);
        if (threads != null) {
            if (threads < 1 || threads > 1024) {
                throw new BadInputException("--threads", "--threads must be 1 to 1024, got " + threads);
            }
            builder.threads(threads);
        }
        return builder;
    }

    /**
     * The warning for a test model, for {@code tryon}'s output and for the logs of {@code serve} and {@code worker}.
     *
     * @param artifact the model that runs
     * @return one line saying that its output is no try-on, or empty for a model of trained weights
     */
    static Optional<String> weightsWarning(ModelArtifact artifact) {
        return switch (artifact.weights()) {
            case TRAINED -> Optional.empty();
            case RANDOM -> Optional.of("warning: model " + artifact.name() + " has random weights (a test model): its"
                    + " output is noise, not a try-on; export CatVTON with tools/export for real results (docs/GPU.md)");
            case ANALYTIC -> Optional.of("warning: model " + artifact.name() + " is a test stand-in, not CatVTON: it"
                    + " pastes the garments into the mask's box; export CatVTON with tools/export for real results"
                    + " (docs/GPU.md)");
        };
    }

    /** {@return what {@code --dtype auto} picked and why, as one line, or empty when the dtype was given} */
    Optional<String> dtypeNote() {
        return Optional.ofNullable(dtypeNote);
    }
}

package io.omoib.vton.examples;

import io.omoib.vton.pipeline.CatVTONPipeline;
import io.omoib.vton.pipeline.WeightDtype;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options that choose and load a model, shared by {@code tryon}, {@code serve} and {@code worker}. */
final class ModelOptions {
    @Option(names = "--model", paramLabel = "DIR",
            description = "Model directory exported by tools/export (default: the bundled toy model).")
    Path model;

    @Option(names = "--device", paramLabel = "cpu|gpu[:i]", defaultValue = "${env:VTON_DEVICE:-cpu}",
            description = "Device to run on (default: VTON_DEVICE, else cpu; now ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--dtype", paramLabel = "float32|float16|bfloat16", defaultValue = "${env:VTON_DTYPE:-float32}",
            description = "Weight type of the model variant (default: VTON_DTYPE, else float32; now ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--tf32", description = "Let float32 matrix products use TF32 on NVIDIA GPUs.")
    boolean tf32;

    /**
     * @param fallback the model when {@code --model} is not given, or {@code null}
     * @return a builder for the chosen model, device and variant
     * @throws BadInputException if there is no model or an option is invalid
     */
    CatVTONPipeline.Builder pipeline(Path fallback) {
        Path dir = model != null ? model : fallback;
        if (dir == null) {
            throw new BadInputException("--model", "no model: pass --model DIR (see tools/export/README.md)");
        }
        WeightDtype weights;
        try {
            weights = WeightDtype.parse(dtype);
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--dtype", e.getMessage());
        }
        return CatVTONPipeline.builder()
                .modelDirectory(dir)
                .device(Environment.device(device))
                .weightDtype(weights)
                .useTf32(tf32);
    }
}

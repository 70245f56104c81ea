package io.omoib.vton.benchmarks;

import io.omoib.vton.pipeline.CatVTONPipeline;
import io.omoib.vton.pipeline.PipelineInput;
import io.omoib.vton.pipeline.RunTimings;
import io.omoib.vton.pipeline.StepListener;
import io.omoib.vton.pipeline.TryOnParameters;
import io.omoib.vton.preprocess.TryOnImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A pipeline run as the benchmarks time it: 768x1024 images, 15 steps, guidance 2.5, eta 1, seeds 42, 43, ... */
final class PipelineWork {
    static final int STEPS = 15;

    private final CatVTONPipeline pipeline;
    private final List<PipelineInput> inputs = new ArrayList<>();
    private RunTimings lastTimings;

    PipelineWork(Path modelDirectory, TryOnImages prepared, int batch) {
        this.pipeline = CatVTONPipeline.builder().modelDirectory(modelDirectory).build();
        for (int i = 0; i < batch; i++) {
            inputs.add(new PipelineInput(prepared, TryOnParameters.builder().steps(STEPS).seed(42 + i).build()));
        }
    }

    /** The bundled model called {@code name} ("toy" or "mini"), looked up from the working directory up. */
    static Path bundledModel(String name) {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("models"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("run from the repository: no models/ folder above " + Path.of("").toAbsolutePath());
        }
        return dir.resolve("models").resolve(name + "-catvton");
    }

    /** Runs the batch once and keeps its timings. */
    void run() {
        lastTimings = pipeline.runBatch(inputs, StepListener.NONE).timings();
    }

    RunTimings lastTimings() {
        return lastTimings;
    }

    void close() {
        pipeline.close();
    }
}

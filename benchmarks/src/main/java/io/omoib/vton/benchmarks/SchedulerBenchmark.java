package io.omoib.vton.benchmarks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.omoib.vton.pipeline.DdimScheduler;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One DDIM step (diffusers' settings, eta 1 with its variance noise) on a 768x1024 try-on's latent,
 * {@code [1,4,256,96]} (person and garment latents stacked along the height): the sampler arithmetic
 * the pipeline does between UNet calls.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Dai.djl.pytorch.graph_optimizer=false"})
public class SchedulerBenchmark {
    private NDManager manager;
    private DdimScheduler.Schedule schedule;
    private NDArray sample;
    private NDArray modelOutput;
    private NDArray noise;

    @Setup
    public void setUp() {
        manager = NDManager.newBaseManager();
        schedule = DdimScheduler.builder().build().schedule(PipelineWork.STEPS);
        Shape latent = new Shape(1, 4, 256, 96);
        sample = manager.randomNormal(latent);
        modelOutput = manager.randomNormal(latent);
        noise = manager.randomNormal(latent);
    }

    @TearDown
    public void tearDown() {
        manager.close();
    }

    @Benchmark
    public float ddimStep() {
        try (NDManager step = manager.newSubManager()) {
            sample.tempAttach(step);
            NDArray next = schedule.step(PipelineWork.STEPS / 2, modelOutput, sample, 1f, noise);
            return next.getFloat(0, 0, 0, 0);
        }
    }
}

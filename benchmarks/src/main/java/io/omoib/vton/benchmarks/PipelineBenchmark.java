package io.omoib.vton.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One try-on batch with the bundled toy and mini models at 768x1024, 15 steps, guidance 2.5, eta 1,
 * batch 1 and 4, on the CPU with libtorch's default threads. Run from the repository root, which
 * holds {@code models/}. At the end of each configuration it prints the overhead factor, the
 * pipeline's wall time over the time inside the three modules (target: at most 1.05 on a real model;
 * the toy's modules are nearly free, so its factor says nothing).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Dai.djl.pytorch.graph_optimizer=false"})
public class PipelineBenchmark {
    @Param({"toy", "mini"})
    public String model;

    @Param({"1", "4"})
    public int batch;

    private PipelineWork work;
    private final List<Double> overheads = new ArrayList<>();

    @Setup
    public void setUp() {
        work = new PipelineWork(PipelineWork.bundledModel(model), PreprocessWork.synthetic().prepare(), batch);
    }

    @TearDown
    public void tearDown() {
        work.close();
        double[] sorted = overheads.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        System.out.printf(Locale.ROOT, "%n%s batch %d: overhead (total / modules), median of %d runs: %.3f%n",
                model, batch, sorted.length, sorted[sorted.length / 2]);
    }

    @Benchmark
    public void tryOnBatch() {
        work.run();
        overheads.add(work.lastTimings().overhead());
    }
}

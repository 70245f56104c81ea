package io.omoib.vton.benchmarks;

import io.omoib.vton.pipeline.CatVTONPipeline;
import io.omoib.vton.pipeline.TryOnParameters;
import io.omoib.vton.preprocess.ClothType;
import io.omoib.vton.service.TryOnRequest;
import io.omoib.vton.service.TryOnResult;
import io.omoib.vton.service.TryOnService;
import io.omoib.vton.source.ImageSource;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link TryOnService} throughput, try-ons per second, with 8 threads each submitting an overall
 * try-on (768x1024, 15 steps, from JPEG bytes: decoding and preparation included) and waiting for it,
 * with the toy model, at {@code maxBatch} 1 and 4. The mini model's numbers come from
 * {@code ServiceThroughput}, which takes minutes per configuration.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1, time = 5)
@Measurement(iterations = 3, time = 5)
@Threads(8)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Dai.djl.pytorch.graph_optimizer=false"})
public class ServiceBenchmark {
    @Param({"1", "4"})
    public int maxBatch;

    private final AtomicInteger seeds = new AtomicInteger();
    private PreprocessWork inputs;
    private CatVTONPipeline pipeline;
    private TryOnService service;

    @Setup
    public void setUp() {
        inputs = PreprocessWork.synthetic();
        pipeline = CatVTONPipeline.builder().modelDirectory(PipelineWork.bundledModel("toy")).build();
        service = TryOnService.builder().pipeline(pipeline).maxBatch(maxBatch).maxWait(Duration.ofMillis(50))
                .queueCapacity(16).build();
    }

    @TearDown
    public void tearDown() {
        service.close();
        pipeline.close();
    }

    @Benchmark
    public TryOnResult tryOn() throws ExecutionException, InterruptedException {
        return service.submit(TryOnRequest.builder()
                .person(ImageSource.of(inputs.encoded(0), "person"))
                .mask(ImageSource.of(inputs.encoded(1), "mask"))
                .upper(ImageSource.of(inputs.encoded(2), "upper"))
                .lower(ImageSource.of(inputs.encoded(3), "lower"))
                .clothType(ClothType.OVERALL)
                .parameters(TryOnParameters.builder().steps(PipelineWork.STEPS).seed(seeds.incrementAndGet()).build())
                .build()).get();
    }
}

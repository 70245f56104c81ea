package io.omoib.vton.benchmarks;

import io.omoib.vton.preprocess.Resize;
import io.omoib.vton.preprocess.RgbImage;
import io.omoib.vton.preprocess.TryOnImages;
import java.nio.file.Path;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Preprocessing cost on one thread: decoding and preparing a person/mask/upper/lower set from JPEG
 * bytes to 768x1024, and the Lanczos resize alone (1200x1600 person to 768x1024).
 *
 * <p>Inputs come from the folder in system property {@code vton.bench.inputs} when set (the
 * comparison script passes the JPEGs it also gives Pillow), else synthetic JPEGs of the same sizes.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class PreprocessBenchmark {
    private PreprocessWork work;
    private RgbImage person;

    @Setup
    public void setUp() {
        String folder = System.getProperty("vton.bench.inputs");
        work = folder == null ? PreprocessWork.synthetic() : PreprocessWork.fromFolder(Path.of(folder));
        person = work.decodedPerson();
    }

    @Benchmark
    public TryOnImages decodeAndPrepare() {
        return work.prepare();
    }

    @Benchmark
    public RgbImage lanczos() {
        return Resize.lanczos(person, 768, 1024);
    }
}

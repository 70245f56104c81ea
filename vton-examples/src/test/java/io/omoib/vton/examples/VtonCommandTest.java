package io.omoib.vton.examples;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import io.omoib.vton.pipeline.DtypeChoice;
import io.omoib.vton.pipeline.ModelArtifact;
import io.omoib.vton.preprocess.ClothType;
import io.omoib.vton.preprocess.Garments;
import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.preprocess.RgbImage;
import io.omoib.vton.preprocess.TryOnImages;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code vton} commands through picocli, in-process. */
class VtonCommandTest {
    @TempDir
    Path dir;
    private Path in;

    /** What a run printed and returned. */
    record Run(int code, String out, String err) {
        List<String> errLines() {
            return err.lines().toList();
        }
    }

    static Run vton(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Vton.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    @BeforeEach
    void samples() throws IOException {
        in = Samples.copyTo(Files.createDirectories(dir.resolve("in")));
    }

    private String input(String name) {
        return in.resolve(name).toString();
    }

    @Test
    void tryonWithoutImagesRunsTheSamplesIntoTheOutputFolder() throws IOException {
        Run run = vton("tryon", "--steps", "3", "--out", dir.resolve("results").toString(), "--grid");

        assertThat(run.code()).as(run.err()).isZero();
        List<Path> written;
        try (Stream<Path> files = Files.walk(dir.resolve("results"))) {
            written = files.filter(Files::isRegularFile).sorted().toList();
        }
        assertThat(written).hasSize(2);
        Path result = written.get(0);
        assertThat(result.getParent().getFileName().toString()).isEqualTo("local");
        assertThat(result.getFileName().toString()).matches("local_overall_\\d+\\.jpg");
        assertThat(run.out()).startsWith(result.toString()).contains("3 steps", "denoise");
        RgbImage grid = ImageCodec.defaults().decode(written.get(1));
        assertThat(grid.width()).isEqualTo(3 * 768);
        assertThat(run.errLines()).containsExactly("warning: model toy-catvton is a test stand-in, not CatVTON: it pastes"
                + " the garments into the mask's box; export CatVTON with tools/export for real results (docs/GPU.md)");
    }

    @Test
    void theSamplesOfAnUpperTryOnKeepTheTrousers() throws IOException {
        Path out = dir.resolve("upper.png");
        Run run = vton("tryon", "--cloth-type", "upper", "--steps", "2", "--dtype", "float32", "--out", out.toString());

        assertThat(run.code()).as(run.err()).isZero();
        RgbImage result = ImageCodec.defaults().decode(out);
        // the figure (600x800) is scaled by 1.28: its trousers at (250, 625) land at (320, 800), outside the
        // upper-body mask, so they stay as dark as in the photo; the full-outfit mask would have painted them
        int legs = result.rgb(320, 800);
        assertThat(Math.max((legs >> 16) & 0xFF, Math.max((legs >> 8) & 0xFF, legs & 0xFF))).isLessThan(100);
        // the sweater at (300, 300) is inside it and gets the red shirt
        int chest = result.rgb(384, 384);
        assertThat((chest >> 16) & 0xFF).isGreaterThan((chest & 0xFF) + 50);
    }

    @Test
    void aModelOfRandomWeightsIsCalledNoiseOnceAfterTheResult() {
        Path tiny = Environment.bundledModel().resolveSibling("diffusers-tiny-catvton");
        Run run = vton("tryon", "--model", tiny.toString(), "--steps", "1", "--dtype", "float32", "--out",
                dir.resolve("noise.jpg").toString());

        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.errLines()).containsExactly("warning: model diffusers-tiny-catvton has random weights (a test"
                + " model): its output is noise, not a try-on; export CatVTON with tools/export for real results"
                + " (docs/GPU.md)");
    }

    @Test
    void preprocessWithoutImagesPreparesTheSamplesWithTheMaskOfTheClothType() throws IOException {
        Path out = dir.resolve("prepared");
        Run run = vton("preprocess", "--cloth-type", "lower", "--out", out.toString());

        assertThat(run.code()).as(run.err()).isZero();
        ImageCodec codec = ImageCodec.defaults();
        TryOnImages expected = TryOnImages.prepare(codec.decode(in.resolve("person.jpg")),
                codec.decode(Samples.bytes("mask-lower.png"), "mask"), Garments.lower(codec.decode(in.resolve("lower.jpg"))),
                ClothType.LOWER, 768, 1024);
        assertThat(codec.decode(out.resolve("garment.png"))).isEqualTo(expected.garment());
        RgbImage mask = codec.decode(out.resolve("mask.png"));
        assertThat(mask).isEqualTo(expected.mask().toRgb());
        assertThat(mask.rgb(320, 800) & 0xFF).as("the trousers").isEqualTo(255);
        assertThat(mask.rgb(384, 384) & 0xFF).as("the sweater").isZero();
    }

    @Test
    void tryonWritesTheRequestedFileAndTheSeedMatters() throws IOException {
        Path out = dir.resolve("upper.png");
        Run run = vton("tryon", "--person", input("person.jpg"), "--mask", input("mask.png"), "--upper",
                input("upper.jpg"), "--cloth-type", "upper", "--seed", "7", "--steps", "4", "--out", out.toString());
        Run again = vton("tryon", "--person", input("person.jpg"), "--mask", input("mask.png"), "--upper",
                input("upper.jpg"), "--cloth-type", "upper", "--seed", "8", "--steps", "4", "--out",
                dir.resolve("seed8.png").toString());

        assertThat(run.code()).as(run.err()).isZero();
        assertThat(again.code()).isZero();
        RgbImage first = ImageCodec.defaults().decode(out);
        assertThat(first.width()).isEqualTo(768);
        assertThat(first).isNotEqualTo(ImageCodec.defaults().decode(dir.resolve("seed8.png")));
    }

    @Test
    void tryonSaysWhichDtypeAutoPickedAndWhy() {
        Run auto = vton("tryon", "--steps", "2", "--threads", "1", "--out", dir.resolve("auto.jpg").toString());
        Run given = vton("tryon", "--steps", "2", "--dtype", "float32", "--out", dir.resolve("given.jpg").toString());

        DtypeChoice expected = DtypeChoice.auto(ModelArtifact.load(Environment.bundledModel()), Device.cpu());
        assertThat(auto.code()).as(auto.err()).isZero();
        assertThat(auto.out()).contains("cpu-" + expected.dtype().id() + ", 1 thread, 2 steps: prepare ",
                "dtype " + expected.dtype().id() + " (auto: " + expected.reason() + ")");
        assertThat(given.code()).as(given.err()).isZero();
        assertThat(given.out()).contains("cpu-float32, ").doesNotContain("auto:");
    }

    @Test
    void tryonWithRunsPrintsTheColdRunApartFromTheWarmMedian() {
        Run run = vton("tryon", "--steps", "2", "--runs", "3", "--dtype", "float32", "--out", dir.resolve("r.jpg").toString());

        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out().lines()).hasSize(4).last().asString().startsWith("allocator: ");
        assertThat(run.out()).containsPattern("cpu-float32, \\d+ threads?, 2 steps, cold \\(run 1\\): prepare \\d+ ms, .*total \\d+ ms")
                .containsPattern("2 steps, warm \\(median of runs 2-3\\): prepare \\d+ ms, .*total \\d+ ms");
        assertThat(run.errLines()).filteredOn(line -> line.contains(", run ")).hasSize(3);
        assertThat(run.err()).contains("run 1 of 3 (cold): ", "run 3 of 3: ");
    }

    @Test
    void preprocessWritesExactlyWhatThePipelineReceives() throws IOException {
        Path out = dir.resolve("prepared");
        Run run = vton("preprocess", "--person", input("person.jpg"), "--mask", input("mask.png"),
                "--upper", input("upper.jpg"), "--lower", input("lower.jpg"), "--out", out.toString());

        assertThat(run.code()).as(run.err()).isZero();
        ImageCodec codec = ImageCodec.defaults();
        TryOnImages expected = TryOnImages.prepare(codec.decode(in.resolve("person.jpg")), codec.decode(in.resolve("mask.png")),
                Garments.outfit(codec.decode(in.resolve("upper.jpg")), codec.decode(in.resolve("lower.jpg"))),
                ClothType.OVERALL, 768, 1024);
        assertThat(codec.decode(out.resolve("person.png"))).isEqualTo(expected.person());
        assertThat(codec.decode(out.resolve("garment.png"))).isEqualTo(expected.garment());
        RgbImage mask = codec.decode(out.resolve("mask.png"));
        assertThat(mask.rgb(384, 300) & 0xff).isEqualTo(expected.mask().value(384, 300));
    }

    @Test
    void badInputExitsWithTwoAndOneLine() {
        String missing = dir.resolve("missing.jpg").toString();
        String[][] cases = {
                {"tryon", "--person", missing, "--mask", input("mask.png"), "--upper", input("upper.jpg"), "--lower", input("lower.jpg")},
                {"tryon", "--cloth-type", "hat"},
                {"tryon", "--device", "tpu"},
                {"tryon", "--dtype", "int8"},
                {"tryon", "--steps", "0"},
                {"tryon", "--threads", "0"},
                {"tryon", "--threads", "many"},
                {"tryon", "--runs", "0"},
                {"tryon", "--model", dir.resolve("no-model").toString()},
                {"tryon", "--person", "ftp://example.com/p.jpg", "--mask", input("mask.png"), "--upper", input("upper.jpg"),
                        "--lower", input("lower.jpg")},
                {"tryon", "--person", input("mask.png"), "--mask", input("person.jpg"), "--upper", "http://10.0.0.1/a.jpg",
                        "--lower", input("lower.jpg")},
                {"tryon", "--no-such-option"},
                {"preprocess", "--person", input("person.jpg")},
                {"serve", "--port", "70000"},
                {"serve", "--max-body", "0"},
                {"worker"},
                {"worker", "--queue-url", "not a url"},
                {"worker", "--queue-url", "http://127.0.0.1:9/000000000000/requests", "--prefetch", "99"},
                {},
        };
        for (String[] args : cases) {
            Run run = vton(args);
            assertThat(run.code()).as(String.join(" ", args) + "\n" + run.err()).isEqualTo(2);
            assertThat(run.errLines()).as(String.join(" ", args)).hasSize(1);
            assertThat(run.err()).doesNotContain("\tat ");
        }
        assertThat(vton("tryon", "--cloth-type", "hat").err()).startsWith("vton tryon: ").contains("upper, lower, overall");
        assertThat(vton("worker").err()).startsWith("vton worker: ").contains("--queue-url", "VTON_SQS_REQUEST_QUEUE_URL");
        assertThat(vton("tryon", "--dtype", "int8").err()).contains("--dtype must be auto or one of float32, float16, bfloat16");
        assertThat(vton("tryon", "--threads", "0").err()).contains("--threads must be 1 to 1024, got 0");
        assertThat(vton("tryon", "--person", missing, "--mask", input("mask.png"), "--upper", input("upper.jpg"),
                "--lower", input("lower.jpg")).err()).contains("missing.jpg", "no such file");
    }

    @Test
    void verboseAddsTheStackTrace() {
        Run run = vton("--verbose", "tryon", "--person", dir.resolve("missing.jpg").toString(), "--mask", input("mask.png"),
                "--upper", input("upper.jpg"), "--lower", input("lower.jpg"));

        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("\tat ");
    }

    @Test
    void otherFailuresExitWithOne() throws IOException {
        Path blocked = Files.createFile(dir.resolve("not-a-folder"));

        Run run = vton("tryon", "--steps", "2", "--out", blocked.resolve("r.jpg").toString());

        assertThat(run.code()).as(run.err()).isEqualTo(1);
        assertThat(run.errLines()).hasSize(1);
        assertThat(run.err()).startsWith("vton tryon: failed: ");
    }

    @Test
    void everyCommandHasHelp() {
        for (String command : new String[] {"tryon", "preprocess", "serve", "worker"}) {
            Run run = vton(command, "--help");
            assertThat(run.code()).isZero();
            assertThat(run.out()).contains("Usage: vton " + command);
        }
        assertThat(vton("--help").out()).contains("tryon", "preprocess", "serve");
        assertThat(vton("preprocess", "--help").out()).contains("default: vton_output/prepared", "bundled samples");
        assertThat(vton("tryon", "--help").out()).contains("--person", "--cloth-type", "--grid", "--repaint", "--tf32",
                "--threads", "VTON_THREADS", "--runs", "auto");
        assertThat(vton("serve", "--help").out()).contains("SAGEMAKER_BIND_TO_PORT", "--max-batch", "--queue", "--max-body",
                "--[no-]warm-up", "VTON_WARM_UP");
        assertThat(vton("worker", "--help").out()).contains("--queue-url", "--visibility-timeout", "--prefetch", "SIGTERM");
    }
}

package io.omoib.vton.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each bfloat16 module against its float32 twin, one call on the same inputs, by relative error
 * {@code ||bf16 - f32|| / ||f32||}. This is what bfloat16 promises on any CPU: its 8-bit mantissa
 * rounds every value by up to 2^-9, and a few dozen layers of that stay within a few per cent. A whole
 * try-on is the wrong place to judge it: on random weights the denoising loop amplifies any rounding
 * difference into a different image, by how much depending on which kernels the CPU gets (AVX2,
 * AVX-512 BF16, AMX), so end-to-end pixels are compared in float32 only ({@link CatVTONPipelineGoldenTest}).
 */
class BFloat16ModulesTest {
    /** Largest relative error accepted: 2^-4, four of bfloat16's eight mantissa bits kept. */
    private static final double TOLERANCE = 1.0 / 16;
    /**
     * Inputs of a 64x128 image: the modules are convolutional and take any multiple of 64, and a small
     * size keeps the test quick on CPUs whose bfloat16 kernels are slow (AVX2 only: about 30 times float32).
     */
    private static final int WIDTH = 64;
    private static final int HEIGHT = 128;
    private static final NDManager MANAGER = Engine.getEngine("PyTorch").newBaseManager(Device.cpu());
    private static final Map<String, TorchModules> LOADED = new HashMap<>();

    @AfterAll
    static void unload() {
        LOADED.values().forEach(TorchModules::close);
        MANAGER.close();
    }

    private static TorchModules modules(String model, WeightDtype dtype) {
        return LOADED.computeIfAbsent(model + "/" + dtype, key -> TorchModules.load(ModelArtifact.load(
                TestModels.repositoryRoot().resolve(model)).variant("cpu", dtype), Device.cpu(), MANAGER, true));
    }

    static Stream<Arguments> modules() {
        return Stream.of("models/toy-catvton", "models/mini-catvton", "models/diffusers-tiny-catvton")
                .flatMap(model -> Stream.of("vae_encoder", "unet", "vae_decoder").map(m -> Arguments.of(model, m)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("modules")
    void eachBfloat16ModuleStaysWithinBfloat16RoundingOfFloat32(String model, String module) {
        double error = relativeError(model, module, 1, 1);
        assertThat(error).as("relative error of %s %s in bfloat16", model, module)
                .isFinite()
                .isLessThanOrEqualTo(TOLERANCE);
    }

    /** The comparison can fail: against float32 on other inputs the error is far beyond the tolerance. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("modules")
    void otherInputsAreFarOutsideTheTolerance(String model, String module) {
        assertThat(relativeError(model, module, 1, 2)).isGreaterThan(4 * TOLERANCE);
    }

    /**
     * @param inputSeed seeds the bfloat16 module's inputs
     * @param referenceSeed seeds the float32 module's inputs
     * @return {@code ||bf16(x) - f32(y)|| / ||f32(y)||}
     */
    private static double relativeError(String model, String module, long inputSeed, long referenceSeed) {
        try (NDManager scope = MANAGER.newSubManager()) {
            float[] got = call(modules(model, WeightDtype.BFLOAT16), module, scope, inputSeed).toFloatArray();
            float[] want = call(modules(model, WeightDtype.FLOAT32), module, scope, referenceSeed).toFloatArray();
            double difference = 0;
            double norm = 0;
            for (int i = 0; i < want.length; i++) {
                difference += (got[i] - (double) want[i]) * (got[i] - (double) want[i]);
                norm += (double) want[i] * want[i];
            }
            return Math.sqrt(difference / norm);
        }
    }

    /** One call with inputs shaped and scaled as a try-on's. */
    private static NDArray call(TorchModules modules, String module, NDManager manager, long seed) {
        Random random = new Random(seed);
        int h = HEIGHT / 8;
        int w = WIDTH / 8;
        return switch (module) {
            // an image in [-1, 1]
            case "vae_encoder" -> modules.encode(uniform(manager, random, new Shape(1, 3, HEIGHT, WIDTH)));
            // a guidance batch: noisy latent, the mask (the person's middle), masked person over garment latents
            case "unet" -> {
                float[] sample = new float[2 * 9 * 2 * h * w];
                int plane = 2 * h * w;
                for (int b = 0; b < 2; b++) {
                    for (int c = 0; c < 9; c++) {
                        for (int i = 0; i < plane; i++) {
                            int y = i / w;
                            int x = i % w;
                            float value = c == 4 ? (y >= h / 4 && y < 3 * h / 4 && x >= w / 4 && x < 3 * w / 4 ? 1 : 0)
                                    : c > 4 && b == 0 && y >= h ? 0 : (float) random.nextGaussian();
                            sample[(b * 9 + c) * plane + i] = value;
                        }
                    }
                }
                yield modules.unet(manager.create(sample, new Shape(2, 9, 2 * h, w)), manager.create(new long[] {501, 501}),
                        1, true);
            }
            // a latent divided by the scaling factor, as the pipeline hands it over
            case "vae_decoder" -> modules.decode(gaussian(manager, random, new Shape(1, 4, h, w)).div(0.18215f));
            default -> throw new IllegalArgumentException(module);
        };
    }

    private static NDArray uniform(NDManager manager, Random random, Shape shape) {
        float[] values = new float[(int) shape.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextFloat() * 2 - 1;
        }
        return manager.create(values, shape);
    }

    private static NDArray gaussian(NDManager manager, Random random, Shape shape) {
        float[] values = new float[(int) shape.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return manager.create(values, shape);
    }
}

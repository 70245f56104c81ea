package io.omoib.vton.pipeline;

import ai.djl.Device;
import java.util.Objects;
import java.util.Set;

/**
 * The weight dtype that runs best on a device, among the variants an artifact has, and why; what
 * {@code --dtype auto} picks.
 *
 * <ul>
 *   <li>GPU: float16, the original CatVTON service's choice; else bfloat16; else float32.</li>
 *   <li>CPU: bfloat16 only where the CPU has AMX ({@code amx_bf16}), the one CPU family on which
 *       libtorch's bfloat16 is faster than float32 and close to it; float32 everywhere else. On
 *       CPUs with AVX2 only, bfloat16 ran 29 times slower than float32; on CPUs with
 *       {@code avx512_bf16} but no AMX it was faster on one machine and 4 times slower and far
 *       from float32 on another (BENCHMARKS.md "CPU runtime").</li>
 * </ul>
 *
 * @param dtype the dtype to load
 * @param reason one sentence saying why, for logs and the command line
 */
public record DtypeChoice(WeightDtype dtype, String reason) {
    /**
     * Checks the parts.
     *
     * @param dtype the dtype to load
     * @param reason one sentence saying why, for logs and the command line
     */
    public DtypeChoice {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(reason, "reason");
    }

    /**
     * Picks a dtype for this machine.
     *
     * @param artifact the model, whose variants bound the choice
     * @param device where the modules will run
     * @return the choice; float32 when the artifact has nothing better for the device
     */
    public static DtypeChoice auto(ModelArtifact artifact, Device device) {
        return auto(artifact, device, device.isGpu() ? Set.of() : CpuFeatures.flags());
    }

    /** {@link #auto(ModelArtifact, Device)} with the CPU's flags given (tests use other CPUs' flags). */
    static DtypeChoice auto(ModelArtifact artifact, Device device, Set<String> cpuFlags) {
        if (device.isGpu()) {
            if (has(artifact, "cuda", WeightDtype.FLOAT16)) {
                return new DtypeChoice(WeightDtype.FLOAT16, "a GPU runs float16, the original service's choice");
            }
            if (has(artifact, "cuda", WeightDtype.BFLOAT16)) {
                return new DtypeChoice(WeightDtype.BFLOAT16, "a GPU, and the model has no cuda-float16 variant");
            }
            return new DtypeChoice(WeightDtype.FLOAT32, "a GPU, and the model has no cuda-float16 or cuda-bfloat16 variant");
        }
        if (!cpuFlags.contains("amx_bf16")) {
            return new DtypeChoice(WeightDtype.FLOAT32, "this CPU has no AMX, so bfloat16 would be slower or less "
                    + "accurate than float32");
        }
        if (!has(artifact, "cpu", WeightDtype.BFLOAT16)) {
            return new DtypeChoice(WeightDtype.FLOAT32, "this CPU has AMX, but the model has no cpu-bfloat16 variant");
        }
        return new DtypeChoice(WeightDtype.BFLOAT16, "this CPU has AMX (amx_bf16), where bfloat16 is faster than float32");
    }

    private static boolean has(ModelArtifact artifact, String device, WeightDtype dtype) {
        return artifact.variants().stream().anyMatch(v -> v.device().equals(device) && v.dtype() == dtype);
    }
}

package io.omoib.vton.pipeline;

import java.util.Locale;

/**
 * The dtype a model variant computes in. Inputs and outputs of every module are float32 whatever
 * the variant; the dtype is chosen when the artifact is exported, so picking one picks a variant.
 */
public enum WeightDtype {
    /** Full precision; the only dtype that runs at full speed on CPUs. */
    FLOAT32,
    /** Half precision, for GPUs. */
    FLOAT16,
    /** Brain float, for recent GPUs and CPUs with bf16 support. */
    BFLOAT16;

    /** {@return the name used in {@code catvton.json} and on the command line: {@code float32}, ...} */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses {@code float32}, {@code float16} or {@code bfloat16} (also {@code fp32}, {@code fp16},
     * {@code bf16}), ignoring case.
     *
     * @param text the name
     * @return the dtype
     * @throws IllegalArgumentException naming the accepted values
     */
    public static WeightDtype parse(String text) {
        String name = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        return switch (name) {
            case "float32", "fp32" -> FLOAT32;
            case "float16", "fp16", "half" -> FLOAT16;
            case "bfloat16", "bf16" -> BFLOAT16;
            default -> throw new IllegalArgumentException(
                    "dtype must be one of float32, float16, bfloat16; got '" + text + "'");
        };
    }
}

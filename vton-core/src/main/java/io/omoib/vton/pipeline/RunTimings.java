package io.omoib.vton.pipeline;

import java.util.Locale;

/**
 * Where the time of one pipeline run went, in nanoseconds of wall time. {@code modules} is the time
 * spent inside the TorchScript modules; {@code total / modules} is the pipeline's overhead factor. On
 * a GPU, module calls return before their kernels finish, so there the split is approximate.
 *
 * @param encode preparing tensors, drawing noise and running the VAE encoder
 * @param denoise the DDIM loop, UNet included
 * @param decode the VAE decoder and turning its output into images
 * @param modules time inside the encoder, UNet and decoder calls
 * @param total the whole run
 */
public record RunTimings(long encode, long denoise, long decode, long modules, long total) {
    /** {@return {@code total / modules}: 1.0 means no time outside the networks} */
    public double overhead() {
        return modules == 0 ? Double.NaN : (double) total / modules;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "encode %.1f ms, denoise %.1f ms, decode %.1f ms, total %.1f ms"
                + " (modules %.1f ms, overhead x%.3f)", encode / 1e6, denoise / 1e6, decode / 1e6, total / 1e6,
                modules / 1e6, overhead());
    }
}

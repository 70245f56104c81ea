package io.omoib.vton.pipeline;

import ai.djl.util.Utils;

/**
 * Whether DJL's PyTorch engine will find a libtorch without downloading one. The application chooses
 * its libtorch (a {@code pytorch-native-*} dependency, or {@code PYTORCH_LIBRARY_PATH}); without one,
 * DJL would fetch it from its servers, or fail offline with an error that names neither. A pipeline
 * asks here first and refuses with a message that says what to add.
 */
final class Libtorch {
    /** What DJL's native jars carry; DJL looks for it on the classpath. */
    static final String NATIVE_MARKER = "native/lib/pytorch.properties";

    private Libtorch() {
    }

    /**
     * Checks that a libtorch can be found.
     *
     * @throws IllegalStateException saying which dependency to add, when none can be found
     */
    static void require() {
        if (!found()) {
            throw new IllegalStateException("no libtorch for DJL's PyTorch engine: add the native your machines run, "
                    + "such as ai.djl.pytorch:pytorch-native-cpu:2.7.1 with classifier linux-x86_64 (or linux-aarch64, "
                    + "osx-aarch64, win-x86_64), or point PYTORCH_LIBRARY_PATH at a libtorch 2.7.1 folder; to let DJL "
                    + "download one instead, run with -Dai.djl.offline=false");
        }
    }

    /**
     * Looks where DJL looks, without loading anything.
     *
     * @return whether a native jar is on the classpath, {@code PYTORCH_LIBRARY_PATH} is set, or downloading is
     *     allowed explicitly
     */
    static boolean found() {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        if (loader == null) {
            loader = Libtorch.class.getClassLoader();
        }
        return loader.getResource(NATIVE_MARKER) != null
                || Utils.getEnvOrSystemProperty("PYTORCH_LIBRARY_PATH") != null
                || "false".equalsIgnoreCase(System.getProperty("ai.djl.offline"));
    }
}

package io.omoib.vton.pipeline;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * libtorch's intra-op thread count. Under OpenMP it belongs to the calling thread (each thread that
 * runs an operator keeps its own count), so a pipeline sets it on the thread of each run, and two
 * pipelines with different counts do not disturb each other.
 */
final class TorchThreads {
    /** libtorch's own default: the physical cores it sees (not cgroup-aware), or DJL's num_threads. */
    private static final int LIBTORCH_DEFAULT;

    static {
        Engine.getEngine("PyTorch");
        LIBTORCH_DEFAULT = JniUtils.getNumThreads();
    }

    private TorchThreads() {
    }

    /**
     * {@return the processors available to this process (what a container's CPU quota allows), at most libtorch's
     * default (the physical cores, or {@code -Dai.djl.pytorch.num_threads})}
     */
    static int defaultCount() {
        return Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), LIBTORCH_DEFAULT));
    }

    /** Sets the count for operators run on the calling thread. */
    static void use(int threads) {
        if (JniUtils.getNumThreads() != threads) {
            JniUtils.setNumThreads(threads);
        }
    }

    /** {@return the count for operators run on the calling thread} */
    static int current() {
        return JniUtils.getNumThreads();
    }
}

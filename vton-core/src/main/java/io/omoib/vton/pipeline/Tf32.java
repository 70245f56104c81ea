package io.omoib.vton.pipeline;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.LibUtils;
import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * TF32 for float32 matrix products, which DJL does not expose: calls libtorch's
 * {@code at::globalContext().setFloat32MatmulPrecision(HIGH)} and {@code setAllowTF32CuDNN(true)}
 * through JNA, as {@code torch.backends.cuda.matmul.allow_tf32 = True} does in Python. Process-wide.
 */
final class Tf32 {
    /** {@code at::Float32MatmulPrecision}: HIGHEST = 0 (no TF32), HIGH = 1, MEDIUM = 2. */
    static final int HIGHEST = 0;
    /** {@code at::Float32MatmulPrecision::HIGH}: float32 matrix products may use TF32. */
    static final int HIGH = 1;

    private static final String GLOBAL_CONTEXT = "_ZN2at13globalContextEv";
    private static final String SET_PRECISION = "_ZN2at7Context25setFloat32MatmulPrecisionENS_22Float32MatmulPrecisionE";
    private static final String GET_PRECISION = "_ZNK2at7Context22float32MatmulPrecisionEv";
    private static final String SET_CUDNN = "_ZN2at7Context17setAllowTF32CuDNNEb";

    private Tf32() {
    }

    /** Sets matmul precision HIGH and allows TF32 in cuDNN. */
    static synchronized void enable() {
        set(HIGH);
    }

    /** Sets a matmul precision, and TF32 in cuDNN on exactly when it is not HIGHEST. */
    static synchronized void set(int precision) {
        NativeLibrary torch = libtorch();
        Pointer context = context(torch);
        // JNA passes Java booleans as 255; libtorch reads a C++ bool, so pass 0 or 1 as an int.
        torch.getFunction(SET_PRECISION).invokeVoid(new Object[] {context, precision});
        torch.getFunction(SET_CUDNN).invokeVoid(new Object[] {context, precision == HIGHEST ? 0 : 1});
    }

    /** {@return libtorch's current {@code float32MatmulPrecision}, 0 (HIGHEST) to 2 (MEDIUM)} */
    static synchronized int matmulPrecision() {
        NativeLibrary torch = libtorch();
        return torch.getFunction(GET_PRECISION).invokeInt(new Object[] {context(torch)}) & 0xFF;
    }

    private static Pointer context(NativeLibrary torch) {
        Function global = torch.getFunction(GLOBAL_CONTEXT);
        return (Pointer) global.invoke(Pointer.class, new Object[0]);
    }

    private static NativeLibrary libtorch() {
        Engine.getEngine("PyTorch");
        Path path = Path.of(LibUtils.getLibtorchPath());
        Path dir = Files.isDirectory(path) ? path : path.getParent();
        Path library = dir.resolve("libtorch_cpu.so");
        if (!Files.isRegularFile(library)) {
            throw new IllegalStateException("TF32 needs libtorch_cpu.so, which is not in " + dir);
        }
        return NativeLibrary.getInstance(library.toString());
    }
}

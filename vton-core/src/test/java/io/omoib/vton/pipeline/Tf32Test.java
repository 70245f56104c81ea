package io.omoib.vton.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** TF32 reaches libtorch: the precision read back from libtorch's global context changes. */
class Tf32Test {

    @Test
    void useTf32SetsLibtorchsMatmulPrecisionToHigh() {
        Tf32.set(Tf32.HIGHEST);
        assertThat(Tf32.matmulPrecision()).isEqualTo(Tf32.HIGHEST);
        try (CatVTONPipeline pipeline = CatVTONPipeline.builder().modelDirectory(TestModels.toy()).useTf32(true).build()) {
            assertThat(Tf32.matmulPrecision()).isEqualTo(Tf32.HIGH);
            assertThat(pipeline.variant().id()).isEqualTo("cpu-float32");
        } finally {
            Tf32.set(Tf32.HIGHEST);
        }
        assertThat(Tf32.matmulPrecision()).isEqualTo(Tf32.HIGHEST);
    }
}

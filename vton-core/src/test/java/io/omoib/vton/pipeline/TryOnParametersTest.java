package io.omoib.vton.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TryOnParametersTest {

    @Test
    void defaultsAreCatVtons() {
        TryOnParameters p = TryOnParameters.defaults();

        assertThat(p.steps()).isEqualTo(50);
        assertThat(p.guidance()).isEqualTo(2.5f);
        assertThat(p.eta()).isEqualTo(1f);
        assertThat(p.seed()).isEqualTo(42);
        assertThat(p.repaint()).isFalse();
    }

    @Test
    void outOfRangeValuesAreRefusedWithTheValue() {
        assertThatThrownBy(() -> TryOnParameters.builder().steps(0)).hasMessageContaining("got 0");
        assertThatThrownBy(() -> TryOnParameters.builder().steps(1001)).hasMessageContaining("got 1001");
        assertThatThrownBy(() -> TryOnParameters.builder().guidance(-1f)).hasMessageContaining("guidance");
        assertThatThrownBy(() -> TryOnParameters.builder().guidance(Float.NaN)).hasMessageContaining("NaN");
        assertThatThrownBy(() -> TryOnParameters.builder().eta(Float.POSITIVE_INFINITY)).hasMessageContaining("eta");
        // values a client can send that would overflow the guidance or noise terms into NaN
        assertThatThrownBy(() -> TryOnParameters.builder().guidance(3.4e38f))
                .isInstanceOfSatisfying(InvalidParameterException.class,
                        e -> assertThat(e.parameter()).isEqualTo(InvalidParameterException.Parameter.GUIDANCE))
                .hasMessageContaining("between 0 and 50");
        assertThatThrownBy(() -> TryOnParameters.builder().eta(1.5f))
                .isInstanceOfSatisfying(InvalidParameterException.class,
                        e -> assertThat(e.parameter()).isEqualTo(InvalidParameterException.Parameter.ETA))
                .hasMessageContaining("between 0 and 1");
        assertThat(TryOnParameters.builder().guidance(50f).eta(0f).build().guidance()).isEqualTo(50f);
        assertThatThrownBy(() -> TryOnParameters.builder().seed(-1)).hasMessageContaining("seed");
        assertThatThrownBy(() -> TryOnParameters.builder().seed(1L << 31)).hasMessageContaining("2147483647");
    }

    @Test
    void requestsBatchTogetherWhenStepsGuidanceAndEtaAgree() {
        TryOnParameters a = TryOnParameters.builder().steps(15).seed(1).build();

        assertThat(a.batchesWith(a.toBuilder().seed(2).repaint(true).build())).isTrue();
        assertThat(a.batchesWith(a.toBuilder().steps(16).build())).isFalse();
        assertThat(a.batchesWith(a.toBuilder().eta(0f).build())).isFalse();
    }

    @Test
    void weightDtypesParseCommonSpellings() {
        assertThat(WeightDtype.parse("BF16")).isEqualTo(WeightDtype.BFLOAT16);
        assertThat(WeightDtype.parse("float16")).isEqualTo(WeightDtype.FLOAT16);
        assertThatThrownBy(() -> WeightDtype.parse("int8")).hasMessageContaining("float32, float16, bfloat16");
    }
}

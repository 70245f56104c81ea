package io.omoib.vton.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.omoib.vton.pipeline.TryOnParameters;
import io.omoib.vton.preprocess.Input;
import io.omoib.vton.protocol.JsonRequest;
import io.omoib.vton.service.RequestFieldException;
import io.omoib.vton.source.ImageSources;
import java.time.Duration;

/**
 * Fuzzes what the server does with a request body before any network access: strict JSON parsing and
 * the field checks ({@link JsonRequest}). Every body gives a request or a {@link RequestFieldException}, never another exception.
 * The corpus is under {@code src/test/resources/io/omoib/vton/examples/InvocationFuzzTestInputs/}.
 */
class InvocationFuzzTest {
    private static final ImageSources SOURCES = ImageSources.builder().build();
    private static final TryOnParameters DEFAULTS = TryOnParameters.builder().steps(15).build();

    @FuzzTest(maxDuration = "60s")
    void everyBodyGivesARequestOrARequestFieldException(byte[] body) {
        try {
            JsonRequest invocation = JsonRequest.parse(body, SOURCES, DEFAULTS, Duration.ofSeconds(55));
            assertThat(invocation.request().source(Input.PERSON)).isNotNull();
        } catch (RequestFieldException expected) {
            assertThat(expected.getMessage()).isNotBlank();
        }
    }
}

package io.omoib.vton.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.omoib.vton.pipeline.InferenceException;
import io.omoib.vton.pipeline.InvalidParameterException;
import io.omoib.vton.pipeline.InvalidParameterException.Parameter;
import io.omoib.vton.preprocess.Input;
import io.omoib.vton.preprocess.InvalidImageException;
import io.omoib.vton.preprocess.InvalidInputException;
import io.omoib.vton.source.ImageSourceException;
import java.io.IOException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class FailureTest {
    private static ImageSourceException source(ImageSourceException.Kind kind) {
        return new ImageSourceException(kind, "https://images.example/p.jpg", "went wrong", null);
    }

    @Test
    void aFieldErrorIsTheClientsAndNamesItsField() {
        Failure failure = Failure.of(new RequestFieldException("cloth_type", "use upper, lower or overall"));

        assertThat(failure.kind()).isEqualTo(Failure.Kind.CLIENT);
        assertThat(failure.field()).isEqualTo("cloth_type");
        assertThat(failure.message()).isEqualTo("use upper, lower or overall");
        assertThat(failure.retryable()).isFalse();
    }

    @Test
    void wrappersAreLookedThrough() {
        InvalidParameterException steps = new InvalidParameterException(Parameter.STEPS, "steps must be 1 to 1000");

        Failure failure = Failure.of(new CompletionException(new ExecutionException(steps)));

        assertThat(failure.cause()).isSameAs(steps);
        assertThat(failure.kind()).isEqualTo(Failure.Kind.CLIENT);
        assertThat(failure.parameter()).isEqualTo(Parameter.STEPS);
        assertThat(failure.input()).isNull();
    }

    @ParameterizedTest
    @EnumSource(ImageSourceException.Kind.class)
    void anUnreadableInputIsTheClientsOnlyWhenReadingAgainFailsTheSameWay(ImageSourceException.Kind kind) {
        Failure failure = Failure.of(new InvalidInputException(Input.UPPER, "cannot read", source(kind)));

        boolean sameAgain = kind == ImageSourceException.Kind.REFUSED || kind == ImageSourceException.Kind.NOT_FOUND
                || kind == ImageSourceException.Kind.TOO_LARGE;
        assertThat(failure.kind()).isEqualTo(sameAgain ? Failure.Kind.CLIENT : Failure.Kind.TRANSIENT);
        assertThat(failure.input()).isEqualTo(Input.UPPER);
        assertThat(Failure.of(source(kind)).kind()).isEqualTo(failure.kind());
    }

    @Test
    void aBrokenImageIsTheClients() {
        assertThat(Failure.of(new InvalidImageException("mask image", "not a PNG")).kind()).isEqualTo(Failure.Kind.CLIENT);
        assertThat(Failure.of(new InvalidInputException(Input.MASK, "not an image", null)).input()).isEqualTo(Input.MASK);
    }

    @Test
    void noRoomIsOverloadAndCanBeRetried() {
        assertThat(Failure.of(new QueueFullException(4)).kind()).isEqualTo(Failure.Kind.OVERLOADED);
        assertThat(Failure.of(new CancellationException("closing")).retryable()).isTrue();
    }

    @Test
    void deadlinesAndStorageAreTransientModelFaultsInternal() {
        assertThat(Failure.of(new TimeoutException()).kind()).isEqualTo(Failure.Kind.TRANSIENT);
        assertThat(Failure.of(new IOException("S3 said 503")).kind()).isEqualTo(Failure.Kind.TRANSIENT);
        Failure model = Failure.of(new InferenceException("NaN in the latents", null));
        assertThat(model.kind()).isEqualTo(Failure.Kind.INTERNAL);
        assertThat(model.retryable()).isTrue();
        assertThat(Failure.of(new NullPointerException()).message()).isEqualTo("java.lang.NullPointerException");
    }
}

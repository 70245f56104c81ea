package io.omoib.vton.service;

import io.omoib.vton.pipeline.InvalidParameterException;
import io.omoib.vton.pipeline.InvalidParameterException.Parameter;
import io.omoib.vton.preprocess.Input;
import io.omoib.vton.preprocess.InvalidImageException;
import io.omoib.vton.preprocess.InvalidInputException;
import io.omoib.vton.source.ImageSourceException;
import java.io.IOException;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * What a failed try-on means for whoever asked for it: whose fault it was, whether trying again can
 * help, and which input, parameter or request field it was about. The one place that decides this for
 * the inference server (the HTTP status), the queue worker (failure notice or redelivery) and the command
 * line (exit code 2 or 1).
 *
 * @param kind whose fault it was and whether a retry can help
 * @param message what went wrong and what to do, as the exception said it
 * @param input the image at fault, or {@code null}
 * @param parameter the sampling parameter at fault, or {@code null}
 * @param field the request field at fault when the failure named one itself (a {@link RequestFieldException}),
 *     or {@code null}; see {@code io.omoib.vton.protocol.JsonRequest#field(Failure)} for the field of an
 *     input or parameter
 * @param cause the exception classified, unwrapped from {@link CompletionException} and
 *     {@link ExecutionException}
 */
public record Failure(Kind kind, String message, Input input, Parameter parameter, String field, Throwable cause) {

    /** Whose fault a failure was, and whether the same request can succeed later. */
    public enum Kind {
        /**
         * The request is wrong (a field, an image, a parameter, a URL the policy refuses, an image that is
         * missing or too large): the same request fails again. HTTP 400; no redelivery; exit code 2.
         */
        CLIENT,
        /**
         * The service had no room (queue full, decode memory exhausted: a {@link RejectedExecutionException}) or was closing: the same request
         * can succeed later or elsewhere. HTTP 503 with {@code Retry-After}; redelivery.
         */
        OVERLOADED,
        /**
         * Something outside the request failed for now (an image host timed out or was unreachable, the
         * deadline passed, storing the result failed): the same request can succeed later. HTTP 502 or
         * 504; redelivery.
         */
        TRANSIENT,
        /** A fault of the model or of this library: HTTP 500 with a request id; redelivery; exit code 1. */
        INTERNAL
    }

    /**
     * Checks that the kind and the cause are given.
     *
     * @param kind whose fault it was and whether a retry can help
     * @param message what went wrong and what to do
     * @param input the image at fault, or {@code null}
     * @param parameter the sampling parameter at fault, or {@code null}
     * @param field the request field at fault, or {@code null}
     * @param cause the exception classified
     */
    public Failure {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(cause, "cause");
    }

    /**
     * Classifies an exception a try-on ended with.
     *
     * @param error what a future, a command or a service call failed with; wrappers
     *     ({@link CompletionException}, {@link ExecutionException}) are looked through
     * @return its meaning
     */
    public static Failure of(Throwable error) {
        Throwable cause = Objects.requireNonNull(error, "error");
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        String message = cause.getMessage() == null ? cause.toString() : cause.getMessage();
        if (cause instanceof RequestFieldException e) {
            return new Failure(Kind.CLIENT, message, null, null, e.field(), cause);
        }
        if (cause instanceof InvalidInputException e) {
            Kind kind = e.getCause() instanceof ImageSourceException source ? kindOf(source) : Kind.CLIENT;
            return new Failure(kind, message, e.input(), null, null, cause);
        }
        if (cause instanceof InvalidParameterException e) {
            return new Failure(Kind.CLIENT, message, null, e.parameter(), null, cause);
        }
        if (cause instanceof ImageSourceException e) {
            return new Failure(kindOf(e), message, null, null, null, cause);
        }
        if (cause instanceof IllegalArgumentException || cause instanceof InvalidImageException) {
            return new Failure(Kind.CLIENT, message, null, null, null, cause);
        }
        if (cause instanceof RejectedExecutionException || cause instanceof CancellationException) {
            return new Failure(Kind.OVERLOADED, message, null, null, null, cause);
        }
        if (cause instanceof TimeoutException || cause instanceof IOException) {
            return new Failure(Kind.TRANSIENT, message, null, null, null, cause);
        }
        return new Failure(Kind.INTERNAL, message, null, null, null, cause);
    }

    /** {@return whether the same request can succeed if it is tried again (every kind but {@link Kind#CLIENT})} */
    public boolean retryable() {
        return kind != Kind.CLIENT;
    }

    private static Kind kindOf(ImageSourceException source) {
        return switch (source.kind()) {
            case REFUSED, NOT_FOUND, TOO_LARGE -> Kind.CLIENT;
            case TIMEOUT, UNAVAILABLE -> Kind.TRANSIENT;
        };
    }
}

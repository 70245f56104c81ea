package io.omoib.vton.pipeline;

/**
 * A model produced an unusable result, such as NaN or infinite values, or the engine failed while
 * running it. The message says which module and what to try.
 */
public final class InferenceException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Makes the exception.
     *
     * @param message what failed and what to try
     */
    public InferenceException(String message) {
        super(message);
    }

    /**
     * Makes the exception, with the engine's failure as its cause.
     *
     * @param message what failed and what to try
     * @param cause the engine's exception
     */
    public InferenceException(String message, Throwable cause) {
        super(message, cause);
    }
}

package io.omoib.vton.pipeline;

/**
 * A model directory that cannot be used: missing or malformed {@code catvton.json}, missing or
 * corrupt TorchScript files, or no variant for the requested device and dtype. The message names the
 * directory and says what to fix.
 */
public final class ModelArtifactException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Makes the exception.
     *
     * @param message what is wrong and how to fix it, naming the directory or file
     */
    public ModelArtifactException(String message) {
        super(message);
    }

    /**
     * Makes the exception, with the failure that revealed the problem as its cause.
     *
     * @param message what is wrong and how to fix it, naming the directory or file
     * @param cause the underlying failure
     */
    public ModelArtifactException(String message, Throwable cause) {
        super(message, cause);
    }
}

package io.omoib.vton.pipeline;

import java.util.Objects;

/**
 * A sampling parameter or the image size is out of range, for any model ({@link TryOnParameters})
 * or for the loaded one ({@link ModelArtifact#checkSize}, {@link DdimScheduler#schedule}).
 * {@link #parameter()} says which, so a server or command line can name its own field or option; the
 * message says what is accepted.
 */
public final class InvalidParameterException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** Which value was refused. */
    public enum Parameter {
        /** DDIM steps. */
        STEPS,
        /** Classifier-free guidance scale. */
        GUIDANCE,
        /** DDIM eta. */
        ETA,
        /** Random seed. */
        SEED,
        /** Output width and height. */
        SIZE
    }

    /** The value refused. */
    private final Parameter parameter;

    /**
     * Makes the exception.
     *
     * @param parameter the value refused
     * @param message what was given and what is accepted
     */
    public InvalidParameterException(Parameter parameter, String message) {
        super(message);
        this.parameter = Objects.requireNonNull(parameter, "parameter");
    }

    /** {@return the value refused} */
    public Parameter parameter() {
        return parameter;
    }
}

package io.omoib.vton.preprocess;

import java.util.Objects;

/**
 * One input image of a try-on is at fault: missing, unreadable, not an image, too large, or (for the
 * mask) not usable with the person photo. {@link #input()} says which; the message says what is wrong
 * and the fix. The cause, when there is one, is the original failure (a decoder's
 * {@link InvalidImageException}, a source's I/O error).
 *
 * <p>Services can map it to a client error (HTTP 400) naming the field that carried the input.
 */
public final class InvalidInputException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** The input at fault. */
    private final Input input;

    /**
     * Makes the exception.
     *
     * @param input the input at fault
     * @param message what is wrong and the fix
     * @param cause the original failure, or {@code null}
     */
    public InvalidInputException(Input input, String message, Throwable cause) {
        super(message, cause);
        this.input = Objects.requireNonNull(input, "input");
    }

    /** {@return the input at fault} */
    public Input input() {
        return input;
    }
}

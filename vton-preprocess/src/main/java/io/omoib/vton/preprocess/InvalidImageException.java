package io.omoib.vton.preprocess;

import java.util.Objects;

/**
 * An input is not an image this library will decode: empty, truncated, corrupt, in an unsupported
 * format, or above a size limit of {@link ImageCodec}. The message starts with the input's name (a
 * file path or a label such as {@code "person image"}), then says what is wrong and what to do, e.g.
 * {@code person image: image is 100000x100000 = 10000000000 pixels, above the limit of 50000000;
 * downscale it or raise ImageCodec.Builder.maxPixels}.
 *
 * <p>Services can map it to a client error (HTTP 400): the input, not the service, is at fault.
 */
public final class InvalidImageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What the input is called, such as a path or {@code "mask image"}. */
    private final String inputName;

    /**
     * Creates the exception; its message is {@code inputName + ": " + reason}.
     *
     * @param inputName what the input is called, such as a path or {@code "mask image"}
     * @param reason what is wrong with it and, where there is one, the fix
     */
    public InvalidImageException(String inputName, String reason) {
        this(inputName, reason, null);
    }

    /**
     * Creates the exception with the failure that revealed the problem; its message is
     * {@code inputName + ": " + reason}.
     *
     * @param inputName what the input is called, such as a path or {@code "mask image"}
     * @param reason what is wrong with it and, where there is one, the fix
     * @param cause the decoder's own exception, or {@code null}
     */
    public InvalidImageException(String inputName, String reason, Throwable cause) {
        super(Objects.requireNonNull(inputName, "inputName") + ": " + Objects.requireNonNull(reason, "reason"), cause);
        this.inputName = inputName;
    }

    /** {@return the name of the input that was rejected, as given to the decoder} */
    public String inputName() {
        return inputName;
    }
}

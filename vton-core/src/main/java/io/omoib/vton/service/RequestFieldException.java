package io.omoib.vton.service;

/**
 * A field of a {@link io.omoib.vton.protocol.JsonRequest} is missing or wrong, or the body is not the JSON it must be: the
 * server answers 400 with {@code {"error", "field"}}, a queue worker sends a failure notice and does
 * not retry.
 */
public final class RequestFieldException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** The request field at fault, or {@code null} for the body as a whole. */
    private final String field;

    /**
     * Makes the exception.
     *
     * @param field the request field at fault, or {@code null} when the body as a whole is wrong
     * @param message what is wrong and what to do
     */
    public RequestFieldException(String field, String message) {
        super(message);
        this.field = field;
    }

    /** {@return the request field at fault, or {@code null} when the body as a whole is wrong} */
    public String field() {
        return field;
    }
}

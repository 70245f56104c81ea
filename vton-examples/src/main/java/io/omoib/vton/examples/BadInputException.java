package io.omoib.vton.examples;

/**
 * A command's input is wrong (a missing option, an unreadable file, a field of a request): the CLI
 * exits with 2 and one line, the server answers 4xx with {@code {"error", "field"}}.
 */
final class BadInputException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String field;

    /**
     * Creates an exception naming the input at fault.
     *
     * @param field the request field or command line option at fault, or {@code null}
     * @param message what is wrong and what to do
     */
    BadInputException(String field, String message) {
        super(message);
        this.field = field;
    }

    /** {@return the request field or command line option at fault, or {@code null}} */
    String field() {
        return field;
    }
}

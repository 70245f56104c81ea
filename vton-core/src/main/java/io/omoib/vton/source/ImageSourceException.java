package io.omoib.vton.source;

import java.io.IOException;
import java.net.URI;
import java.util.Objects;

/**
 * An image could not be read from its source: a file, a URL or an object store. The message names the
 * source (URLs without their query string, which in a presigned URL carries credentials) and says
 * what went wrong; {@link #kind()} tells callers such as a server how to answer.
 *
 * <p>Thread safety: immutable once made, as exceptions are; safe to hand to another thread.
 */
public final class ImageSourceException extends IOException {
    private static final long serialVersionUID = 1L;

    /** What went wrong. */
    public enum Kind {
        /** The URL policy refused the URL or an address it resolves to: fix the URL or the allow-list. */
        REFUSED,
        /** The source does not exist, or the server answered with an error status. */
        NOT_FOUND,
        /** The image is larger than the configured limit. */
        TOO_LARGE,
        /** Connecting or reading took longer than the configured limit. */
        TIMEOUT,
        /** The source could not be reached or read: DNS, connection, TLS or storage errors. */
        UNAVAILABLE
    }

    /** What went wrong. */
    private final Kind kind;
    /** The source, as it may be logged. */
    private final String source;

    /**
     * Makes the exception; the message is the source and the reason.
     *
     * @param kind what went wrong
     * @param source the source as it may be logged: a path, or a URL without its query string
     * @param reason what went wrong and what to do
     * @param cause the underlying exception, or {@code null}
     */
    public ImageSourceException(Kind kind, String source, String reason, Throwable cause) {
        super(source + ": " + reason, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
        this.source = source;
    }

    /** Creates a failure of a URI, named without its user info, query or fragment. */
    ImageSourceException(Kind kind, URI uri, String reason) {
        this(kind, redact(uri), reason, null);
    }

    /**
     * {@return a {@code TOO_LARGE} failure that says the limit and what to do}
     *
     * @param source the source as it may be logged
     * @param maxBytes the limit it exceeded
     */
    public static ImageSourceException tooLarge(String source, long maxBytes) {
        String limit = maxBytes % (1 << 20) == 0 ? (maxBytes >> 20) + " MiB" : maxBytes + " bytes";
        return new ImageSourceException(Kind.TOO_LARGE, source,
                "larger than the limit of " + limit + "; send a smaller image or raise the limit", null);
    }

    /** {@return what went wrong} */
    public Kind kind() {
        return kind;
    }

    /** {@return the source as it may be logged: a path, or a URL without user info, query or fragment} */
    public String source() {
        return source;
    }

    /**
     * {@return {@code scheme://host[:port]/path}: no user info, query string or fragment, which may carry
     * credentials}
     *
     * @param uri any URI
     */
    public static String redact(URI uri) {
        String authority = uri.getRawAuthority();
        if (uri.getScheme() == null || authority == null) {
            return uri.getScheme() == null ? "(relative URL)" : uri.getScheme() + ":(opaque URL)";
        }
        StringBuilder s = new StringBuilder().append(uri.getScheme()).append("://")
                .append(authority.substring(authority.lastIndexOf('@') + 1));
        String path = uri.getRawPath();
        s.append(path == null || path.isEmpty() ? "/" : path);
        if (s.length() > 300) {
            s.setLength(300);
            s.append("...");
        }
        return s.toString();
    }
}

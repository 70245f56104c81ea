package io.omoib.vton.source;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Turns the text a user gives (a command line argument, a JSON field) into an {@link ImageSource}:
 * an {@code http://} or {@code https://} URL through a {@link UrlFetcher}, a scheme registered by a
 * module (vton-s3 registers {@code s3://}), or, when allowed, a file path or {@code file:} URL. Every
 * other scheme ({@code ftp:}, {@code jar:}, {@code gopher:}, ...) is refused with a message naming the
 * accepted ones. Files are off by default: a server must not read its own disk on a client's say-so.
 *
 * <p>Thread safety: immutable and thread-safe (given thread-safe {@link Opener}s, as the
 * {@link Opener} contract asks); build with {@link #builder()} and share one instance.
 */
public final class ImageSources {
    /**
     * Opens URIs of one scheme. Implementations must be thread-safe: one opener serves every thread
     * that turns text into sources.
     */
    @FunctionalInterface
    public interface Opener {
        /**
         * Makes a source for a URI; reading happens later, through the source.
         *
         * @param uri a URI of the scheme it was registered for
         * @return a source reading it
         * @throws ImageSourceException if the URI is malformed for the scheme
         */
        ImageSource open(URI uri) throws ImageSourceException;
    }

    /** The longest text accepted as a source. */
    static final int MAX_SPEC_LENGTH = 8192;

    private final UrlFetcher fetcher;
    private final boolean files;
    private final Map<String, Opener> schemes;

    private ImageSources(Builder b) {
        this.fetcher = b.fetcher;
        this.files = b.files;
        this.schemes = Map.copyOf(b.schemes);
    }

    /** {@return a builder: http(s) through a default {@link UrlFetcher}, no files, no other schemes} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * {@return the source, not yet read}
     *
     * @param spec a URL, a registered {@code scheme://} URI, or (when files are allowed) a path
     * @param role what the image is, for messages: {@code "person"}, {@code "mask"}, ...
     * @throws ImageSourceException with {@code REFUSED} for an empty, overlong or malformed spec, an
     *     unsupported scheme, or a file when files are not allowed
     */
    public ImageSource resolve(String spec, String role) throws ImageSourceException {
        Objects.requireNonNull(role, "role");
        if (spec == null || spec.isBlank()) {
            throw new ImageSourceException(ImageSourceException.Kind.REFUSED, role, "no image given", null);
        }
        if (spec.length() > MAX_SPEC_LENGTH) {
            throw new ImageSourceException(ImageSourceException.Kind.REFUSED, role,
                    "the URL is " + spec.length() + " characters long; the limit is " + MAX_SPEC_LENGTH, null);
        }
        String scheme = scheme(spec);
        if (scheme == null) {
            return file(spec, role);
        }
        URI uri;
        try {
            uri = new URI(spec.strip());
        } catch (URISyntaxException e) {
            throw new ImageSourceException(ImageSourceException.Kind.REFUSED, role + " (" + scheme + " URL)",
                    "is not a valid URL: " + e.getReason(), null);
        }
        if (scheme.equals("http") || scheme.equals("https")) {
            fetcher.policy().checkUrl(uri);
            return fetcher.source(uri);
        }
        Opener opener = schemes.get(scheme);
        if (opener != null) {
            return opener.open(uri);
        }
        if (scheme.equals("file") && files) {
            try {
                return ImageSource.file(Path.of(uri));
            } catch (IllegalArgumentException e) {
                throw new ImageSourceException(ImageSourceException.Kind.REFUSED, role, "is not a valid file URL", null);
            }
        }
        throw new ImageSourceException(ImageSourceException.Kind.REFUSED, role + " (" + scheme + ": URL)",
                "unsupported source; use " + accepted(), null);
    }

    private ImageSource file(String spec, String role) throws ImageSourceException {
        if (!files) {
            throw new ImageSourceException(ImageSourceException.Kind.REFUSED, role,
                    "'" + shorten(spec) + "' is not a URL; use " + accepted(), null);
        }
        try {
            return ImageSource.file(Path.of(spec));
        } catch (InvalidPathException e) {
            throw new ImageSourceException(ImageSourceException.Kind.REFUSED, role,
                    "'" + shorten(spec) + "' is not a valid path", null);
        }
    }

    private String accepted() {
        StringBuilder s = new StringBuilder("one of: http(s) URL");
        schemes.keySet().stream().sorted().forEach(k -> s.append(", ").append(k).append(":// URI"));
        if (files) {
            s.append(", file path");
        }
        return s.toString();
    }

    /** {@return the lower-case scheme, or {@code null} when the text is a plain path (or a Windows drive)} */
    private static String scheme(String spec) {
        String s = spec.strip();
        int colon = s.indexOf(':');
        if (colon < 2) {
            return null;
        }
        for (int i = 0; i < colon; i++) {
            char c = s.charAt(i);
            boolean ok = Character.isLetter(c) && c < 128 || (i > 0 && (Character.isDigit(c) || c == '+' || c == '-' || c == '.'));
            if (!ok) {
                return null;
            }
        }
        return s.substring(0, colon).toLowerCase(Locale.ROOT);
    }

    private static String shorten(String spec) {
        return spec.length() <= 80 ? spec : spec.substring(0, 77) + "...";
    }

    /** Builds an {@link ImageSources}. Not thread-safe: configure it on one thread, then build. */
    public static final class Builder {
        private UrlFetcher fetcher;
        private boolean files;
        private final Map<String, Opener> schemes = new TreeMap<>();

        private Builder() {
        }

        /**
         * Sets the fetcher of http(s) URLs.
         *
         * @param value fetches http(s) URLs; default {@code UrlFetcher.builder().build()}
         * @return this builder
         */
        public Builder fetcher(UrlFetcher value) {
            fetcher = Objects.requireNonNull(value, "fetcher");
            return this;
        }

        /**
         * Sets whether file paths and {@code file:} URLs are read.
         *
         * @param value whether plain paths and {@code file:} URLs are read; default false
         * @return this builder
         */
        public Builder allowFiles(boolean value) {
            files = value;
            return this;
        }

        /**
         * Registers a URI scheme.
         *
         * @param scheme a scheme such as {@code s3}; not http, https or file
         * @param opener opens its URIs
         * @return this builder
         */
        public Builder scheme(String scheme, Opener opener) {
            String s = scheme.toLowerCase(Locale.ROOT);
            if (s.equals("http") || s.equals("https") || s.equals("file")) {
                throw new IllegalArgumentException("scheme " + s + " is built in");
            }
            schemes.put(s, Objects.requireNonNull(opener, "opener"));
            return this;
        }

        /** {@return the resolver} */
        public ImageSources build() {
            if (fetcher == null) {
                fetcher = UrlFetcher.builder().build();
            }
            return new ImageSources(this);
        }
    }
}

package io.omoib.vton.s3;

import io.omoib.vton.source.ImageSourceException;
import java.net.URI;

/** {@code s3://bucket/key}, parsed. */
record S3Uri(String bucket, String key) {
    /**
     * Parses an {@code s3://bucket/key} URI.
     *
     * @param uri the URI
     * @return its bucket and key (the key without its leading slash, still percent-encoded)
     * @throws ImageSourceException if it is not of that form
     */
    static S3Uri parse(URI uri) throws ImageSourceException {
        String bucket = uri.getRawAuthority();
        String key = uri.getPath() == null ? "" : uri.getPath().replaceFirst("^/", "");
        if (!"s3".equalsIgnoreCase(uri.getScheme()) || bucket == null || bucket.isEmpty() || bucket.contains("@")
                || key.isEmpty() || uri.getRawQuery() != null) {
            throw new ImageSourceException(ImageSourceException.Kind.REFUSED, "s3 URI",
                    "'" + (uri.toString().length() > 120 ? uri.toString().substring(0, 117) + "..." : uri)
                            + "' is not of the form s3://bucket/key", null);
        }
        return new S3Uri(bucket, key);
    }

    /** {@return the URI again, with {@code %} and spaces in the key escaped} */
    URI toUri() {
        return URI.create("s3://" + bucket + "/" + key.replace("%", "%25").replace(" ", "%20"));
    }

    @Override
    public String toString() {
        return "s3://" + bucket + "/" + key;
    }
}

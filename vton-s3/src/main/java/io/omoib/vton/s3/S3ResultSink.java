package io.omoib.vton.s3;

import io.omoib.vton.preprocess.RgbImage;
import io.omoib.vton.service.ImageEncoding;
import io.omoib.vton.service.ImageFormat;
import io.omoib.vton.service.ResultName;
import io.omoib.vton.service.ResultSink;
import java.io.IOException;
import java.net.URI;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/**
 * Stores results in S3 (or an S3-compatible store) under a key template, by default the seed server's
 * {@code users/{userId}/vton_result/{timestamp}/result.jpg}. One {@code PutObject} per result, with its
 * {@code Content-Type}, through the client's retry policy: S3 stores a whole object or nothing, so a
 * failed upload leaves no partial result. Returns {@code s3://bucket/key}.
 *
 * <p>Thread safety: immutable and thread-safe; writes from several threads at once are independent
 * {@code PutObject} calls on the (thread-safe) client.
 */
public final class S3ResultSink implements ResultSink {
    /** The seed server's layout; {@code {ext}} is {@code jpg} or {@code png}. */
    public static final String DEFAULT_KEY_TEMPLATE = "users/{userId}/vton_result/{timestamp}/result.{ext}";
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([^}]*)}");

    private final S3Client client;
    private final String bucket;
    private final String keyTemplate;
    private final ImageEncoding encoding;

    private S3ResultSink(Builder b) {
        this.client = b.client;
        this.bucket = b.bucket;
        this.keyTemplate = b.keyTemplate;
        this.encoding = b.encoding;
    }

    /**
     * {@return a builder with the default key template, JPEG at quality 95}
     *
     * @param client the S3 client; not closed by the sink
     * @param bucket the bucket results go to
     */
    public static Builder builder(S3Client client, String bucket) {
        return new Builder(client, bucket);
    }

    /**
     * {@return the key {@link #write} stores it under, every part sanitised}
     *
     * @param name what names the result
     */
    public String keyFor(ResultName name) {
        Matcher m = PLACEHOLDER.matcher(keyTemplate);
        StringBuilder key = new StringBuilder();
        while (m.find()) {
            String value = switch (m.group(1)) {
                case "userId" -> ResultName.sanitize(name.userId());
                case "timestamp" -> ResultName.sanitize(name.timestamp());
                case "clothType" -> name.clothType().id();
                default -> encoding.format().extension();
            };
            m.appendReplacement(key, Matcher.quoteReplacement(value));
        }
        m.appendTail(key);
        return key.toString();
    }

    @Override
    public URI write(ResultName name, RgbImage image) throws IOException {
        String key = keyFor(name);
        byte[] bytes = encoding.encode(image);
        PutObjectRequest request = PutObjectRequest.builder()
                .bucket(bucket)
                .key(key)
                .contentType(encoding.format().contentType())
                .contentLength((long) bytes.length)
                .build();
        try {
            client.putObject(request, RequestBody.fromBytes(bytes));
        } catch (SdkException e) {
            throw new IOException("cannot store the result in s3://" + bucket + "/" + key + ": " + e.getMessage()
                    + "; check VTON_S3_BUCKET, VTON_S3_ENDPOINT and the credentials", e);
        }
        return new S3Uri(bucket, key).toUri();
    }

    @Override
    public String toString() {
        return "S3ResultSink[s3://" + bucket + "/" + keyTemplate + ", " + encoding.format() + "]";
    }

    /** Builds an {@link S3ResultSink}. Not thread-safe: configure it on one thread, then build. */
    public static final class Builder {
        private final S3Client client;
        private final String bucket;
        private String keyTemplate = DEFAULT_KEY_TEMPLATE;
        private ImageEncoding encoding = ImageEncoding.DEFAULT;

        private Builder(S3Client client, String bucket) {
            this.client = Objects.requireNonNull(client, "client");
            if (bucket == null || bucket.isBlank()) {
                throw new IllegalArgumentException("an S3 result sink needs a bucket (VTON_S3_BUCKET)");
            }
            this.bucket = bucket;
        }

        /**
         * Sets the object key template.
         *
         * @param value the key, with placeholders {@code {userId}}, {@code {timestamp}},
         *     {@code {clothType}} and {@code {ext}}; default {@link #DEFAULT_KEY_TEMPLATE}
         * @throws IllegalArgumentException for an unknown placeholder or a template without
         *     {@code {userId}} or {@code {timestamp}}, which would overwrite results
         * @return this builder
         */
        public Builder keyTemplate(String value) {
            Matcher m = PLACEHOLDER.matcher(value);
            boolean user = false;
            boolean time = false;
            while (m.find()) {
                switch (m.group(1)) {
                    case "userId" -> user = true;
                    case "timestamp" -> time = true;
                    case "clothType", "ext" -> { }
                    default -> throw new IllegalArgumentException("unknown placeholder {" + m.group(1)
                            + "} in key template '" + value + "'; use {userId}, {timestamp}, {clothType}, {ext}");
                }
            }
            if (!user || !time || value.startsWith("/")) {
                throw new IllegalArgumentException("key template '" + value
                        + "' must hold {userId} and {timestamp} and not start with /");
            }
            keyTemplate = value;
            return this;
        }

        /**
         * Sets the format.
         *
         * @param value JPEG (default) or PNG, at quality 95 for JPEG
         * @return this builder
         */
        public Builder format(ImageFormat value) {
            return encoding(ImageEncoding.of(value));
        }

        /**
         * Sets the encoding.
         *
         * @param value format, JPEG quality and encoder; default {@link ImageEncoding#DEFAULT}
         * @return this builder
         */
        public Builder encoding(ImageEncoding value) {
            encoding = Objects.requireNonNull(value, "encoding");
            return this;
        }

        /** {@return the sink} */
        public S3ResultSink build() {
            return new S3ResultSink(this);
        }
    }
}

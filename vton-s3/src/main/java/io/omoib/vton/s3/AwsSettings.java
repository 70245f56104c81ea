package io.omoib.vton.s3;

import io.omoib.vton.service.CompletionNotifier;
import io.omoib.vton.service.ResultSink;
import io.omoib.vton.source.ImageSourceException;
import io.omoib.vton.source.ImageSources;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.SqsClientBuilder;

/**
 * The AWS side of a deployment, configured as the seed server was, by environment variables (or the
 * system properties in brackets, which win):
 * <ul>
 *   <li>{@code VTON_S3_BUCKET} ({@code vton.s3.bucket}): store results in this bucket, under
 *       {@link S3ResultSink#DEFAULT_KEY_TEMPLATE}; unset: no S3 sink.</li>
 *   <li>{@code VTON_S3_ENDPOINT} ({@code vton.s3.endpoint}): an S3-compatible endpoint such as
 *       {@code http://127.0.0.1:9000}, addressed path-style; unset: AWS.</li>
 *   <li>{@code VTON_SQS_QUEUE_URL} ({@code vton.sqs.queue.url}): send a completion notice there after
 *       each stored result; a queue URL outside {@code amazonaws.com} is also used as the SQS endpoint.</li>
 *   <li>{@code VTON_SQS_REQUEST_QUEUE_URL} ({@code vton.sqs.request.queue.url}): the queue a
 *       {@link SqsWorker} takes requests from (same endpoint rule; with both queues set, both must be on
 *       the same endpoint).</li>
 *   <li>{@code VTON_S3_INPUTS} ({@code vton.s3.inputs}): where {@code s3://} inputs may be read, as
 *       comma-separated {@code bucket} or {@code bucket/prefix} entries; {@code *} is any bucket but the
 *       result bucket (which an entry must name to be readable). Unset: {@code s3://} inputs are refused,
 *       so a client cannot make the server read whatever its role can read.</li>
 * </ul>
 * Region and credentials come from the SDK's default chains ({@code AWS_REGION},
 * {@code AWS_ACCESS_KEY_ID}, profiles, container and instance roles); with a custom endpoint and no
 * region configured, {@code us-east-1} is used. Clients use the SDK's standard retry mode (3 attempts
 * with backoff), at most 10 s per attempt and 30 s per call, so a slow or hanging store fails a request
 * instead of holding it. The clients a configuration needs are made when it is built (at start-up,
 * not on a request's thread) and closed by {@link #close()}; with nothing configured none is made, so
 * nothing looks up a region or credentials. With a custom endpoint the region is {@code AWS_REGION}
 * (or {@code aws.region}), else {@code us-east-1}: the SDK's region chain, which may ask the
 * instance-metadata address, is walked only for AWS itself.
 *
 * <p>Thread safety: thread-safe. The settings are immutable; the clients are made under the instance's
 * lock and the SDK's clients are themselves thread-safe, so one instance serves every thread. Close it
 * once, after everything using its clients has stopped.
 */
public final class AwsSettings implements AutoCloseable {
    private final String bucket;
    private final URI s3Endpoint;
    private final String queueUrl;
    private final String requestQueueUrl;
    private final List<String> inputs;
    private final Region region;
    private final AwsCredentialsProvider credentials;
    private final Duration attemptTimeout;
    private final Duration callTimeout;
    private S3Client s3;
    private SqsClient sqs;

    private AwsSettings(Builder b) {
        this.bucket = b.bucket;
        this.s3Endpoint = b.s3Endpoint;
        this.queueUrl = b.queueUrl;
        this.requestQueueUrl = b.requestQueueUrl;
        if (queueUrl != null && requestQueueUrl != null
                && !Objects.equals(endpointOf(queueUrl), endpointOf(requestQueueUrl))) {
            throw new IllegalArgumentException("VTON_SQS_QUEUE_URL and VTON_SQS_REQUEST_QUEUE_URL must be on the same "
                    + "SQS endpoint, got '" + queueUrl + "' and '" + requestQueueUrl + "'");
        }
        this.inputs = List.copyOf(b.inputs);
        this.region = b.region;
        this.credentials = b.credentials;
        this.attemptTimeout = b.attemptTimeout;
        this.callTimeout = b.callTimeout;
        if (bucket != null || !inputs.isEmpty()) {
            s3();
        }
        if (queueUrl != null || requestQueueUrl != null) {
            sqs();
        }
    }

    /** {@return settings from the environment and system properties} */
    public static AwsSettings fromEnvironment() {
        return from(System.getenv(), System.getProperties()).build();
    }

    /**
     * {@return a builder holding what they set}
     *
     * @param env environment variables
     * @param properties system properties, which win over the environment
     * @throws IllegalArgumentException if {@code VTON_S3_ENDPOINT} is not an http(s) URL
     */
    public static Builder from(Map<String, String> env, Properties properties) {
        Builder b = new Builder();
        b.bucket(setting(env, properties, "VTON_S3_BUCKET", "vton.s3.bucket"));
        String endpoint = setting(env, properties, "VTON_S3_ENDPOINT", "vton.s3.endpoint");
        if (endpoint != null) {
            b.s3Endpoint(URI.create(endpoint));
        }
        b.queueUrl(setting(env, properties, "VTON_SQS_QUEUE_URL", "vton.sqs.queue.url"));
        b.requestQueueUrl(setting(env, properties, "VTON_SQS_REQUEST_QUEUE_URL", "vton.sqs.request.queue.url"));
        String inputs = setting(env, properties, "VTON_S3_INPUTS", "vton.s3.inputs");
        if (inputs != null) {
            b.inputs(inputs.split(","));
        }
        return b;
    }

    /** {@return a builder with nothing set} */
    public static Builder builder() {
        return new Builder();
    }

    private static String setting(Map<String, String> env, Properties properties, String variable, String property) {
        String value = properties.getProperty(property);
        if (value == null || value.isBlank()) {
            value = env.get(variable);
        }
        return value == null || value.isBlank() ? null : value.strip();
    }

    /** {@return the result bucket, if set} */
    public Optional<String> bucket() {
        return Optional.ofNullable(bucket);
    }

    /** {@return the completion queue's URL, if set} */
    public Optional<String> queueUrl() {
        return Optional.ofNullable(queueUrl);
    }

    /** {@return the queue a {@link SqsWorker} takes requests from, if set} */
    public Optional<String> requestQueueUrl() {
        return Optional.ofNullable(requestQueueUrl);
    }

    /** {@return whether any setting asks for AWS: a result bucket, input buckets or a queue} */
    public boolean configured() {
        return bucket != null || !inputs.isEmpty() || queueUrl != null || requestQueueUrl != null;
    }

    /**
     * {@return where {@code s3://} inputs may be read ({@code bucket} or {@code bucket/prefix}); empty: nowhere}
     */
    public List<String> inputs() {
        return inputs;
    }

    /** {@return the S3 client, made when the settings were built if they name a bucket, else on first use} */
    public synchronized S3Client s3() {
        if (s3 == null) {
            S3ClientBuilder b = S3Client.builder().region(region(s3Endpoint)).overrideConfiguration(clientConfiguration());
            if (s3Endpoint != null) {
                b.endpointOverride(s3Endpoint).forcePathStyle(true);
            }
            if (credentials != null) {
                b.credentialsProvider(credentials);
            }
            s3 = b.build();
        }
        return s3;
    }

    /** {@return the SQS client, made when the settings were built if they name a queue, else on first use} */
    public synchronized SqsClient sqs() {
        if (sqs == null) {
            URI endpoint = sqsEndpoint();
            SqsClientBuilder b = SqsClient.builder().region(region(endpoint)).overrideConfiguration(clientConfiguration());
            if (endpoint != null) {
                b.endpointOverride(endpoint);
            }
            if (credentials != null) {
                b.credentialsProvider(credentials);
            }
            sqs = b.build();
        }
        return sqs;
    }

    /** {@return an {@link S3ResultSink} for the bucket with the default layout, if a bucket is set} */
    public Optional<ResultSink> resultSink() {
        return bucket().map(b -> S3ResultSink.builder(s3(), b).build());
    }

    /** {@return an {@link SqsCompletionNotifier} for the queue, if a queue URL is set} */
    public Optional<CompletionNotifier> notifier() {
        return sqsNotifier().map(CompletionNotifier.class::cast);
    }

    /** {@return an {@link SqsCompletionNotifier} for the queue, if a queue URL is set, for failure notices too} */
    public Optional<SqsCompletionNotifier> sqsNotifier() {
        return queueUrl().map(q -> new SqsCompletionNotifier(sqs(), q));
    }

    /**
     * Lets {@code sources} open {@code s3://} URIs inside {@link #inputs()} with this S3 client; with no
     * inputs configured it adds nothing, and {@code s3://} stays an unsupported scheme.
     *
     * @param sources a builder to add {@code s3://} sources to
     * @param maxBytes the largest object accepted
     * @return the same builder
     */
    public ImageSources.Builder addS3Sources(ImageSources.Builder sources, long maxBytes) {
        if (inputs.isEmpty()) {
            return sources;
        }
        S3Client client = s3();
        return sources.scheme("s3", uri -> {
            S3ImageSource source = S3ImageSource.of(client, uri, maxBytes);
            if (!readable(source.location())) {
                throw new ImageSourceException(ImageSourceException.Kind.REFUSED, source.name(),
                        "is outside the buckets this server reads inputs from (VTON_S3_INPUTS)", null);
            }
            return source;
        });
    }

    /** {@return whether an input entry covers the object: its bucket, or its bucket and a prefix of its key} */
    private boolean readable(S3Uri object) {
        for (String entry : inputs) {
            if (entry.equals("*")) {
                if (!object.bucket().equals(bucket)) {
                    return true;
                }
                continue;
            }
            int slash = entry.indexOf('/');
            String entryBucket = slash < 0 ? entry : entry.substring(0, slash);
            String prefix = slash < 0 ? "" : entry.substring(slash + 1);
            if (object.bucket().equals(entryBucket) && object.key().startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    private URI sqsEndpoint() {
        return endpointOf(queueUrl != null ? queueUrl : requestQueueUrl);
    }

    /** {@return the endpoint a queue URL implies: {@code null} for AWS itself, else its scheme and authority} */
    private static URI endpointOf(String queue) {
        if (queue == null) {
            return null;
        }
        URI url = URI.create(queue);
        String host = url.getHost() == null ? "" : url.getHost();
        return host.endsWith(".amazonaws.com") ? null
                : URI.create(url.getScheme() + "://" + url.getRawAuthority());
    }

    private Region region(URI endpoint) {
        if (region != null) {
            return region;
        }
        if (endpoint != null) {
            String configured = System.getProperty("aws.region", System.getenv("AWS_REGION"));
            return configured == null || configured.isBlank() ? Region.US_EAST_1 : Region.of(configured.strip());
        }
        try {
            return new DefaultAwsRegionProviderChain().getRegion();
        } catch (SdkClientException e) {
            if (endpoint != null) {
                return Region.US_EAST_1;
            }
            throw new IllegalStateException("no AWS region is configured; set AWS_REGION", e);
        }
    }

    private ClientOverrideConfiguration clientConfiguration() {
        return ClientOverrideConfiguration.builder()
                .retryStrategy(RetryMode.STANDARD)
                .apiCallAttemptTimeout(attemptTimeout)
                .apiCallTimeout(callTimeout)
                .build();
    }

    @Override
    public synchronized void close() {
        if (s3 != null) {
            s3.close();
        }
        if (sqs != null) {
            sqs.close();
        }
    }

    @Override
    public String toString() {
        return "AwsSettings[bucket " + bucket + ", endpoint " + s3Endpoint + ", queue " + queueUrl + ", requests "
                + requestQueueUrl + ", inputs "
                + inputs + "]";
    }

    /** Builds {@link AwsSettings}. Not thread-safe: configure it on one thread, then build. */
    public static final class Builder {
        private String bucket;
        private URI s3Endpoint;
        private String queueUrl;
        private String requestQueueUrl;
        private final List<String> inputs = new ArrayList<>();
        private Region region;
        private AwsCredentialsProvider credentials;
        private Duration attemptTimeout = Duration.ofSeconds(10);
        private Duration callTimeout = Duration.ofSeconds(30);

        private Builder() {
        }

        /**
         * Sets the time limits of each AWS call.
         *
         * @param attempt the longest one HTTP attempt may take; default 10 s
         * @param call the longest a call may take, retries included; default 30 s
         * @return this builder
         */
        public Builder timeouts(Duration attempt, Duration call) {
            if (attempt.isNegative() || attempt.isZero() || call.compareTo(attempt) < 0) {
                throw new IllegalArgumentException("timeouts must be positive and the call's at least the attempt's, got "
                        + attempt + " and " + call);
            }
            attemptTimeout = attempt;
            callTimeout = call;
            return this;
        }

        /**
         * Sets the bucket.
         *
         * @param value the result bucket, or {@code null} for none
         * @return this builder
         */
        public Builder bucket(String value) {
            bucket = value;
            return this;
        }

        /**
         * Sets an S3-compatible endpoint.
         *
         * @param value an S3-compatible endpoint, or {@code null} for AWS
         * @return this builder
         */
        public Builder s3Endpoint(URI value) {
            if (value != null && !"http".equals(value.getScheme()) && !"https".equals(value.getScheme())) {
                throw new IllegalArgumentException("VTON_S3_ENDPOINT must be an http(s) URL, got '" + value + "'");
            }
            s3Endpoint = value;
            return this;
        }

        /**
         * Sets the SQS queue completion notices go to.
         *
         * @param value the completion queue's URL, or {@code null} for no notices
         * @return this builder
         */
        public Builder queueUrl(String value) {
            if (value != null && URI.create(value).getHost() == null) {
                throw new IllegalArgumentException("VTON_SQS_QUEUE_URL must be a queue URL, got '" + value + "'");
            }
            queueUrl = value;
            return this;
        }

        /**
         * Sets the SQS queue requests are taken from.
         *
         * @param value the URL of the queue a {@link SqsWorker} takes requests from, or {@code null}
         * @return this builder
         */
        public Builder requestQueueUrl(String value) {
            if (value != null && URI.create(value).getHost() == null) {
                throw new IllegalArgumentException("VTON_SQS_REQUEST_QUEUE_URL must be a queue URL, got '" + value + "'");
            }
            requestQueueUrl = value;
            return this;
        }

        /**
         * Sets where {@code s3://} inputs may be read.
         *
         * @param entries where {@code s3://} inputs may be read: {@code bucket}, {@code bucket/prefix},
         *     or {@code *} for any bucket but the result bucket; blank entries are skipped
         * @return this builder
         */
        public Builder inputs(String... entries) {
            for (String entry : entries) {
                String e = entry.strip();
                if (e.startsWith("s3://")) {
                    e = e.substring(5);
                }
                if (!e.isEmpty()) {
                    inputs.add(e);
                }
            }
            return this;
        }

        /**
         * Sets the region.
         *
         * @param value the region; default the SDK's region chain
         * @return this builder
         */
        public Builder region(Region value) {
            region = value;
            return this;
        }

        /**
         * Sets the credentials.
         *
         * @param value the credentials; default the SDK's credentials chain
         * @return this builder
         */
        public Builder credentials(AwsCredentialsProvider value) {
            credentials = value;
            return this;
        }

        /** {@return the settings} */
        public AwsSettings build() {
            return new AwsSettings(this);
        }
    }
}

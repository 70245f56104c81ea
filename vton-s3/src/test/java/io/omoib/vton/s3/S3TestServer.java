package io.omoib.vton.s3;

import java.net.URI;
import java.util.Map;
import java.util.Properties;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;

/**
 * S3Proxy in-process on 127.0.0.1 over an in-memory store that survives {@link #stop()} and {@link #start()};
 * shared with vton-examples' tests through this module's test jar.
 */
public final class S3TestServer implements AutoCloseable {
    static final String ACCESS_KEY = "test-access";
    static final String SECRET_KEY = "test-secret";

    private final BlobStore store = BlobStores.create("transient", new Properties());
    private S3Proxy proxy;
    private int port;

    /** Starts on a free port. */
    public S3TestServer() throws Exception {
        start();
    }

    /** Starts (again) on the same port, with the same objects. */
    public void start() throws Exception {
        proxy = S3Proxy.builder()
                .blobStore(store)
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .endpoint(URI.create("http://127.0.0.1:" + port))
                .ignoreUnknownHeaders(true)
                .build();
        proxy.start();
        port = proxy.getPort();
    }

    /** Stops listening: connections are refused until {@link #start()}. */
    public void stop() throws Exception {
        proxy.stop();
    }

    /** @return {@code http://127.0.0.1:port} */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /**
     * @return the environment a child process needs to reach this server: {@code VTON_S3_ENDPOINT},
     *     the test credentials and a region
     */
    public Map<String, String> environment() {
        return Map.of("VTON_S3_ENDPOINT", endpoint().toString(), "AWS_ACCESS_KEY_ID", ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY", SECRET_KEY, "AWS_REGION", "us-east-1");
    }

    /** @return settings for this server with static test credentials */
    public AwsSettings.Builder settings() {
        return AwsSettings.builder()
                .s3Endpoint(endpoint())
                .region(Region.US_EAST_1)
                .credentials(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)));
    }

    @Override
    public void close() {
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException("S3Proxy did not stop", e);
        }
    }
}

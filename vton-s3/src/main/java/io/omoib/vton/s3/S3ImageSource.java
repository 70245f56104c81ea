package io.omoib.vton.s3;

import io.omoib.vton.source.ImageSource;
import io.omoib.vton.source.ImageSourceException.Kind;
import io.omoib.vton.source.ImageSourceException;
import io.omoib.vton.source.ImageSources;
import io.omoib.vton.source.UrlFetcher;
import java.io.IOException;
import java.net.URI;
import java.util.Objects;
import java.util.Optional;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * An image in S3 or an S3-compatible store, {@code s3://bucket/key}, read with the client's
 * credentials within a size limit (checked against the object's length before reading, and while
 * reading). Register it with {@link ImageSources.Builder#scheme} through {@link #opener}.
 *
 * <p>Thread safety: immutable and thread-safe; each {@link #read()} is its own {@code GetObject} call
 * on the (thread-safe) client, so one source may be read from several threads at once.
 */
public final class S3ImageSource implements ImageSource {
    /** The default size limit, as {@code UrlFetcher}'s: 20 MiB. */
    public static final long DEFAULT_MAX_BYTES = 20L << 20;

    private final S3Client client;
    private final S3Uri location;
    private final long maxBytes;

    private S3ImageSource(S3Client client, S3Uri location, long maxBytes) {
        this.client = client;
        this.location = location;
        this.maxBytes = maxBytes;
    }

    /**
     * {@return the source, not yet read}
     *
     * @param client the S3 client, not closed by the source
     * @param uri {@code s3://bucket/key}
     * @param maxBytes the largest object accepted
     * @throws ImageSourceException with {@code REFUSED} if the URI is not of that form
     */
    public static S3ImageSource of(S3Client client, URI uri, long maxBytes) throws ImageSourceException {
        Objects.requireNonNull(client, "client");
        if (maxBytes < 1 || maxBytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("maxBytes must be 1 to " + (Integer.MAX_VALUE - 8) + ", got " + maxBytes);
        }
        return new S3ImageSource(client, S3Uri.parse(uri), maxBytes);
    }

    /**
     * {@return opens {@code s3://} URIs for {@link ImageSources}}
     *
     * @param client the S3 client
     * @param maxBytes the largest object accepted
     */
    public static ImageSources.Opener opener(S3Client client, long maxBytes) {
        return uri -> of(client, uri, maxBytes);
    }

    @Override
    public String name() {
        return location.toString();
    }

    /** {@return {@code s3://bucket}: reads of one bucket share the service's per-origin cap} */
    @Override
    public Optional<String> origin() {
        return Optional.of("s3://" + location.bucket());
    }

    /** {@return the bucket and key} */
    S3Uri location() {
        return location;
    }

    @Override
    public byte[] read() throws IOException {
        GetObjectRequest request = GetObjectRequest.builder().bucket(location.bucket()).key(location.key()).build();
        try (ResponseInputStream<GetObjectResponse> in = client.getObject(request)) {
            Long length = in.response().contentLength();
            if (length != null && length > maxBytes) {
                in.abort();
                throw ImageSourceException.tooLarge(name(), maxBytes);
            }
            return ImageSource.readAtMost(in, maxBytes, name());
        } catch (NoSuchKeyException | NoSuchBucketException e) {
            throw new ImageSourceException(Kind.NOT_FOUND, name(), "no such object", e);
        } catch (S3Exception e) {
            Kind kind = e.statusCode() == 403 || e.statusCode() == 404 ? Kind.NOT_FOUND : Kind.UNAVAILABLE;
            throw new ImageSourceException(kind, name(), "S3 answered " + e.statusCode() + " "
                    + e.awsErrorDetails().errorCode() + "; check the key and the server's permissions", e);
        } catch (SdkException e) {
            throw new ImageSourceException(Kind.UNAVAILABLE, name(), "S3 could not be reached: " + e.getMessage(), e);
        }
    }



    @Override
    public String toString() {
        return name();
    }
}

package io.omoib.vton.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.omoib.vton.preprocess.ClothType;
import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.preprocess.RgbImage;
import io.omoib.vton.service.ImageFormat;
import io.omoib.vton.service.ResultName;
import io.omoib.vton.source.ImageSource;
import io.omoib.vton.source.ImageSourceException;
import io.omoib.vton.source.ImageSources;
import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

/** The S3 sink and source against S3Proxy over real HTTP. */
class S3ResultSinkTest {
    private static final RgbImage IMAGE = RgbImage.filled(96, 128, 200, 40, 90);
    private static S3TestServer server;
    private static AwsSettings settings;
    private static S3Client s3;

    @BeforeAll
    static void start() throws Exception {
        server = new S3TestServer();
        settings = server.settings().bucket("results").inputs("inputs").build();
        s3 = settings.s3();
        s3.createBucket(b -> b.bucket("results"));
        s3.createBucket(b -> b.bucket("inputs"));
    }

    @AfterAll
    static void stop() throws Exception {
        settings.close();
        server.close();
    }

    private static List<String> keys(String prefix) {
        return s3.listObjectsV2(b -> b.bucket("results").prefix(prefix)).contents().stream().map(S3Object::key).toList();
    }

    @Test
    void storesJpegUnderTheSeedLayoutWithItsContentType() throws IOException {
        ResultName name = new ResultName("user-1", ClothType.OVERALL, "1700000000");

        URI location = settings.resultSink().orElseThrow().write(name, IMAGE);

        assertThat(location).isEqualTo(URI.create("s3://results/users/user-1/vton_result/1700000000/result.jpg"));
        HeadObjectResponse head = s3.headObject(b -> b.bucket("results").key("users/user-1/vton_result/1700000000/result.jpg"));
        assertThat(head.contentType()).isEqualTo("image/jpeg");
        byte[] stored = s3.getObjectAsBytes(b -> b.bucket("results").key("users/user-1/vton_result/1700000000/result.jpg"))
                .asByteArray();
        assertThat(ImageCodec.defaults().decode(stored, "stored").width()).isEqualTo(96);
    }

    @Test
    void keyTemplatesAndPngAreHonouredAndNamesSanitised() throws IOException {
        S3ResultSink sink = S3ResultSink.builder(s3, "results").format(ImageFormat.PNG)
                .keyTemplate("tryon/{clothType}/{userId}-{timestamp}.{ext}").build();

        URI location = sink.write(new ResultName("../../admin", ClothType.UPPER, "a/b?c"), IMAGE);

        assertThat(location.toString())
                .matches("s3://results/tryon/upper/_\\.\\._\\.\\._admin-[0-9a-f]{12}-a_b_c-[0-9a-f]{12}\\.png");
        String key = location.getPath().substring(1);
        byte[] stored = s3.getObjectAsBytes(b -> b.bucket("results").key(key)).asByteArray();
        assertThat(ImageCodec.defaults().decode(stored, "png")).isEqualTo(IMAGE);
        assertThatThrownBy(() -> S3ResultSink.builder(s3, "results").keyTemplate("{userId}/{bucket}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("{bucket}");
        assertThatThrownBy(() -> S3ResultSink.builder(s3, "results").keyTemplate("fixed/{userId}.jpg"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("{timestamp}");
    }

    @Test
    void anUnreachableEndpointFailsClearlyLeavesNothingAndARetrySucceeds() throws Exception {
        S3ResultSink sink = S3ResultSink.builder(s3, "results").build();
        ResultName name = new ResultName("outage", ClothType.LOWER, "t1");

        server.stop();
        try {
            assertThatThrownBy(() -> sink.write(name, IMAGE)).isInstanceOf(IOException.class)
                    .hasMessageContaining("s3://results/users/outage/vton_result/t1/result.jpg")
                    .hasMessageContaining("VTON_S3_ENDPOINT");
        } finally {
            server.start();
        }
        assertThat(keys("users/outage/")).isEmpty();

        assertThat(sink.write(name, IMAGE)).hasToString("s3://results/users/outage/vton_result/t1/result.jpg");
        assertThat(keys("users/outage/")).containsExactly("users/outage/vton_result/t1/result.jpg");
    }

    @Test
    void s3InputsAreReadOnlyInsideTheConfiguredBucketsAndNeverFromTheResultBucketByDefault() throws IOException {
        try (AwsSettings none = server.settings().bucket("results").build();
             AwsSettings any = server.settings().bucket("results").inputs("*").build();
             AwsSettings prefixed = server.settings().inputs("results/shared/", " inputs ").build()) {
            assertThatThrownBy(() -> none.addS3Sources(ImageSources.builder(), 1 << 20).build()
                    .resolve("s3://inputs/a.png", "person_image_url"))
                    .isInstanceOfSatisfying(ImageSourceException.class,
                            e -> assertThat(e.kind()).isEqualTo(ImageSourceException.Kind.REFUSED));
            ImageSources anyBucket = any.addS3Sources(ImageSources.builder(), 1 << 20).build();
            assertThat(anyBucket.resolve("s3://inputs/a.png", "person").name()).isEqualTo("s3://inputs/a.png");
            assertThatThrownBy(() -> anyBucket.resolve("s3://results/users/u1/vton_result/t/result.jpg", "mask"))
                    .isInstanceOf(ImageSourceException.class).hasMessageContaining("VTON_S3_INPUTS");
            ImageSources byPrefix = prefixed.addS3Sources(ImageSources.builder(), 1 << 20).build();
            assertThat(byPrefix.resolve("s3://results/shared/a.png", "upper").name()).isEqualTo("s3://results/shared/a.png");
            assertThat(byPrefix.resolve("s3://inputs/x/y.png", "upper").name()).isEqualTo("s3://inputs/x/y.png");
            assertThatThrownBy(() -> byPrefix.resolve("s3://results/users/a.png", "lower"))
                    .isInstanceOf(ImageSourceException.class).hasMessageContaining("s3://results/users/a.png");
        }
    }

    @Test
    void aBucketOnAwsWithoutARegionFailsWhenTheSettingsAreBuiltNotOnARequest() {
        assumeTrue(System.getenv("AWS_REGION") == null && System.getProperty("aws.region") == null,
                "a region is configured on this machine");

        assertThatThrownBy(() -> AwsSettings.builder().bucket("results").build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("set AWS_REGION");
    }

    @Test
    void settingsWithNothingConfiguredMakeNoClient() {
        try (AwsSettings nothing = AwsSettings.from(Map.of(), new Properties()).build()) {
            assertThat(nothing.configured()).isFalse();
            assertThat(nothing.inputs()).isEmpty();
            assertThat(nothing.requestQueueUrl()).isEmpty();
            assertThat(nothing).hasToString("AwsSettings[bucket null, endpoint null, queue null, requests null, inputs []]");
        }
        AwsSettings fromEnv = AwsSettings.from(Map.of("VTON_S3_INPUTS", "a, b/c/ ,,"), new Properties())
                .s3Endpoint(server.endpoint()).build();
        assertThat(fromEnv.inputs()).containsExactly("a", "b/c/");
        fromEnv.close();
    }

    @Test
    void s3SourcesReadObjectsWithinTheLimit() throws IOException {
        byte[] png = ImageCodec.defaults().encodePng(IMAGE);
        s3.putObject(b -> b.bucket("inputs").key("people/p 1.png"), RequestBody.fromBytes(png));
        ImageSources sources = settings.addS3Sources(ImageSources.builder(), 1 << 20).build();

        ImageSource source = sources.resolve("s3://inputs/people/p%201.png", "person");
        assertThat(source.name()).isEqualTo("s3://inputs/people/p 1.png");
        assertThat(source.read()).isEqualTo(png);

        ImageSource small = S3ImageSource.of(s3, URI.create("s3://inputs/people/p%201.png"), 100);
        assertThatThrownBy(small::read).isInstanceOfSatisfying(ImageSourceException.class,
                e -> assertThat(e.kind()).isEqualTo(ImageSourceException.Kind.TOO_LARGE));
        assertThatThrownBy(() -> sources.resolve("s3://inputs/missing.png", "mask").read())
                .isInstanceOfSatisfying(ImageSourceException.class,
                        e -> assertThat(e.kind()).isEqualTo(ImageSourceException.Kind.NOT_FOUND))
                .hasMessageContaining("s3://inputs/missing.png");
        assertThatThrownBy(() -> sources.resolve("s3://inputs", "mask"))
                .isInstanceOfSatisfying(ImageSourceException.class,
                        e -> assertThat(e.kind()).isEqualTo(ImageSourceException.Kind.REFUSED))
                .hasMessageContaining("s3://bucket/key");
    }

    @Test
    void settingsComeFromTheEnvironmentWithPropertiesWinning() {
        Properties properties = new Properties();
        properties.setProperty("vton.s3.bucket", "from-property");
        AwsSettings fromEnv = AwsSettings.from(Map.of("VTON_S3_BUCKET", "from-env",
                "VTON_SQS_QUEUE_URL", "http://127.0.0.1:9324/000000000000/done"), properties)
                .region(Region.US_EAST_1).build();

        assertThat(fromEnv.bucket()).contains("from-property");
        assertThat(fromEnv.queueUrl()).contains("http://127.0.0.1:9324/000000000000/done");
        fromEnv.close();
        assertThat(AwsSettings.from(Map.of(), new Properties()).build().resultSink()).isEmpty();
        assertThatThrownBy(() -> AwsSettings.from(Map.of("VTON_S3_ENDPOINT", "ftp://x"), new Properties()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("VTON_S3_ENDPOINT");
    }
}

package io.omoib.vton.s3;

import static org.assertj.core.api.Assertions.assertThat;

import io.omoib.vton.pipeline.CatVTONPipeline;
import io.omoib.vton.preprocess.ClothType;
import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.service.TryOnRequest;
import io.omoib.vton.service.TryOnResult;
import io.omoib.vton.service.TryOnService;
import io.omoib.vton.source.ImageSources;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/** The "On AWS" example of docs/JAVA.md as written, configured as a deployment would be: by settings, here system properties. */
class ReadmeAwsExampleTest {
    private static final Map<String, String> PROPERTIES = Map.of(
            "vton.s3.bucket", "results", "vton.s3.inputs", "inputs", "aws.region", "us-east-1",
            "aws.accessKeyId", S3TestServer.ACCESS_KEY, "aws.secretAccessKey", S3TestServer.SECRET_KEY);

    @AfterEach
    void clear() {
        PROPERTIES.keySet().forEach(System::clearProperty);
        System.clearProperty("vton.s3.endpoint");
    }

    @Test
    void readmeExampleStoresTheResultInTheBucket() throws Exception {
        try (S3TestServer server = new S3TestServer()) {
            PROPERTIES.forEach(System::setProperty);
            System.setProperty("vton.s3.endpoint", server.endpoint().toString());
            ImageCodec codec = ImageCodec.defaults();
            try (AwsSettings setup = AwsSettings.fromEnvironment()) {
                S3Client s3 = setup.s3();
                s3.createBucket(b -> b.bucket("results"));
                s3.createBucket(b -> b.bucket("inputs"));
                s3.putObject(b -> b.bucket("inputs").key("person.jpg"),
                        RequestBody.fromBytes(codec.encodeJpeg(ServiceOnAwsTest.gradient(300, 400, 3))));
                s3.putObject(b -> b.bucket("inputs").key("mask.png"),
                        RequestBody.fromBytes(codec.encodePng(ServiceOnAwsTest.mask(300, 400))));
                s3.putObject(b -> b.bucket("inputs").key("shirt.jpg"),
                        RequestBody.fromBytes(codec.encodeJpeg(ServiceOnAwsTest.gradient(200, 200, 80))));
            }
            Path models = ServiceOnAwsTest.toyModel().getParent();
            URI stored;

            // --- as in docs/JAVA.md ---
            try (AwsSettings aws = AwsSettings.fromEnvironment();   // VTON_S3_BUCKET, VTON_S3_INPUTS=inputs, VTON_SQS_QUEUE_URL, ...
                 CatVTONPipeline pipeline = CatVTONPipeline.builder().modelDirectory(models.resolve("toy-catvton")).build()) {
                ImageSources sources = aws.addS3Sources(ImageSources.builder(), S3ImageSource.DEFAULT_MAX_BYTES).build();
                TryOnService.Builder builder = TryOnService.builder().pipeline(pipeline);
                aws.resultSink().ifPresent(builder::sink);          // s3://{bucket}/users/{userId}/vton_result/{timestamp}/result.jpg
                aws.notifier().ifPresent(builder::notifier);        // {"userId", "initial_timestamp", "result_uri", "result_key"}
                try (TryOnService service = builder.build()) {
                    TryOnResult result = service.submit(TryOnRequest.builder()
                            .person(sources.resolve("s3://inputs/person.jpg", "person"))
                            .mask(sources.resolve("s3://inputs/mask.png", "mask"))
                            .upper(sources.resolve("s3://inputs/shirt.jpg", "upper"))
                            .clothType(ClothType.UPPER).userId("u42").timestamp("1732900000")
                            .build()).get();
                    System.out.println(result.location());         // s3://{bucket}/users/u42/vton_result/1732900000/result.jpg
                    stored = result.location();
                }
            }
            // ---

            assertThat(stored).isEqualTo(URI.create("s3://results/users/u42/vton_result/1732900000/result.jpg"));
            try (AwsSettings check = AwsSettings.fromEnvironment()) {
                byte[] jpeg = check.s3().getObjectAsBytes(b -> b.bucket("results")
                        .key("users/u42/vton_result/1732900000/result.jpg")).asByteArray();
                assertThat(codec.decode(jpeg, "stored").width()).isEqualTo(768);
            }
        }
    }
}

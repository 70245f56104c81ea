package io.omoib.vton.s3;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonParser;
import io.omoib.vton.pipeline.CatVTONPipeline;
import io.omoib.vton.pipeline.TryOnParameters;
import io.omoib.vton.preprocess.ClothType;
import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.preprocess.RgbImage;
import io.omoib.vton.service.TryOnRequest;
import io.omoib.vton.service.TryOnResult;
import io.omoib.vton.service.TryOnService;
import io.omoib.vton.source.ImageSources;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sqs.model.Message;

/** The seed server's whole round trip: s3:// inputs, the toy model, the S3 result and the SQS notice. */
class ServiceOnAwsTest {

    static Path toyModel() {
        Path dir = Path.of("").toAbsolutePath();
        while (!Files.isDirectory(dir.resolve("models/toy-catvton"))) {
            dir = dir.getParent();
        }
        return dir.resolve("models/toy-catvton");
    }

    /** A synthetic photo: a smooth gradient, so that resizing has something to do. */
    static RgbImage gradient(int width, int height, int seed) {
        byte[] rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int i = (y * width + x) * 3;
                rgb[i] = (byte) (x * 255 / width + seed);
                rgb[i + 1] = (byte) (y * 255 / height);
                rgb[i + 2] = (byte) ((x + y + seed * 7) & 0xff);
            }
        }
        return RgbImage.of(width, height, rgb);
    }

    static RgbImage mask(int width, int height) {
        byte[] rgb = new byte[width * height * 3];
        for (int y = height / 4; y < height * 3 / 4; y++) {
            for (int x = width / 4; x < width * 3 / 4; x++) {
                int i = (y * width + x) * 3;
                rgb[i] = rgb[i + 1] = rgb[i + 2] = (byte) 255;
            }
        }
        return RgbImage.of(width, height, rgb);
    }

    @Test
    void s3InputsGiveAnS3ResultAndAnSqsNotice() throws Exception {
        SQSRestServer elasticMq = SQSRestServerBuilder.withInterface("127.0.0.1").withDynamicPort().start();
        String queueUrl = "http://127.0.0.1:" + elasticMq.waitUntilStarted().localAddress().getPort()
                + "/000000000000/done";
        ImageCodec codec = ImageCodec.defaults();
        try (S3TestServer server = new S3TestServer();
             AwsSettings aws = server.settings().bucket("vton").inputs("vton/in/").queueUrl(queueUrl).build();
             CatVTONPipeline toy = CatVTONPipeline.builder().modelDirectory(toyModel()).build()) {
            aws.sqs().createQueue(b -> b.queueName("done"));
            S3Client s3 = aws.s3();
            s3.createBucket(b -> b.bucket("vton"));
            s3.putObject(b -> b.bucket("vton").key("in/person.png"), RequestBody.fromBytes(codec.encodePng(gradient(300, 400, 1))));
            s3.putObject(b -> b.bucket("vton").key("in/mask.png"), RequestBody.fromBytes(codec.encodePng(mask(300, 400))));
            s3.putObject(b -> b.bucket("vton").key("in/upper.jpg"), RequestBody.fromBytes(codec.encodeJpeg(gradient(200, 200, 9))));
            s3.putObject(b -> b.bucket("vton").key("in/lower.jpg"), RequestBody.fromBytes(codec.encodeJpeg(gradient(180, 240, 50))));
            ImageSources sources = aws.addS3Sources(ImageSources.builder(), 1 << 20).build();

            TryOnResult result;
            try (TryOnService service = TryOnService.builder().pipeline(toy)
                    .sink(aws.resultSink().orElseThrow()).notifier(aws.notifier().orElseThrow()).build()) {
                result = service.submit(TryOnRequest.builder()
                        .person(sources.resolve("s3://vton/in/person.png", "person"))
                        .mask(sources.resolve("s3://vton/in/mask.png", "mask"))
                        .upper(sources.resolve("s3://vton/in/upper.jpg", "upper"))
                        .lower(sources.resolve("s3://vton/in/lower.jpg", "lower"))
                        .clothType(ClothType.OVERALL)
                        .size(384, 512)
                        .parameters(TryOnParameters.builder().steps(3).build())
                        .userId("seed-user")
                        .timestamp("1732900000")
                        .build()).get(60, TimeUnit.SECONDS);
            }

            String key = "users/seed-user/vton_result/1732900000/result.jpg";
            assertThat(result.location()).isEqualTo(URI.create("s3://vton/" + key));
            RgbImage stored = codec.decode(s3.getObjectAsBytes(b -> b.bucket("vton").key(key)).asByteArray(), key);
            assertThat(stored.width()).isEqualTo(384);
            assertThat(TestImages.meanAbsoluteDifference(stored, result.image())).as("JPEG q95 of the result")
                    .isLessThan(3.0);
            List<Message> notices = aws.sqs().receiveMessage(b -> b.queueUrl(queueUrl).waitTimeSeconds(2)).messages();
            assertThat(notices).hasSize(1);
            assertThat(JsonParser.parseString(notices.get(0).body()).getAsJsonObject().get("result_key").getAsString())
                    .isEqualTo(key);
        } finally {
            elasticMq.stopAndWait();
        }
    }
}

package io.omoib.vton.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.omoib.vton.pipeline.CatVTONPipeline;
import io.omoib.vton.pipeline.TryOnParameters;
import io.omoib.vton.preprocess.ClothType;
import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.preprocess.RgbImage;
import io.omoib.vton.service.ResultName;
import io.omoib.vton.service.TryOnRequest;
import io.omoib.vton.service.TryOnResult;
import io.omoib.vton.service.TryOnService;
import io.omoib.vton.source.ImageSource;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.model.S3Object;

/** An object store that fails: answering 5xx, hanging, or gone. Requests fail clearly; nothing partial is stored. */
class S3FaultTest {
    private static final RgbImage IMAGE = RgbImage.filled(64, 64, 1, 2, 3);

    /** A stand-in endpoint that counts requests and answers each with the handler's behaviour. */
    private static HttpServer endpoint(AtomicInteger requests, int status, CountDownLatch stall) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", exchange -> {
            try (exchange) {
                requests.incrementAndGet();
                exchange.getRequestBody().readAllBytes();
                if (stall != null) {
                    stall.await(60, TimeUnit.SECONDS);
                }
                exchange.sendResponseHeaders(status, -1);
            } catch (InterruptedException | IOException e) {
                // the client gave up, as the timeout test makes it do
            }
        });
        server.start();
        return server;
    }

    private static AwsSettings settings(HttpServer server, Duration attempt, Duration call) {
        return AwsSettings.builder().bucket("results")
                .s3Endpoint(URI.create("http://127.0.0.1:" + server.getAddress().getPort()))
                .region(Region.US_EAST_1)
                .credentials(StaticCredentialsProvider.create(AwsBasicCredentials.create("a", "b")))
                .timeouts(attempt, call)
                .build();
    }

    @Test
    void serverErrorsAreRetriedThreeTimesThenReported() throws Exception {
        AtomicInteger requests = new AtomicInteger();
        HttpServer failing = endpoint(requests, 503, null);
        try (AwsSettings aws = settings(failing, Duration.ofSeconds(5), Duration.ofSeconds(30))) {
            assertThatThrownBy(() -> aws.resultSink().orElseThrow().write(new ResultName("u", ClothType.UPPER, "t"), IMAGE))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("s3://results/users/u/vton_result/t/result.jpg")
                    .hasMessageContaining("503");
            assertThat(requests.get()).as("the SDK's standard mode makes 3 attempts").isEqualTo(3);
        } finally {
            failing.stop(0);
        }
    }

    @Test
    void aHangingStoreFailsAtTheCallTimeout() throws Exception {
        AtomicInteger requests = new AtomicInteger();
        CountDownLatch never = new CountDownLatch(1);
        HttpServer hanging = endpoint(requests, 200, never);
        try (AwsSettings aws = settings(hanging, Duration.ofMillis(300), Duration.ofSeconds(2))) {
            long started = System.nanoTime();
            assertThatThrownBy(() -> aws.resultSink().orElseThrow().write(new ResultName("u", ClothType.UPPER, "t"), IMAGE))
                    .isInstanceOf(IOException.class).hasMessageContaining("s3://results/");
            // bounded by the 2 s call timeout, not by the store's 60 s stall
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
        } finally {
            never.countDown();
            hanging.stop(0);
        }
    }

    @Test
    void theServiceSurvivesAStoreOutageAndStoresAgainOnceItIsBack() throws Exception {
        ImageCodec codec = ImageCodec.defaults();
        byte[] person = codec.encodePng(ServiceOnAwsTest.gradient(300, 400, 5));
        byte[] mask = codec.encodePng(ServiceOnAwsTest.mask(300, 400));
        byte[] shirt = codec.encodeJpeg(ServiceOnAwsTest.gradient(200, 200, 60));
        try (S3TestServer store = new S3TestServer();
             AwsSettings aws = store.settings().bucket("results").timeouts(Duration.ofSeconds(2), Duration.ofSeconds(5)).build();
             CatVTONPipeline toy = CatVTONPipeline.builder().modelDirectory(ServiceOnAwsTest.toyModel()).build();
             TryOnService service = TryOnService.builder().pipeline(toy).sink(aws.resultSink().orElseThrow()).build()) {
            aws.s3().createBucket(b -> b.bucket("results"));
            TryOnRequest.Builder request = TryOnRequest.builder()
                    .person(ImageSource.of(person, "person")).mask(ImageSource.of(mask, "mask"))
                    .upper(ImageSource.of(shirt, "upper")).clothType(ClothType.UPPER).size(384, 512)
                    .parameters(TryOnParameters.builder().steps(2).build()).userId("outage");

            store.stop();
            CompletableFuture<TryOnResult> during = service.submit(request.timestamp("t1").build());
            Throwable failure = null;
            try {
                during.get(60, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                failure = e.getCause();
            }
            store.start();

            assertThat(failure).isInstanceOf(IOException.class).hasMessageContaining("users/outage/vton_result/t1");
            TryOnResult after = service.submit(request.timestamp("t2").build()).get(60, TimeUnit.SECONDS);
            assertThat(after.location()).hasToString("s3://results/users/outage/vton_result/t2/result.jpg");
            assertThat(aws.s3().listObjectsV2(b -> b.bucket("results")).contents()).extracting(S3Object::key)
                    .containsExactly("users/outage/vton_result/t2/result.jpg");
        }
    }
}

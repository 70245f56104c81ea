package io.omoib.vton.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.omoib.vton.pipeline.CatVTONPipeline;
import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.preprocess.InvalidImageException;
import io.omoib.vton.preprocess.RgbImage;
import io.omoib.vton.s3.AwsSettings;
import io.omoib.vton.service.TryOnService;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hostile-input corpus through every layer: the codec (library), the command line (exit 2 and one
 * line) and the server (4xx with a JSON body), each case within a bounded time.
 */
class HostileInputTest {
    private static final Duration BOUND = Duration.ofSeconds(30);
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static CatVTONPipeline toy;
    private static FileServer files;
    private static InferenceServer open;
    private static InferenceServer guarded;

    @BeforeAll
    static void start() throws Exception {
        toy = CatVTONPipeline.builder().modelDirectory(Environment.bundledModel()).build();
        files = new FileServer();
        for (String name : Samples.NAMES) {
            files.put("/" + name, Samples.bytes(name));
        }
        AwsSettings none = AwsSettings.builder().build();
        // one server lets the loopback file server through, the other keeps the default guard
        open = InferenceServer.builder().host("127.0.0.1").port(0)
                .sources(Environment.sources(Map.of("VTON_URL_ALLOW", "127.0.0.1"), none, false)).start();
        open.ready(TryOnService.builder().pipeline(toy).build());
        guarded = InferenceServer.builder().host("127.0.0.1").port(0)
                .sources(Environment.sources(Map.of("VTON_URL_ALLOW", "localhost"), none, false)).start();
        guarded.ready(TryOnService.builder().pipeline(toy).build());
        files.redirect("/hop", files.url("/person.jpg"));
    }

    @AfterAll
    static void stop() {
        open.shutdown(Duration.ofSeconds(5));
        guarded.shutdown(Duration.ofSeconds(5));
        files.close();
        toy.close();
    }

    private static JsonObject request(String garment) {
        JsonObject json = new JsonObject();
        json.addProperty("person_image_url", files.url("/person.jpg"));
        json.addProperty("mask_image_url", files.url("/mask.png"));
        json.addProperty("upper_cloth_url", files.url("/upper.jpg"));
        json.addProperty("cloth_type", "upper");
        json.addProperty("userId", "hostile");
        json.addProperty("timestamp", "1");
        json.addProperty("num_inference_steps", 1);
        if (garment != null) {
            json.remove("upper_cloth_url");
            json.addProperty("upper_cloth", garment);
        }
        return json;
    }

    private static HttpResponse<String> post(InferenceServer server, byte[] body) {
        return assertTimeoutPreemptively(BOUND, () -> CLIENT.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + "/invocations"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString()));
    }

    private static HttpResponse<String> post(InferenceServer server, String body) {
        return post(server, body.getBytes(StandardCharsets.UTF_8));
    }

    private static void assertBadRequest(HttpResponse<String> response, String field, String what) {
        assertThat(response.statusCode()).as(what + ": " + response.body()).isEqualTo(400);
        JsonObject body = JsonParser.parseString(response.body()).getAsJsonObject();
        assertThat(body.has("error")).as(what).isTrue();
        if (field != null) {
            assertThat(body.get("field").isJsonNull() ? null : body.get("field").getAsString()).as(what).isEqualTo(field);
        }
    }

    @Test
    void everyImageIsDecodedOrRefusedByTheCodec() {
        for (HostileCorpus.Image image : HostileCorpus.images()) {
            assertTimeoutPreemptively(BOUND, () -> {
                if (image.decodes()) {
                    assertThat(ImageCodec.defaults().decode(image.bytes(), image.name()).width()).as(image.name()).isPositive();
                } else {
                    Assertions.assertThatThrownBy(() -> ImageCodec.defaults().decode(image.bytes(), image.name()))
                            .as(image.name()).isInstanceOf(InvalidImageException.class).hasMessageContaining(image.name());
                }
            }, image.name());
        }
    }

    @Test
    void theServerAnswersEveryImageWith200Or400NamingTheField() {
        for (HostileCorpus.Image image : HostileCorpus.images()) {
            HttpResponse<String> response = post(open, request(Base64.getEncoder().encodeToString(image.bytes())).toString());
            if (image.valid()) {
                assertThat(response.statusCode()).as(image.name() + ": " + response.body()).isEqualTo(200);
            } else {
                assertBadRequest(response, image.decodes() ? null : "upper_cloth", image.name());
            }
        }
    }

    @Test
    void theCommandLineExitsWithTwoAndOneLineForEveryBadImage(@TempDir Path dir) throws Exception {
        Path samples = Samples.copyTo(dir);
        int n = 0;
        for (HostileCorpus.Image image : HostileCorpus.images()) {
            int index = n++;
            Path file = Files.write(dir.resolve("garment-" + index), image.bytes());
            StringWriter err = new StringWriter();
            int code = assertTimeoutPreemptively(BOUND, () -> Vton.execute(new PrintWriter(new StringWriter()),
                    new PrintWriter(err), "tryon", "--person", samples.resolve("person.jpg").toString(), "--mask",
                    samples.resolve("mask.png").toString(), "--upper", file.toString(), "--cloth-type", "upper",
                    "--steps", "1", "--out", dir.resolve("out-" + index + ".jpg").toString()));
            assertThat(code).as(image.name() + ": " + err).isEqualTo(image.valid() ? 0 : 2);
            if (!image.valid()) {
                assertThat(err.toString().lines()).as(image.name()).hasSize(1);
            }
        }
    }

    @Test
    void masksThatSelectNothingOrDoNotFitAreRefusedAndAFullMaskWorks() {
        ImageCodec codec = ImageCodec.defaults();
        Map<String, byte[]> masks = Map.of(
                "nothing", codec.encodePng(RgbImage.filled(600, 800, 0, 0, 0)),
                "square", codec.encodePng(RgbImage.filled(600, 600, 255, 255, 255)),
                "everything", codec.encodePng(RgbImage.filled(600, 800, 255, 255, 255)));
        for (Map.Entry<String, byte[]> mask : masks.entrySet()) {
            JsonObject json = request(null);
            json.remove("mask_image_url");
            json.addProperty("mask_image", Base64.getEncoder().encodeToString(mask.getValue()));
            HttpResponse<String> response = post(open, json.toString());
            if (mask.getKey().equals("everything")) {
                assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            } else {
                assertBadRequest(response, null, "mask " + mask.getKey());
                assertThat(response.body()).as(mask.getKey()).contains(mask.getKey().equals("nothing") ? "select" : "aspect");
            }
        }
    }

    @Test
    void hostileJsonIsRefusedOrHandled() {
        assertBadRequest(post(open, "[".repeat(100_000) + "]".repeat(100_000)), null, "deep nesting");
        assertBadRequest(post(open, "{\"a\":" + "{\"a\":".repeat(1000) + "1" + "}".repeat(1001)), null, "deep objects");
        assertBadRequest(post(open, request(null).toString().replace("\"userId\":\"hostile\"",
                "\"userId\":\"a\",\"userId\":\"b\"")), "userId", "duplicate keys");
        assertBadRequest(post(open, new byte[] {'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'}), null, "invalid UTF-8");
        assertBadRequest(post(open, ""), null, "empty body");
        assertBadRequest(post(open, "null"), null, "null");
        assertBadRequest(post(open, "\"just a string\""), null, "a string");
        assertBadRequest(post(open, "{} trailing"), null, "trailing data");
        assertBadRequest(post(open, "{/* comment */}"), null, "comment");

        for (String field : new String[] {"person_image_url", "mask_image_url", "upper_cloth_url", "cloth_type", "userId",
                "timestamp"}) {
            JsonObject missing = request(null);
            missing.remove(field);
            assertBadRequest(post(open, missing.toString()), field, "missing " + field);
        }
        JsonObject wrongTypes = request(null);
        wrongTypes.add("cloth_type", JsonParser.parseString("[\"upper\"]"));
        assertBadRequest(post(open, wrongTypes.toString()), "cloth_type", "array cloth_type");
        JsonObject booleanSteps = request(null);
        booleanSteps.addProperty("num_inference_steps", true);
        assertBadRequest(post(open, booleanSteps.toString()), "num_inference_steps", "boolean steps");
        JsonObject hugeSeed = request(null);
        hugeSeed.addProperty("seed", "1" + "0".repeat(100_000));
        assertBadRequest(post(open, hugeSeed.toString()), "seed", "huge seed");
        JsonObject fraction = request(null);
        fraction.addProperty("num_inference_steps", 2.5);
        assertBadRequest(post(open, fraction.toString()), "num_inference_steps", "fractional steps");

        JsonObject unknownAndHuge = request(null);
        unknownAndHuge.addProperty("extra", "x".repeat(3_000_000));
        unknownAndHuge.add("nested_extra", JsonParser.parseString("{\"a\": [1, 2, {\"b\": null}]}"));
        unknownAndHuge.addProperty("userId", "u".repeat(100_000));
        HttpResponse<String> handled = post(open, unknownAndHuge.toString());
        assertThat(handled.statusCode()).as(handled.body()).isEqualTo(200);
    }

    @Test
    void everySsrfSpellingIsRefusedNamingTheField() {
        String port = Integer.toString(URI.create(files.url("/")).getPort());
        String[] urls = {
                "http://127.0.0.1:" + port + "/person.jpg",
                "http://2130706433:" + port + "/person.jpg",
                "http://0177.0.0.1:" + port + "/person.jpg",
                "http://0x7f.0.0.1:" + port + "/person.jpg",
                "http://127.1:" + port + "/person.jpg",
                "http://[::1]:" + port + "/person.jpg",
                "http://[::ffff:127.0.0.1]:" + port + "/person.jpg",
                "http://[::ffff:a9fe:a9fe]/latest/meta-data/",
                "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
                "http://[fd00::1]/x.jpg",
                "http://10.0.0.1/x.jpg",
                "http://0.0.0.0:" + port + "/person.jpg",
                "http://localhost:" + port + "/hop",       // allowed by name, redirects to 127.0.0.1
                "file:///etc/passwd",
                "jar:file:/tmp/x.jar!/a.png",
                "ftp://example.com/a.jpg",
                "gopher://example.com:70/_GET",
                "dict://127.0.0.1:11211/stat",
                "https://example.com/" + "a".repeat(10_000),
                "not a url at all",
                "/etc/passwd",
        };
        for (String url : urls) {
            JsonObject json = request(null);
            json.addProperty("person_image_url", url);
            HttpResponse<String> response = post(guarded, json.toString());
            assertBadRequest(response, "person_image_url", url.length() > 100 ? url.substring(0, 100) : url);
            assertThat(response.body()).doesNotContain("root:");
        }
    }
}

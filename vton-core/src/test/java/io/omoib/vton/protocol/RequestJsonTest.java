package io.omoib.vton.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.omoib.vton.pipeline.InvalidParameterException.Parameter;
import io.omoib.vton.pipeline.TryOnParameters;
import io.omoib.vton.preprocess.ClothType;
import io.omoib.vton.preprocess.Input;
import io.omoib.vton.service.Failure;
import io.omoib.vton.service.RequestFieldException;
import io.omoib.vton.source.ImageSources;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The contract's field names, written out here once, and the writer and reader agreeing on them. */
class RequestJsonTest {
    /** Inline images only: these tests resolve no URL. */
    private static final ImageSources SOURCES = ImageSources.builder().build();

    @Test
    void theWrittenFieldsAreTheSeeds() {
        JsonObject json = JsonParser.parseString(new RequestJson(ClothType.OVERALL).userId("u1").timestamp("17")
                .url(Input.PERSON, "https://a.example/p.jpg").url(Input.MASK, "https://a.example/m.png")
                .image(Input.UPPER, new byte[] {1, 2, 3}).url(Input.LOWER, "https://a.example/l.jpg")
                .steps(15).guidance(2.5).seed(42).toJson()).getAsJsonObject();

        assertThat(json.keySet()).containsExactlyInAnyOrder("cloth_type", "userId", "timestamp", "person_image_url",
                "mask_image_url", "upper_cloth", "lower_cloth_url", "num_inference_steps", "guidance_scale", "seed");
        assertThat(json.get("cloth_type").getAsString()).isEqualTo("overall");
        assertThat(json.get("upper_cloth").getAsString()).isEqualTo("AQID");
        assertThat(json.get("num_inference_steps").getAsJsonPrimitive().isNumber()).isTrue();
    }

    @Test
    void whatIsWrittenParsesBackAndNamesTheFieldOfEachInput() {
        byte[] body = new RequestJson(ClothType.UPPER).userId("u1").timestamp("17")
                .image(Input.PERSON, new byte[] {8}).image(Input.MASK, new byte[] {9})
                .image(Input.UPPER, new byte[] {10}).steps(7).seed(3).toJson().getBytes(StandardCharsets.UTF_8);

        JsonRequest parsed = JsonRequest.parse(body, SOURCES, TryOnParameters.builder().build(), Duration.ofSeconds(5));

        assertThat(parsed.request().userId()).isEqualTo("u1");
        assertThat(parsed.request().parameters().steps()).isEqualTo(7);
        assertThat(parsed.request().parameters().seed()).isEqualTo(3);
        assertThat(parsed.field(Input.PERSON)).isEqualTo("person_image");
        assertThat(parsed.field(Input.UPPER)).isEqualTo("upper_cloth");
        assertThat(parsed.field(Input.LOWER)).isNull();
    }

    @Test
    void aFailureIsNamedByTheFieldThatCarriedItsInput() {
        byte[] body = new RequestJson(ClothType.UPPER).userId("u").timestamp("1").image(Input.PERSON, new byte[] {1})
                .image(Input.MASK, new byte[] {2}).image(Input.UPPER, new byte[] {3}).toJson()
                .getBytes(StandardCharsets.UTF_8);
        JsonRequest parsed = JsonRequest.parse(body, SOURCES, TryOnParameters.builder().build(), Duration.ofSeconds(5));

        Failure person = Failure.of(new io.omoib.vton.preprocess.InvalidInputException(Input.PERSON, "not a JPEG", null));
        Failure steps = Failure.of(new io.omoib.vton.pipeline.InvalidParameterException(Parameter.STEPS, "too many"));

        assertThat(parsed.field(person)).isEqualTo("person_image");
        assertThat(JsonRequest.field(person, null)).isNull();
        assertThat(JsonRequest.field(steps, null)).isEqualTo("num_inference_steps");
    }

    @Test
    void aNumberInQuotesIsRefusedByItsField() {
        // every image given, so that the quoted number is the only fault
        String body = new RequestJson(ClothType.UPPER).userId("u").timestamp("1").image(Input.PERSON, new byte[] {1})
                .image(Input.MASK, new byte[] {2}).image(Input.UPPER, new byte[] {3}).toJson()
                .replace("}", ",\"guidance_scale\":\"2.5\"}");

        assertThatThrownBy(() -> JsonRequest.parse(body.getBytes(StandardCharsets.UTF_8), SOURCES,
                TryOnParameters.builder().build(), Duration.ofSeconds(5)))
                .isInstanceOfSatisfying(RequestFieldException.class, e -> {
                    assertThat(e.field()).isEqualTo("guidance_scale");
                    assertThat(e.getMessage()).contains("must be a JSON number", "without quotes");
                });
    }

    @Test
    void noticesUseTheSameNames() {
        JsonObject failed = JsonParser.parseString(Notices.failed("u1", "17", "m-1", null, "bad")).getAsJsonObject();

        assertThat(failed.keySet()).containsExactly("userId", "initial_timestamp", "status", "error", "request_id");
        assertThat(failed.get("status").getAsString()).isEqualTo("failed");
    }
}

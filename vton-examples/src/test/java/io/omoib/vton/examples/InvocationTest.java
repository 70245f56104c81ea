package io.omoib.vton.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.gson.JsonObject;
import io.omoib.vton.pipeline.InvalidParameterException.Parameter;
import io.omoib.vton.pipeline.TryOnParameters;
import io.omoib.vton.preprocess.Input;
import io.omoib.vton.protocol.Fields;
import io.omoib.vton.protocol.JsonRequest;
import io.omoib.vton.service.RequestFieldException;
import io.omoib.vton.source.ImageSources;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** One {@code /invocations} body ({@link JsonRequest}): which field each failure names. */
class InvocationTest {
    private static final ImageSources SOURCES = ImageSources.builder().build();
    private static final String IMAGE = Base64.getEncoder().encodeToString(new byte[] {1, 2, 3});

    private static JsonObject body() {
        JsonObject json = new JsonObject();
        json.addProperty("person_image", IMAGE);
        json.addProperty("mask_image", IMAGE);
        json.addProperty("upper_cloth_url", "https://images.example/upper.jpg");
        json.addProperty("cloth_type", "upper");
        json.addProperty("userId", "u1");
        json.addProperty("timestamp", "1");
        return json;
    }

    private static JsonRequest parse(JsonObject json) {
        return parse(json.toString());
    }

    private static JsonRequest parse(String body) {
        return JsonRequest.parse(body.getBytes(StandardCharsets.UTF_8), SOURCES, TryOnParameters.defaults(), Duration.ofSeconds(55));
    }

    @ParameterizedTest
    @CsvSource({"guidance_scale, 3.4e38", "guidance_scale, 50.5", "guidance_scale, -1", "eta, 3.4e38", "eta, 1.01",
            "num_inference_steps, 1001", "num_inference_steps, 0", "seed, -1", "num_inference_steps, 2.5"})
    void anOutOfRangeSamplingValueIsA400NamingItsField(String field, double value) {
        JsonObject json = body();
        json.addProperty(field, value);

        assertThatThrownBy(() -> parse(json)).isInstanceOfSatisfying(RequestFieldException.class,
                e -> assertThat(e.field()).isEqualTo(field));
    }

    @Test
    void eachInputRemembersTheFieldThatCarriedItAndEachParameterHasOne() {
        JsonRequest invocation = parse(body());

        assertThat(invocation.field(Input.PERSON)).isEqualTo("person_image");
        assertThat(invocation.field(Input.MASK)).isEqualTo("mask_image");
        assertThat(invocation.field(Input.UPPER)).isEqualTo("upper_cloth_url");
        assertThat(invocation.field(Input.LOWER)).as("an upper try-on does not read the lower garment").isNull();
        assertThat(invocation.request().sources()).containsOnlyKeys(Input.PERSON, Input.MASK, Input.UPPER);
        assertThat(Fields.parameter(Parameter.STEPS)).isEqualTo("num_inference_steps");
        assertThat(Fields.parameter(Parameter.GUIDANCE)).isEqualTo("guidance_scale");
        assertThat(Fields.parameter(Parameter.SIZE)).isNull();
    }

    @Test
    void aGarmentTheClothTypeNeedsIsRequiredByItsUrlField() {
        JsonObject json = body();
        json.addProperty("cloth_type", "overall");

        assertThatThrownBy(() -> parse(json)).isInstanceOfSatisfying(RequestFieldException.class,
                e -> assertThat(e.field()).isEqualTo("lower_cloth_url")).hasMessageContaining("lower_cloth");
    }

    @ParameterizedTest
    @ValueSource(strings = {"guidance_scale", "eta", "num_inference_steps", "seed"})
    void aSamplingValueInQuotesIsA400AskingForAJsonNumber(String field) {
        JsonObject json = body();
        json.addProperty(field, "1");

        assertThatThrownBy(() -> parse(json)).isInstanceOfSatisfying(RequestFieldException.class,
                e -> assertThat(e.field()).isEqualTo(field)).hasMessageContaining("must be a JSON number");
    }

    @ParameterizedTest
    @ValueSource(strings = {"!!!!", "AAA", "AA=A", "A===", "AAAA!", "AA-_", "QUJD\tRA==", "data:image/png;base64,"})
    void anImageThatIsNotStrictBase64IsA400NamingItsField(String base64) {
        JsonObject json = body();
        json.addProperty("person_image", base64);

        assertThatThrownBy(() -> parse(json)).isInstanceOfSatisfying(RequestFieldException.class,
                e -> assertThat(e.field()).isEqualTo("person_image"))
                .hasMessageContaining("person_image").hasMessageContaining("base64");
    }

    @Test
    void base64WrappedInLinesGivesTheSameBytes() throws IOException {
        byte[] image = new byte[200];
        for (int i = 0; i < image.length; i++) {
            image[i] = (byte) (i * 7);
        }
        JsonObject json = body();
        json.addProperty("person_image", Base64.getMimeEncoder().encodeToString(image) + "\n");

        assertThat(parse(json).request().source(Input.PERSON).read()).isEqualTo(image);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"guidance_scale\": NaN}", "{\"eta\": Infinity}", "{} trailing", "{} {}", "{\"a\": 1} // c",
            "{'a': 1}", "{\"a\": ", "", "{\"a\": [1, }"})
    void invalidJsonIsDescribedInTheProjectsOwnWords(String body) {
        RequestFieldException e = catchThrowableOfType(RequestFieldException.class, () -> parse(body));

        assertThat(e).as("refused").isNotNull();
        assertThat(e.field()).isNull();
        assertThat(e.getMessage()).startsWith("invalid JSON")
                .doesNotContain("JsonReader", "Strictness", "LENIENT", "github", "http", "Troubleshooting");
    }

    @Test
    void aNonFiniteNumberIsPlacedByItsPath() {
        assertThatThrownBy(() -> parse("{\"guidance_scale\": NaN}")).hasMessageContaining("$.guidance_scale")
                .hasMessageContaining("NaN");
    }
}

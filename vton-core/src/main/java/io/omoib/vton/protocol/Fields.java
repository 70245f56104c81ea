package io.omoib.vton.protocol;

import io.omoib.vton.pipeline.InvalidParameterException.Parameter;
import io.omoib.vton.preprocess.Input;

/**
 * The names of the JSON members of the seed's contract: the request ({@code POST /invocations} and a
 * queue message), the server's answers, and the queue worker's notices. Clients, tests and benchmarks
 * name fields through these constants, so that the contract is written down once.
 */
public final class Fields {
    /** Request: {@code "upper"}, {@code "lower"} or {@code "overall"} (upper and lower garment). */
    public static final String CLOTH_TYPE = "cloth_type";
    /** Request and notices: who the try-on is for (a string). */
    public static final String USER_ID = "userId";
    /** Request: which of the user's requests this is (a string); notices quote it as {@link #INITIAL_TIMESTAMP}. */
    public static final String TIMESTAMP = "timestamp";
    /** Request, optional: denoising steps (a JSON integer). */
    public static final String STEPS = "num_inference_steps";
    /** Request, optional: classifier-free guidance scale (a JSON number). */
    public static final String GUIDANCE = "guidance_scale";
    /** Request, optional: DDIM eta (a JSON number). */
    public static final String ETA = "eta";
    /** Request, optional: the seed of the initial noise (a JSON integer). */
    public static final String SEED = "seed";

    /** Answers: {@value #SUCCESS} on success. */
    public static final String MESSAGE = "message";
    /** The {@link #MESSAGE} of every successful answer, as the seed wrote it. */
    public static final String SUCCESS = "VTON run successfully";
    /** Answers: the result image in standard base64. */
    public static final String IMAGE = "image";
    /** Answers: the media type of {@link #IMAGE}. */
    public static final String CONTENT_TYPE = "content_type";
    /** Answers when results are stored: where ({@code s3://bucket/key}). */
    public static final String S3_URI = "s3_uri";
    /** Answers when results are stored: the object key. */
    public static final String KEY = "key";
    /** Answers: milliseconds spent per phase ({@code prepare}, {@code queued}, {@code run}, {@code store}, {@code total}). */
    public static final String TIMINGS_MS = "timings_ms";
    /** Failures: what is wrong and what to do. */
    public static final String ERROR = "error";
    /** Failures: the request field at fault, or JSON {@code null}. */
    public static final String FIELD = "field";
    /** Server errors and failure notices: the id under which the log has the details. */
    public static final String REQUEST_ID = "request_id";

    /** Notices: the request's {@link #TIMESTAMP}. */
    public static final String INITIAL_TIMESTAMP = "initial_timestamp";
    /** Completion notices: where the result is stored. */
    public static final String RESULT_URI = "result_uri";
    /** Completion notices for S3 results: the object key. */
    public static final String RESULT_KEY = "result_key";
    /** Failure notices: {@value #FAILED}. */
    public static final String STATUS = "status";
    /** The {@link #STATUS} of a failure notice. */
    public static final String FAILED = "failed";

    private Fields() {
    }

    /**
     * Names the member that carries an image inline.
     *
     * @param input the image's role
     * @return its base64 member: {@code person_image}, {@code mask_image}, {@code upper_cloth}, {@code lower_cloth}
     */
    public static String image(Input input) {
        return switch (input) {
            case PERSON -> "person_image";
            case MASK -> "mask_image";
            case UPPER -> "upper_cloth";
            case LOWER -> "lower_cloth";
        };
    }

    /**
     * Names the member that carries an image's URL.
     *
     * @param input the image's role
     * @return its URL member: {@link #image(Input)} followed by {@code _url}
     */
    public static String url(Input input) {
        return image(input) + "_url";
    }

    /**
     * Names the member of a sampling parameter.
     *
     * @param parameter a sampling parameter
     * @return its member, or {@code null} for the image size, which requests do not set
     */
    public static String parameter(Parameter parameter) {
        return switch (parameter) {
            case STEPS -> STEPS;
            case GUIDANCE -> GUIDANCE;
            case ETA -> ETA;
            case SEED -> SEED;
            case SIZE -> null;
        };
    }
}

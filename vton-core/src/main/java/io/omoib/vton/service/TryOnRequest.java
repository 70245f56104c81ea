package io.omoib.vton.service;

import io.omoib.vton.internal.Limits;
import io.omoib.vton.pipeline.TryOnParameters;
import io.omoib.vton.preprocess.ClothType;
import io.omoib.vton.preprocess.Garments;
import io.omoib.vton.preprocess.Input;
import io.omoib.vton.preprocess.InvalidInputException;
import io.omoib.vton.source.ImageSource;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One try-on for {@link TryOnService}: where the images come from, what to replace, how to sample,
 * how long the caller will wait, and what names the result. Immutable; build with {@link #builder()}.
 */
public final class TryOnRequest {
    private static final AtomicLong IDS = new AtomicLong();

    private final String id;
    /** The images the cloth type needs, by role, in {@link Input} order. */
    private final Map<Input, ImageSource> sources;
    private final ClothType clothType;
    private final TryOnParameters parameters;
    private final int width;
    private final int height;
    private final String userId;
    private final String timestamp;
    private final Duration timeout;
    private final ProgressListener progress;

    private TryOnRequest(Builder b) {
        this.id = b.id != null ? b.id : "r" + IDS.incrementAndGet();
        this.clothType = b.clothType;
        Map<Input, ImageSource> needed = new EnumMap<>(Input.class);
        for (Input input : Input.values()) {
            if (!clothType.needs(input)) {
                continue;
            }
            ImageSource source = b.sources.get(input);
            if (source == null) {
                throw clothType.garments().contains(input) ? Garments.missing(input, clothType)
                        : new InvalidInputException(input, "the " + input.description() + " is required", null);
            }
            needed.put(input, source);
        }
        this.sources = Collections.unmodifiableMap(needed);
        this.parameters = b.parameters;
        this.width = b.width;
        this.height = b.height;
        this.userId = b.userId;
        this.timestamp = b.timestamp;
        this.timeout = b.timeout;
        this.progress = b.progress;
    }

    /** {@return a builder; person, mask and the garments the cloth type needs are required} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return the request's id, unique in this JVM unless the caller chose one} */
    public String id() {
        return id;
    }

    /** {@return the images the cloth type needs, by role: person, mask and its garments} */
    public Map<Input, ImageSource> sources() {
        return sources;
    }

    /**
     * {@return its image, or {@code null} when the cloth type does not use it}
     *
     * @param input a role
     */
    public ImageSource source(Input input) {
        return sources.get(input);
    }

    /** {@return what the try-on replaces; default {@code OVERALL}} */
    public ClothType clothType() {
        return clothType;
    }

    /** {@return the sampling parameters, or {@code null} for the service's defaults} */
    public TryOnParameters parameters() {
        return parameters;
    }

    /** {@return output width in pixels, or 0 for the model's default size} */
    public int width() {
        return width;
    }

    /** {@return output height in pixels, or 0 for the model's default size} */
    public int height() {
        return height;
    }

    /** {@return the user the result is for, or {@code null} ({@code anonymous} in sinks)} */
    public String userId() {
        return userId;
    }

    /** {@return the caller's timestamp naming the result, or {@code null} for the submission time in ms} */
    public String timestamp() {
        return timestamp;
    }

    /** {@return the longest the caller waits from submission, or {@code null} for the service's default} */
    public Duration timeout() {
        return timeout;
    }

    /** {@return told as the request moves along; {@link ProgressListener#NONE} by default} */
    public ProgressListener progress() {
        return progress;
    }

    /** {@return a builder holding this request's values (its id included), to change some of them} */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.id = id;
        b.sources.putAll(sources);
        b.clothType = clothType;
        b.parameters = parameters;
        b.width = width;
        b.height = height;
        b.userId = userId;
        b.timestamp = timestamp;
        b.timeout = timeout;
        b.progress = progress;
        return b;
    }

    @Override
    public String toString() {
        return "TryOnRequest[" + id + ", " + clothType.id() + ", person " + sources.get(Input.PERSON).name() + "]";
    }

    /** Builds a {@link TryOnRequest}. */
    public static final class Builder {
        private String id;
        private final Map<Input, ImageSource> sources = new EnumMap<>(Input.class);
        private ClothType clothType = ClothType.OVERALL;
        private TryOnParameters parameters;
        private int width;
        private int height;
        private String userId;
        private String timestamp;
        private Duration timeout;
        private ProgressListener progress = ProgressListener.NONE;

        private Builder() {
        }

        /**
         * Sets the request's id.
         *
         * @param value an id for logs and progress events; default {@code r1}, {@code r2}, ...
         * @return this builder
         */
        public Builder id(String value) {
            id = Objects.requireNonNull(value, "id");
            return this;
        }

        /**
         * Sets or removes the image of one input.
         *
         * @param input the image's role
         * @param value where it comes from; {@code null} removes it
         * @return this builder
         */
        public Builder image(Input input, ImageSource value) {
            Objects.requireNonNull(input, "input");
            if (value == null) {
                sources.remove(input);
            } else {
                sources.put(input, value);
            }
            return this;
        }

        /**
         * Sets the person photo.
         *
         * @param value the person photo (required)
         * @return this builder
         */
        public Builder person(ImageSource value) {
            return image(Input.PERSON, value);
        }

        /**
         * Sets the mask photo.
         *
         * @param value the mask photo (required): white (gray >= 128) where the garment goes
         * @return this builder
         */
        public Builder mask(ImageSource value) {
            return image(Input.MASK, value);
        }

        /**
         * Sets the upper garment photo.
         *
         * @param value the upper garment; required for {@code UPPER} and {@code OVERALL}, ignored otherwise
         * @return this builder
         */
        public Builder upper(ImageSource value) {
            return image(Input.UPPER, value);
        }

        /**
         * Sets the lower garment photo.
         *
         * @param value the lower garment; required for {@code LOWER} and {@code OVERALL}, ignored otherwise
         * @return this builder
         */
        public Builder lower(ImageSource value) {
            return image(Input.LOWER, value);
        }

        /**
         * Sets what the try-on replaces.
         *
         * @param value what the try-on replaces; default {@code OVERALL}
         * @return this builder
         */
        public Builder clothType(ClothType value) {
            clothType = Objects.requireNonNull(value, "clothType");
            return this;
        }

        /**
         * Sets the sampling parameters.
         *
         * @param value sampling parameters; default the service's
         * @return this builder
         */
        public Builder parameters(TryOnParameters value) {
            parameters = value;
            return this;
        }

        /**
         * Sets the output size.
         *
         * @param w output width, a positive multiple of 64 that the model supports
         * @param h output height, likewise
         * @return this builder
         */
        public Builder size(int w, int h) {
            if (w <= 0 || h <= 0) {
                throw new IllegalArgumentException("size must be positive, got " + w + "x" + h);
            }
            width = w;
            height = h;
            return this;
        }

        /**
         * Sets the user the result is for.
         *
         * @param value the user the result is for; names it in sinks
         * @return this builder
         */
        public Builder userId(String value) {
            userId = value;
            return this;
        }

        /**
         * Sets the timestamp.
         *
         * @param value the caller's timestamp; names the result in sinks
         * @return this builder
         */
        public Builder timestamp(String value) {
            timestamp = value;
            return this;
        }

        /**
         * Sets the longest time allowed.
         *
         * @param value the longest the caller waits, from submission to the result; default the service's
         * @return this builder
         */
        public Builder timeout(Duration value) {
            timeout = value == null ? null : Limits.positive(value, "timeout");
            return this;
        }

        /**
         * Sets the listener told as the request moves along.
         *
         * @param value told as the request moves along, on service threads; keep it quick
         * @return this builder
         */
        public Builder progress(ProgressListener value) {
            progress = Objects.requireNonNull(value, "progress");
            return this;
        }

        /**
         * {@return the request}
         *
         * @throws InvalidInputException naming the person, mask or garment the cloth type needs that is missing
         */
        public TryOnRequest build() {
            return new TryOnRequest(this);
        }
    }
}

package io.omoib.vton.service;

import io.omoib.vton.internal.Limits;
import io.omoib.vton.pipeline.TryOnParameters;
import io.omoib.vton.preprocess.ClothType;
import io.omoib.vton.source.ImageSource;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One try-on for {@link TryOnService}: where the images come from, what to replace, how to sample,
 * how long the caller will wait, and what names the result. Immutable; build with {@link #builder()}.
 */
public final class TryOnRequest {
    private static final AtomicLong IDS = new AtomicLong();

    private final String id;
    private final ImageSource person;
    private final ImageSource mask;
    private final ImageSource upper;
    private final ImageSource lower;
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
        this.person = Objects.requireNonNull(b.person, "person image source is required");
        this.mask = Objects.requireNonNull(b.mask, "mask image source is required");
        this.upper = b.upper;
        this.lower = b.lower;
        this.clothType = b.clothType;
        boolean needsUpper = clothType != ClothType.LOWER;
        boolean needsLower = clothType != ClothType.UPPER;
        if ((needsUpper && upper == null) || (needsLower && lower == null)) {
            throw new IllegalArgumentException("cloth type " + clothType.id() + " needs "
                    + (needsUpper && upper == null ? "an upper" : "a lower") + " garment image");
        }
        this.parameters = b.parameters;
        this.width = b.width;
        this.height = b.height;
        this.userId = b.userId;
        this.timestamp = b.timestamp;
        this.timeout = b.timeout;
        this.progress = b.progress;
    }

    /** @return a builder; person, mask and the garments the cloth type needs are required */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the request's id, unique in this JVM unless the caller chose one */
    public String id() {
        return id;
    }

    /** @return the person photo */
    public ImageSource person() {
        return person;
    }

    /** @return the mask, white where the garment goes */
    public ImageSource mask() {
        return mask;
    }

    /** @return the upper garment, or {@code null} */
    public ImageSource upper() {
        return upper;
    }

    /** @return the lower garment, or {@code null} */
    public ImageSource lower() {
        return lower;
    }

    /** @return what the try-on replaces; default {@code OVERALL} */
    public ClothType clothType() {
        return clothType;
    }

    /** @return the sampling parameters, or {@code null} for the service's defaults */
    public TryOnParameters parameters() {
        return parameters;
    }

    /** @return output width in pixels, or 0 for the model's default size */
    public int width() {
        return width;
    }

    /** @return output height in pixels, or 0 for the model's default size */
    public int height() {
        return height;
    }

    /** @return the user the result is for, or {@code null} ({@code anonymous} in sinks) */
    public String userId() {
        return userId;
    }

    /** @return the caller's timestamp naming the result, or {@code null} for the submission time in ms */
    public String timestamp() {
        return timestamp;
    }

    /** @return the longest the caller waits from submission, or {@code null} for the service's default */
    public Duration timeout() {
        return timeout;
    }

    /** @return told as the request moves along; {@link ProgressListener#NONE} by default */
    public ProgressListener progress() {
        return progress;
    }

    @Override
    public String toString() {
        return "TryOnRequest[" + id + ", " + clothType.id() + ", person " + person.name() + "]";
    }

    /** Builds a {@link TryOnRequest}. */
    public static final class Builder {
        private String id;
        private ImageSource person;
        private ImageSource mask;
        private ImageSource upper;
        private ImageSource lower;
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

        /** @param value an id for logs and progress events; default {@code r1}, {@code r2}, ... */
        public Builder id(String value) {
            id = Objects.requireNonNull(value, "id");
            return this;
        }

        /** @param value the person photo (required) */
        public Builder person(ImageSource value) {
            person = value;
            return this;
        }

        /** @param value the mask photo (required): white (gray >= 128) where the garment goes */
        public Builder mask(ImageSource value) {
            mask = value;
            return this;
        }

        /** @param value the upper garment; required for {@code UPPER} and {@code OVERALL} */
        public Builder upper(ImageSource value) {
            upper = value;
            return this;
        }

        /** @param value the lower garment; required for {@code LOWER} and {@code OVERALL} */
        public Builder lower(ImageSource value) {
            lower = value;
            return this;
        }

        /** @param value what the try-on replaces; default {@code OVERALL} */
        public Builder clothType(ClothType value) {
            clothType = Objects.requireNonNull(value, "clothType");
            return this;
        }

        /** @param value sampling parameters; default the service's */
        public Builder parameters(TryOnParameters value) {
            parameters = value;
            return this;
        }

        /**
         * @param w output width, a positive multiple of 64 that the model supports
         * @param h output height, likewise
         */
        public Builder size(int w, int h) {
            if (w <= 0 || h <= 0) {
                throw new IllegalArgumentException("size must be positive, got " + w + "x" + h);
            }
            width = w;
            height = h;
            return this;
        }

        /** @param value the user the result is for; names it in sinks */
        public Builder userId(String value) {
            userId = value;
            return this;
        }

        /** @param value the caller's timestamp; names the result in sinks */
        public Builder timestamp(String value) {
            timestamp = value;
            return this;
        }

        /** @param value the longest the caller waits, from submission to the result; default the service's */
        public Builder timeout(Duration value) {
            timeout = value == null ? null : Limits.positive(value, "timeout");
            return this;
        }

        /** @param value told as the request moves along, on service threads; keep it quick */
        public Builder progress(ProgressListener value) {
            progress = Objects.requireNonNull(value, "progress");
            return this;
        }

        /**
         * @return the request
         * @throws NullPointerException if the person or mask is missing
         * @throws IllegalArgumentException if a garment the cloth type needs is missing
         */
        public TryOnRequest build() {
            return new TryOnRequest(this);
        }
    }
}

package io.omoib.vton.pipeline;

import io.omoib.vton.preprocess.RgbImage;
import java.util.List;

/**
 * What one {@link CatVTONPipeline} run gives back, as diffusers' pipeline output objects do: the
 * images and what was measured.
 *
 * @param images one result per input, in order, each at its input's size
 * @param timings where the run's time went
 */
public record PipelineOutput(List<RgbImage> images, RunTimings timings) {
    /**
     * Copies the list.
     *
     * @param images one result per input, in order, each at its input's size
     * @param timings where the run's time went
     */
    public PipelineOutput {
        images = List.copyOf(images);
    }

    /** {@return the first (for a run of one, the only) image} */
    public RgbImage image() {
        return images.get(0);
    }
}

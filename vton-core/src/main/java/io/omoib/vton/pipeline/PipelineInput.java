package io.omoib.vton.pipeline;

import io.omoib.vton.preprocess.TryOnImages;
import java.util.Objects;

/**
 * One try-on of a {@link CatVTONPipeline#runBatch batch}: its prepared images and how to sample them.
 *
 * @param images prepared person, mask and garment at one of the artifact's sizes
 * @param parameters steps, guidance, eta, seed, repaint
 */
public record PipelineInput(TryOnImages images, TryOnParameters parameters) {
    /**
     * Checks that neither part is null.
     *
     * @param images prepared person, mask and garment at one of the artifact's sizes
     * @param parameters steps, guidance, eta, seed, repaint
     */
    public PipelineInput {
        Objects.requireNonNull(images, "images");
        Objects.requireNonNull(parameters, "parameters");
    }
}

package io.omoib.vton.pipeline;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.ParameterStore;
import ai.djl.translate.NoopTranslator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The three TorchScript modules of one {@link ModelArtifact.Variant}, loaded through DJL, called as
 * black boxes with the shapes of the artifact contract, and timed. With bit-exact batches each
 * request's rows go through a module alone, in the order a run alone uses, because libtorch's kernels
 * round differently with the batch size.
 *
 * <p>Not thread safe: {@link CatVTONPipeline} serialises runs.
 */
final class TorchModules implements AutoCloseable {
    private final ZooModel<NDList, NDList> encoder;
    private final ZooModel<NDList, NDList> unet;
    private final ZooModel<NDList, NDList> decoder;
    private final ParameterStore parameters;
    private final boolean bitExactBatches;
    /** Time inside module calls since the last {@link #takeModuleNanos()}. */
    private long moduleNanos;

    private TorchModules(List<ZooModel<NDList, NDList>> models, NDManager manager, boolean bitExactBatches) {
        this.encoder = models.get(0);
        this.unet = models.get(1);
        this.decoder = models.get(2);
        this.parameters = new ParameterStore(manager, false);
        this.bitExactBatches = bitExactBatches;
    }

    /**
     * Loads the variant's encoder, UNet and decoder.
     *
     * @throws ModelArtifactException if a file does not load as TorchScript on the device
     */
    static TorchModules load(ModelArtifact.Variant variant, Device device, NDManager manager, boolean bitExactBatches) {
        List<ZooModel<NDList, NDList>> loaded = new ArrayList<>();
        try {
            for (Path file : List.of(variant.vaeEncoder(), variant.unet(), variant.vaeDecoder())) {
                loaded.add(load(file, device));
            }
        } catch (RuntimeException e) {
            loaded.forEach(ZooModel::close);
            throw e;
        }
        return new TorchModules(loaded, manager, bitExactBatches);
    }

    private static ZooModel<NDList, NDList> load(Path file, Device device) {
        String fileName = file.getFileName().toString();
        Criteria<NDList, NDList> criteria = Criteria.builder()
                .setTypes(NDList.class, NDList.class)
                .optModelPath(file.getParent())
                .optModelName(fileName.endsWith(".pt") ? fileName.substring(0, fileName.length() - 3) : fileName)
                .optEngine("PyTorch")
                .optDevice(device)
                .optTranslator(new NoopTranslator())
                .optOption("mapLocation", "true")
                .build();
        try {
            return criteria.loadModel();
        } catch (ModelNotFoundException | MalformedModelException | IOException | EngineException e) {
            throw new ModelArtifactException("cannot load " + file + " as TorchScript on " + device + ": "
                    + e.getMessage() + "; the file is damaged or was exported for another device or PyTorch", e);
        }
    }

    /** {@return {@code moments[B,8,H/8,W/8]} (mean ‖ logvar) of {@code image[B,3,H,W]} in [-1, 1]} */
    NDArray encode(NDArray image) {
        return perRequest(encoder, "VAE encoder", image);
    }

    /** {@return {@code image[B,3,H,W]} in about [-1, 1] of {@code latent[B,4,H/8,W/8]} (already unscaled)} */
    NDArray decode(NDArray latent) {
        return perRequest(decoder, "VAE decoder", latent);
    }

    /**
     * The UNet on {@code input[N,9,2h,w]}: {@code N = batch}, or {@code 2 * batch} with guidance, laid
     * out {@code [uncond_1..uncond_B, cond_1..cond_B]}.
     *
     * @return {@code noise[N,4,2h,w]} in the input's row order
     */
    NDArray unet(NDArray input, NDArray timesteps, int batch, boolean guided) {
        if (!bitExactBatches || batch == 1) {
            return forward(unet, "UNet", input, timesteps);
        }
        NDManager m = input.getManager();
        int rows = guided ? 2 : 1;
        NDList outputs = new NDList();
        for (int b = 0; b < batch; b++) {
            long[] index = guided ? new long[] {b, batch + b} : new long[] {b};
            outputs.add(forward(unet, "UNet", input.get(m.create(index)), timesteps.get("0:" + rows)));
        }
        if (!guided) {
            return NDArrays.concat(outputs, 0);
        }
        NDList ordered = new NDList();
        for (NDArray out : outputs) {
            ordered.add(out.get("0:1"));
        }
        for (NDArray out : outputs) {
            ordered.add(out.get("1:2"));
        }
        return NDArrays.concat(ordered, 0);
    }

    /** {@return the time spent inside module calls since the previous call, in nanoseconds} */
    long takeModuleNanos() {
        long taken = moduleNanos;
        moduleNanos = 0;
        return taken;
    }

    /** A module on a batch: in one call, or with bit-exact batches one request at a time. */
    private NDArray perRequest(ZooModel<NDList, NDList> model, String what, NDArray input) {
        int batch = (int) input.getShape().get(0);
        if (!bitExactBatches || batch == 1) {
            return forward(model, what, input);
        }
        NDList outputs = new NDList();
        for (int b = 0; b < batch; b++) {
            outputs.add(forward(model, what, input.get(b + ":" + (b + 1))));
        }
        return NDArrays.concat(outputs, 0);
    }

    private NDArray forward(ZooModel<NDList, NDList> model, String what, NDArray... inputs) {
        long start = System.nanoTime();
        NDList out = model.getBlock().forward(parameters, new NDList(inputs), false);
        moduleNanos += System.nanoTime() - start;
        if (out.isEmpty()) {
            throw new InferenceException("the " + what + " returned nothing; the artifact's " + what + " is broken");
        }
        return out.singletonOrThrow();
    }

    @Override
    public void close() {
        encoder.close();
        unet.close();
        decoder.close();
    }
}

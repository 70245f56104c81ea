package io.omoib.vton.pipeline;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.ParameterStore;
import ai.djl.translate.NoopTranslator;
import io.omoib.vton.preprocess.ClothType;
import io.omoib.vton.preprocess.Repaint;
import io.omoib.vton.preprocess.RgbImage;
import io.omoib.vton.preprocess.TryOnImages;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * CatVTON virtual try-on on the DJL PyTorch engine: a person, a mask and a garment in, the person
 * wearing the garment out.
 *
 * <p>The pipeline owns the loop, as diffusers' pipelines do; {@link DdimScheduler} does the sampler
 * arithmetic and the three TorchScript modules of a {@link ModelArtifact} variant do the networks.
 * The math follows CatVTON's {@code __call__} (see {@code tools/export/reference_pipeline.py}, which the
 * tests compare against): images to {@code [-1, 1]}, the masked person and the garment encoded to
 * latents {@code [B,4,H/8,W/8]} and stacked along the height, the mask downsampled by nearest
 * neighbour, classifier-free guidance with a zeroed garment as the unconditional input, DDIM, the
 * person half decoded.
 *
 * <p>Random numbers: every request draws from the PyTorch CPU generator seeded with its own seed, in a
 * fixed order (masked-person latent, garment latent, initial noise, then one draw per step when
 * {@code eta > 0}), all up front and under one process-wide lock, so a request gives the same image
 * alone or in a batch, on any thread.
 *
 * <p>Batches: {@link #runBatch} shares one denoising loop among requests of the same size, steps,
 * guidance and eta. By default the modules still see one request at a time, because libtorch's
 * kernels round differently with the batch size; see {@link Builder#bitExactBatches(boolean)}.
 *
 * <p>Thread safety: one pipeline serves any number of threads; runs are serialised by a fair lock
 * (one inference at a time per pipeline, which is what one device can do anyway). A run checks its
 * thread's interrupt flag between steps and stops with a {@link CancellationException}.
 *
 * <p>Memory: each run works in its own {@link NDManager}, each denoising step in a child of it, so
 * native memory is returned as soon as a step or a run ends. Close the pipeline to unload the models.
 */
public final class CatVTONPipeline implements AutoCloseable {
    /** PyTorch's CPU generator is global to the process: draws for one request must not interleave. */
    private static final Object RANDOM_LOCK = new Object();

    private final ModelArtifact artifact;
    private final ModelArtifact.Variant variant;
    private final Device device;
    private final TryOnParameters defaults;
    private final NDManager manager;
    private final ZooModel<NDList, NDList> encoder;
    private final ZooModel<NDList, NDList> unet;
    private final ZooModel<NDList, NDList> decoder;
    private final ParameterStore parameters;
    private final boolean bitExactBatches;
    /** Time inside module calls during the current run; runs are serialised by {@link #lock}. */
    private long moduleNanos;
    private final ReentrantLock lock = new ReentrantLock(true);
    private volatile boolean closed;

    private CatVTONPipeline(Builder b, ModelArtifact artifact) {
        this.artifact = artifact;
        this.device = b.device;
        this.defaults = b.defaults;
        this.bitExactBatches = b.bitExactBatches;
        this.variant = artifact.variant(device.getDeviceType(), b.weightDtype);
        if (b.verifyChecksums) {
            artifact.verifyChecksums(variant);
        }
        Engine engine = Engine.getEngine("PyTorch");
        if (device.isGpu() && device.getDeviceId() >= engine.getGpuCount()) {
            throw new IllegalArgumentException("device " + device + " is not available: the PyTorch engine sees "
                    + engine.getGpuCount() + " GPU(s); see DESIGN.md \"Running on a GPU\" for the CUDA libtorch setup");
        }
        if (b.useTf32) {
            Tf32.enable();
        }
        this.manager = engine.newBaseManager(device);
        List<ZooModel<NDList, NDList>> loaded = new ArrayList<>();
        try {
            this.encoder = load(variant.vaeEncoder(), loaded);
            this.unet = load(variant.unet(), loaded);
            this.decoder = load(variant.vaeDecoder(), loaded);
        } catch (RuntimeException e) {
            loaded.forEach(ZooModel::close);
            manager.close();
            throw e;
        }
        this.parameters = new ParameterStore(manager, false);
    }

    /** @return a builder; only the model directory is required */
    public static Builder builder() {
        return new Builder();
    }

    private ZooModel<NDList, NDList> load(Path file, List<ZooModel<NDList, NDList>> loaded) {
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
            ZooModel<NDList, NDList> model = criteria.loadModel();
            loaded.add(model);
            return model;
        } catch (ModelNotFoundException | MalformedModelException | IOException | EngineException e) {
            throw new ModelArtifactException("cannot load " + file + " as TorchScript on " + device + ": "
                    + e.getMessage() + "; the file is damaged or was exported for another device or PyTorch", e);
        }
    }

    /** @return the model artifact this pipeline runs */
    public ModelArtifact artifact() {
        return artifact;
    }

    /** @return the variant in use, such as {@code cpu-float32} */
    public ModelArtifact.Variant variant() {
        return variant;
    }

    /** @return the device the modules run on */
    public Device device() {
        return device;
    }

    /** @return the parameters {@link #run(TryOnImages)} uses */
    public TryOnParameters defaults() {
        return defaults;
    }

    /**
     * Runs one try-on with the default parameters.
     *
     * @param images prepared images at one of the artifact's sizes
     * @return the person wearing the garment, the images' size
     */
    public RgbImage run(TryOnImages images) {
        return run(images, defaults);
    }

    /**
     * Runs one try-on.
     *
     * @param images prepared images at one of the artifact's sizes
     * @param parameters steps, guidance, eta, seed, repaint
     * @return the person wearing the garment, the images' size
     */
    public RgbImage run(TryOnImages images, TryOnParameters parameters) {
        return runBatch(List.of(images), List.of(parameters), StepListener.NONE).get(0);
    }

    /**
     * Prepares raw images at the artifact's default size ({@link TryOnImages#prepare}) and runs one
     * try-on.
     *
     * @param person the person photo
     * @param mask the mask photo, white where the garment goes
     * @param upper the upper garment, or null
     * @param lower the lower garment, or null
     * @param clothType what the try-on replaces
     * @param parameters steps, guidance, eta, seed, repaint
     * @return the person wearing the garment, at the artifact's default size
     */
    public RgbImage run(RgbImage person, RgbImage mask, RgbImage upper, RgbImage lower, ClothType clothType,
                        TryOnParameters parameters) {
        return run(TryOnImages.prepare(person, mask, upper, lower, clothType, artifact.width(), artifact.height()),
                parameters);
    }

    /**
     * Runs several try-ons as one batch: the modules see them together, each keeps its own seed, so
     * each result equals what a run alone gives.
     *
     * @param images prepared images, all of one size
     * @param parameters one per image; all with the same steps, guidance and eta
     * @param listener told after each step and, with the run's timings, at the end
     * @return one result per image, in order
     * @throws IllegalArgumentException if sizes or parameters cannot share a batch
     * @throws CancellationException if the thread is interrupted
     * @throws InferenceException if a module fails or produces NaN or infinite values
     */
    public List<RgbImage> runBatch(List<TryOnImages> images, List<TryOnParameters> parameters, StepListener listener) {
        checkBatch(images, parameters);
        Objects.requireNonNull(listener, "listener");
        try {
            lock.lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("try-on cancelled while waiting for the pipeline");
        }
        try {
            if (closed) {
                throw new IllegalStateException("the pipeline is closed");
            }
            try (NDManager request = manager.newSubManager()) {
                return denoise(request, images, parameters, listener);
            } catch (EngineException e) {
                throw new InferenceException("the PyTorch engine failed: " + e.getMessage(), e);
            }
        } finally {
            lock.unlock();
        }
    }

    private void checkBatch(List<TryOnImages> images, List<TryOnParameters> parameters) {
        if (images.isEmpty() || images.size() != parameters.size()) {
            throw new IllegalArgumentException("a batch needs one parameter set per image and at least one image, got "
                    + images.size() + " images and " + parameters.size() + " parameter sets");
        }
        TryOnImages first = images.get(0);
        artifact.checkSize(first.width(), first.height());
        TryOnParameters p0 = parameters.get(0);
        if (p0.steps() > artifact.scheduler().numTrainTimesteps()) {
            throw new IllegalArgumentException("steps must be at most " + artifact.scheduler().numTrainTimesteps()
                    + " for this model, got " + p0.steps());
        }
        for (int i = 1; i < images.size(); i++) {
            if (images.get(i).width() != first.width() || images.get(i).height() != first.height()) {
                throw new IllegalArgumentException("a batch needs images of one size: " + first + " and " + images.get(i));
            }
            if (!parameters.get(i).batchesWith(p0)) {
                throw new IllegalArgumentException("a batch needs the same steps, guidance and eta: "
                        + p0 + " and " + parameters.get(i));
            }
        }
    }

    private List<RgbImage> denoise(NDManager request, List<TryOnImages> images, List<TryOnParameters> parameters,
                                   StepListener listener) {
        long started = System.nanoTime();
        moduleNanos = 0;
        int batch = images.size();
        int height = images.get(0).height();
        int width = images.get(0).width();
        int h = height / 8;
        int w = width / 8;
        TryOnParameters p = parameters.get(0);
        DdimScheduler.Schedule schedule = artifact.scheduler().schedule(p.steps());
        Noise noise = drawNoise(request, parameters, h, w, p.eta() > 0 ? p.steps() : 0);

        int plane = width * height;
        ByteBuffer maskedPixels = ImageTensors.floats(batch * 3 * plane);
        ByteBuffer garmentPixels = ImageTensors.floats(batch * 3 * plane);
        ByteBuffer maskPixels = ImageTensors.floats(batch * h * w);
        for (int b = 0; b < batch; b++) {
            TryOnImages in = images.get(b);
            ImageTensors.unitChw(in.person(), in.mask(), maskedPixels.asFloatBuffer(), b * 3 * plane);
            ImageTensors.unitChw(in.garment(), null, garmentPixels.asFloatBuffer(), b * 3 * plane);
            ImageTensors.latentMask(in.mask(), maskPixels.asFloatBuffer(), b * h * w);
        }
        Shape imageShape = new Shape(batch, 3, height, width);
        NDArray maskedLatent = encode(request.create(maskedPixels, imageShape, DataType.FLOAT32), noise.maskedPerson);
        NDArray garmentLatent = encode(request.create(garmentPixels, imageShape, DataType.FLOAT32), noise.garment);
        NDArray maskLatent = request.create(maskPixels, new Shape(batch, 1, h, w), DataType.FLOAT32);

        NDArray maskedConcat = maskedLatent.concat(garmentLatent, 2);
        NDArray maskConcat = maskLatent.concat(maskLatent.zerosLike(), 2);
        boolean guided = p.guidance() > 1;
        if (guided) {
            maskedConcat = maskedLatent.concat(garmentLatent.zerosLike(), 2).concat(maskedConcat, 0);
            maskConcat = maskConcat.concat(maskConcat, 0);
        }
        long encoded = System.nanoTime();
        NDArray latents = noise.initial;
        for (int i = 0; i < schedule.size(); i++) {
            if (Thread.currentThread().isInterrupted()) {
                throw new CancellationException("try-on cancelled after " + i + " of " + schedule.size() + " steps");
            }
            NDArray previous = latents;
            try (NDManager step = request.newSubManager()) {
                latents.tempAttach(step);
                NDArray modelInput = guided ? latents.concat(latents, 0) : latents;
                NDArray unetInput = NDArrays.concat(new NDList(modelInput, maskConcat, maskedConcat), 1);
                long[] timesteps = new long[(int) unetInput.getShape().get(0)];
                Arrays.fill(timesteps, schedule.timestep(i));
                NDArray predicted = unet(unetInput, step.create(timesteps), batch, guided);
                if (guided) {
                    NDArray unconditional = predicted.get("0:" + batch);
                    NDArray conditional = predicted.get(batch + ":");
                    predicted = unconditional.add(conditional.sub(unconditional).mul(p.guidance()));
                }
                NDArray varianceNoise = noise.perStep.isEmpty() ? null : noise.perStep.get(i);
                latents = schedule.step(i, predicted, latents, p.eta(), varianceNoise);
                latents.attach(request);
            }
            if (previous != noise.initial) {
                previous.close();
            }
            listener.onStep(i + 1, schedule.size());
        }
        long denoised = System.nanoTime();
        NDArray personLatent = latents.get(":, :, 0:" + h + ", :").mul((float) (1.0 / artifact.scalingFactor()));
        float[] decoded = perRequest(decoder, "VAE decoder", personLatent, batch)
                .toDevice(Device.cpu(), false).toFloatArray();
        List<RgbImage> results = new ArrayList<>(batch);
        for (int b = 0; b < batch; b++) {
            RgbImage result = ImageTensors.toImage(decoded, b * 3 * plane, width, height);
            if (result == null) {
                throw new InferenceException("the VAE decoder produced NaN or infinite values (variant " + variant.id()
                        + "); float16 can overflow: try the float32 or bfloat16 variant");
            }
            TryOnImages in = images.get(b);
            results.add(parameters.get(b).repaint() ? Repaint.apply(in.person(), in.mask(), result) : result);
        }
        long finished = System.nanoTime();
        listener.onFinished(new RunTimings(encoded - started, denoised - encoded, finished - denoised,
                moduleNanos, finished - started));
        return results;
    }

    /** {@code (mean + exp(0.5 * clamp(logvar, -30, 20)) * eps) * scaling_factor} of the encoder's moments. */
    private NDArray encode(NDArray image, NDArray eps) {
        NDArray moments = perRequest(encoder, "VAE encoder", image, (int) image.getShape().get(0));
        NDArray mean = moments.get(":, 0:4");
        NDArray logvar = moments.get(":, 4:8").clip(-30f, 20f);
        NDArray std = logvar.mul(0.5f).exp();
        return mean.add(std.mul(eps)).mul(artifact.scalingFactor());
    }

    /**
     * The UNet on {@code [N,9,2h,w]}: {@code N = batch}, or {@code 2 * batch} with guidance, laid out
     * {@code [uncond_1..uncond_B, cond_1..cond_B]}. With bit-exact batches each request's rows go
     * through alone, in the order a run alone uses.
     */
    private NDArray unet(NDArray input, NDArray timesteps, int batch, boolean guided) {
        if (!bitExactBatches || batch == 1) {
            return forward(unet, "UNet", input, timesteps);
        }
        NDManager m = input.getManager();
        int rows = guided ? 2 : 1;
        NDList outputs = new NDList();
        for (int b = 0; b < batch; b++) {
            long[] index = guided ? new long[] {b, batch + b} : new long[] {b};
            NDArray selector = m.create(index);
            outputs.add(forward(unet, "UNet", input.get(selector), timesteps.get("0:" + rows)));
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

    /** A module on a batch: in one call, or with bit-exact batches one request at a time. */
    private NDArray perRequest(ZooModel<NDList, NDList> model, String what, NDArray input, int batch) {
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

    /** Every random number of a batch, drawn per request from its own seed, in DESIGN.md's order. */
    private Noise drawNoise(NDManager request, List<TryOnParameters> parameters, int h, int w, int stepDraws) {
        List<NDArray> masked = new ArrayList<>();
        List<NDArray> garments = new ArrayList<>();
        List<NDArray> initial = new ArrayList<>();
        List<List<NDArray>> perStep = new ArrayList<>();
        for (int s = 0; s < stepDraws; s++) {
            perStep.add(new ArrayList<>());
        }
        Shape latent = new Shape(1, 4, h, w);
        Shape stacked = new Shape(1, 4, 2L * h, w);
        try (NDManager cpu = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            synchronized (RANDOM_LOCK) {
                for (TryOnParameters p : parameters) {
                    cpu.getEngine().setRandomSeed(p.seed());
                    masked.add(cpu.randomNormal(latent));
                    garments.add(cpu.randomNormal(latent));
                    initial.add(cpu.randomNormal(stacked));
                    for (int s = 0; s < stepDraws; s++) {
                        perStep.get(s).add(cpu.randomNormal(stacked));
                    }
                }
            }
            List<NDArray> steps = new ArrayList<>();
            for (List<NDArray> draws : perStep) {
                steps.add(onDevice(request, draws));
            }
            return new Noise(onDevice(request, masked), onDevice(request, garments), onDevice(request, initial), steps);
        }
    }

    /** Concatenates per-request draws along the batch and moves them to the pipeline's device and manager. */
    private NDArray onDevice(NDManager request, List<NDArray> draws) {
        NDArray joined = draws.size() == 1 ? draws.get(0) : NDArrays.concat(new NDList(draws), 0);
        NDArray moved = joined.toDevice(device, false);
        moved.attach(request);
        return moved;
    }

    private record Noise(NDArray maskedPerson, NDArray garment, NDArray initial, List<NDArray> perStep) {
    }

    /** Unloads the models and frees their memory; waits for a run in progress to finish. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            encoder.close();
            unet.close();
            decoder.close();
            manager.close();
        } finally {
            lock.unlock();
        }
    }

    /** Builds a {@link CatVTONPipeline}; loading happens in {@link #build()}. */
    public static final class Builder {
        private Path modelDirectory;
        private Device device = Device.cpu();
        private WeightDtype weightDtype = WeightDtype.FLOAT32;
        private boolean useTf32;
        private boolean verifyChecksums;
        private boolean bitExactBatches = true;
        private TryOnParameters defaults = TryOnParameters.defaults();

        private Builder() {
        }

        /** @param value the artifact directory made by {@code tools/export} (required) */
        public Builder modelDirectory(Path value) {
            this.modelDirectory = Objects.requireNonNull(value);
            return this;
        }

        /** @param value where the modules run: {@code Device.cpu()} (default) or {@code Device.gpu(i)} */
        public Builder device(Device value) {
            this.device = Objects.requireNonNull(value);
            return this;
        }

        /** @param value which variant to load by dtype (default float32) */
        public Builder weightDtype(WeightDtype value) {
            this.weightDtype = Objects.requireNonNull(value);
            return this;
        }

        /**
         * @param value let float32 matrix products use TF32 on GPUs that have it (libtorch's matmul
         *     precision "high"; process-wide; default false)
         */
        public Builder useTf32(boolean value) {
            this.useTf32 = value;
            return this;
        }

        /** @param value check the SHA-256 of the variant's files before loading (default false) */
        public Builder verifyChecksums(boolean value) {
            this.verifyChecksums = value;
            return this;
        }

        /**
         * @param value run the modules once per request inside a batch (default true), so that every
         *     result is bit-identical to a run alone; false runs each module once for the whole batch,
         *     which is faster on GPUs, but libtorch's GEMM and oneDNN kernels then change results by
         *     about 1e-6 with the batch size
         */
        public Builder bitExactBatches(boolean value) {
            this.bitExactBatches = value;
            return this;
        }

        /** @param value the parameters {@link CatVTONPipeline#run(TryOnImages)} uses (default CatVTON's) */
        public Builder defaults(TryOnParameters value) {
            this.defaults = Objects.requireNonNull(value);
            return this;
        }

        /**
         * Loads the artifact's variant for the device and dtype.
         *
         * @return the pipeline
         * @throws ModelArtifactException if the artifact or the variant is missing or broken
         */
        public CatVTONPipeline build() {
            if (modelDirectory == null) {
                throw new IllegalStateException("modelDirectory is required, for example models/toy-catvton");
            }
            return new CatVTONPipeline(this, ModelArtifact.load(modelDirectory));
        }
    }
}

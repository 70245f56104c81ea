package io.omoib.vton.pipeline;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.omoib.vton.preprocess.ClothType;
import io.omoib.vton.preprocess.Garments;
import io.omoib.vton.preprocess.GrayImage;
import io.omoib.vton.preprocess.Repaint;
import io.omoib.vton.preprocess.RgbImage;
import io.omoib.vton.preprocess.TryOnImages;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
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
 * The math follows CatVTON's {@code __call__} (docs/ARCHITECTURE.md "Pipeline math"; the tests compare
 * with CatVTON's own pipeline and with {@code tools/reference/reference_pipeline.py}): images to {@code [-1, 1]}, the masked person and the garment encoded to
 * latents {@code [B,4,H/8,W/8]} and stacked along the height, the mask downsampled by nearest
 * neighbour, classifier-free guidance with a zeroed garment as the unconditional input, DDIM, the
 * person half decoded.
 *
 * <p>Random numbers: every request draws from the PyTorch CPU generator seeded with its own seed, in a
 * fixed order, all up front and under one process-wide lock ({@link SeededNoise}), so a request gives
 * the same image alone or in a batch, on any thread.
 *
 * <p>Batches: {@link #runBatch} shares one denoising loop among requests of the same size, steps,
 * guidance and eta, and returns the images with the run's timings. By default the modules still see one request at a time, because libtorch's
 * kernels round differently with the batch size; see {@link Builder#bitExactBatches(boolean)}.
 *
 * <p>Thread safety: one pipeline serves any number of threads; runs are serialised by a fair lock
 * (one inference at a time per pipeline, which is what one device can do anyway). A run checks its
 * thread's interrupt flag between steps and stops with a {@link CancellationException}.
 *
 * <p>Threads: each run computes with {@link Builder#threads(int)} intra-op threads on the calling
 * thread (libtorch's count is per thread under OpenMP). The first run after loading is several times
 * slower than the next ones (libtorch picks and prepares its kernels for each shape); {@link #warmUp()}
 * pays that before the first request.
 *
 * <p>Memory: each run works in its own {@link NDManager}, each denoising step in a child of it, so
 * native memory is returned as soon as a step or a run ends. Close the pipeline to unload the models.
 */
public final class CatVTONPipeline implements AutoCloseable {
    private final ModelArtifact artifact;
    private final ModelArtifact.Variant variant;
    private final Device device;
    private final TryOnParameters defaults;
    private final int threads;
    private final NDManager manager;
    private final TorchModules modules;
    /** The masked person, the garment and the latent mask of a run, reused under {@link #lock}. */
    private final ImageTensors.Buffers pixels = new ImageTensors.Buffers(3);
    private final ReentrantLock lock = new ReentrantLock(true);
    private volatile boolean closed;

    private CatVTONPipeline(Builder b, ModelArtifact artifact) {
        this.artifact = artifact;
        this.device = b.device;
        this.defaults = b.defaults;
        this.threads = b.threads > 0 ? b.threads : TorchThreads.defaultCount();
        this.variant = artifact.variant(device.getDeviceType(), b.weightDtype);
        if (b.verifyChecksums) {
            artifact.verifyChecksums(variant);
        }
        Engine engine = Engine.getEngine("PyTorch");
        if (device.isGpu() && device.getDeviceId() >= engine.getGpuCount()) {
            throw new IllegalArgumentException("device " + device + " is not available: the PyTorch engine sees "
                    + engine.getGpuCount() + " GPU(s); see docs/GPU.md for the CUDA"
                    + " libtorch setup");
        }
        if (b.useTf32) {
            Tf32.enable();
        }
        this.manager = engine.newBaseManager(device);
        try {
            this.modules = TorchModules.load(variant, device, manager, b.bitExactBatches);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** {@return a builder; only the model directory is required} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return the model artifact this pipeline runs} */
    public ModelArtifact artifact() {
        return artifact;
    }

    /** {@return the variant in use, such as {@code cpu-float32}} */
    public ModelArtifact.Variant variant() {
        return variant;
    }

    /** {@return the device the modules run on} */
    public Device device() {
        return device;
    }

    /** {@return the intra-op threads each run computes with} */
    public int threads() {
        return threads;
    }

    /** {@return the parameters {@link #run(TryOnImages)} uses} */
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
        return runBatch(List.of(new PipelineInput(images, parameters)), StepListener.NONE).image();
    }

    /**
     * Prepares raw images at the artifact's default size ({@link TryOnImages#prepare}) and runs one
     * try-on.
     *
     * @param person the person photo
     * @param mask the mask photo, white where the garment goes
     * @param garments the garment photos; those the cloth type needs are required
     * @param clothType what the try-on replaces
     * @param parameters steps, guidance, eta, seed, repaint
     * @return the person wearing the garment, at the artifact's default size
     */
    public RgbImage run(RgbImage person, RgbImage mask, Garments garments, ClothType clothType,
                        TryOnParameters parameters) {
        return run(TryOnImages.prepare(person, mask, garments, clothType, artifact.width(), artifact.height()),
                parameters);
    }

    /**
     * Runs one short try-on (one step, with guidance) at every size the artifact supports, so that
     * the first real request does not pay for libtorch's first calls (kernel choice and memory for
     * each shape), which makes a first run several times slower than the next (BENCHMARKS.md "CPU runtime").
     * The inputs are synthetic: a gray person and garment and a mask covering the middle.
     *
     * @return how long the warm-up took
     * @throws InferenceException if a module fails
     * @throws CancellationException if the thread is interrupted
     */
    public Duration warmUp() {
        long started = System.nanoTime();
        TryOnParameters oneStep = TryOnParameters.builder().steps(1).guidance(TryOnParameters.DEFAULT_GUIDANCE).build();
        for (ModelArtifact.Size size : artifact.sizes()) {
            run(warmUpImages(size.width(), size.height()), oneStep);
        }
        return Duration.ofNanos(System.nanoTime() - started);
    }

    private static TryOnImages warmUpImages(int width, int height) {
        byte[] mask = new byte[width * height];
        for (int y = height / 4; y < 3 * height / 4; y++) {
            Arrays.fill(mask, y * width + width / 4, y * width + 3 * width / 4, (byte) 255);
        }
        RgbImage gray = RgbImage.filled(width, height, 128, 128, 128);
        return TryOnImages.of(gray, GrayImage.of(width, height, mask), gray);
    }

    /**
     * Runs several try-ons as one batch: the modules see them together, each keeps its own seed, so
     * each result equals what a run alone gives.
     *
     * @param inputs prepared images, all of one size, each with its parameters; all with the same
     *     steps, guidance and eta
     * @param listener told as the run enters each phase and after each step
     * @return one image per input, in order, and the run's timings
     * @throws IllegalArgumentException if the inputs cannot share a batch
     * @throws InvalidParameterException if the size or step count is not one the model supports
     * @throws CancellationException if the thread is interrupted
     * @throws InferenceException if a module fails or produces NaN or infinite values
     */
    public PipelineOutput runBatch(List<PipelineInput> inputs, StepListener listener) {
        DdimScheduler.Schedule schedule = checkBatch(inputs);
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
            TorchThreads.use(threads);
            try (NDManager request = manager.newSubManager()) {
                return denoise(request, inputs, schedule, listener);
            } catch (EngineException e) {
                throw new InferenceException("the PyTorch engine failed: " + e.getMessage(), e);
            }
        } finally {
            lock.unlock();
        }
    }

    /** {@return the batch's schedule, once its size and step count are known to suit the model} */
    private DdimScheduler.Schedule checkBatch(List<PipelineInput> inputs) {
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException("a batch needs at least one input");
        }
        PipelineInput first = inputs.get(0);
        artifact.checkSize(first.images().width(), first.images().height());
        DdimScheduler.Schedule schedule = artifact.scheduler().schedule(first.parameters().steps());
        for (PipelineInput other : inputs.subList(1, inputs.size())) {
            if (other.images().width() != first.images().width() || other.images().height() != first.images().height()) {
                throw new IllegalArgumentException("a batch needs images of one size: " + first.images() + " and "
                        + other.images());
            }
            if (!other.parameters().batchesWith(first.parameters())) {
                throw new IllegalArgumentException("a batch needs the same steps, guidance and eta: "
                        + first.parameters() + " and " + other.parameters());
            }
        }
        return schedule;
    }

    private PipelineOutput denoise(NDManager request, List<PipelineInput> inputs, DdimScheduler.Schedule schedule,
                                   StepListener listener) {
        listener.onPhase(StepListener.Phase.ENCODING);
        long started = System.nanoTime();
        modules.takeModuleNanos();
        int batch = inputs.size();
        int height = inputs.get(0).images().height();
        int width = inputs.get(0).images().width();
        int h = height / 8;
        int w = width / 8;
        TryOnParameters p = inputs.get(0).parameters();
        SeededNoise noise = SeededNoise.draw(request, inputs.stream().map(in -> in.parameters().seed()).toList(),
                h, w, p.eta() > 0 ? p.steps() : 0);

        int plane = width * height;
        ByteBuffer maskedPixels = pixels.floats(0, batch * 3 * plane);
        ByteBuffer garmentPixels = pixels.floats(1, batch * 3 * plane);
        ByteBuffer maskPixels = pixels.floats(2, batch * h * w);
        for (int b = 0; b < batch; b++) {
            TryOnImages in = inputs.get(b).images();
            ImageTensors.unitChw(in.person(), in.mask(), maskedPixels.asFloatBuffer(), b * 3 * plane);
            ImageTensors.unitChw(in.garment(), null, garmentPixels.asFloatBuffer(), b * 3 * plane);
            ImageTensors.latentMask(in.mask(), maskPixels.asFloatBuffer(), b * h * w);
        }
        Shape imageShape = new Shape(batch, 3, height, width);
        NDArray maskedLatent = encode(request.create(maskedPixels, imageShape, DataType.FLOAT32), noise.maskedPerson());
        NDArray garmentLatent = encode(request.create(garmentPixels, imageShape, DataType.FLOAT32), noise.garment());
        NDArray maskLatent = request.create(maskPixels, new Shape(batch, 1, h, w), DataType.FLOAT32);

        NDArray maskedConcat = maskedLatent.concat(garmentLatent, 2);
        NDArray maskConcat = maskLatent.concat(maskLatent.zerosLike(), 2);
        boolean guided = p.guidance() > 1;
        if (guided) {
            maskedConcat = maskedLatent.concat(garmentLatent.zerosLike(), 2).concat(maskedConcat, 0);
            maskConcat = maskConcat.concat(maskConcat, 0);
        }
        long encoded = System.nanoTime();
        listener.onPhase(StepListener.Phase.DENOISING);
        NDArray latents = noise.initial();
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
                NDArray predicted = modules.unet(unetInput, step.create(timesteps), batch, guided);
                if (guided) {
                    NDArray unconditional = predicted.get("0:" + batch);
                    NDArray conditional = predicted.get(batch + ":");
                    predicted = unconditional.add(conditional.sub(unconditional).mul(p.guidance()));
                }
                NDArray varianceNoise = noise.perStep().isEmpty() ? null : noise.perStep().get(i);
                latents = schedule.step(i, predicted, latents, p.eta(), varianceNoise);
                latents.attach(request);
            }
            if (previous != noise.initial()) {
                previous.close();
            }
            listener.onStep(i + 1, schedule.size());
        }
        long denoised = System.nanoTime();
        listener.onPhase(StepListener.Phase.DECODING);
        NDArray personLatent = latents.get(":, :, 0:" + h + ", :").mul((float) (1.0 / artifact.scalingFactor()));
        float[] decoded = modules.decode(personLatent).toDevice(Device.cpu(), false).toFloatArray();
        List<RgbImage> results = new ArrayList<>(batch);
        for (int b = 0; b < batch; b++) {
            RgbImage result = ImageTensors.toImage(decoded, b * 3 * plane, width, height);
            if (result == null) {
                throw new InferenceException("the VAE decoder produced NaN or infinite values (variant " + variant.id()
                        + "); " + nonFiniteAdvice());
            }
            PipelineInput in = inputs.get(b);
            results.add(in.parameters().repaint()
                    ? Repaint.apply(in.images().person(), in.images().mask(), result) : result);
        }
        long finished = System.nanoTime();
        return new PipelineOutput(results, new RunTimings(encoded - started, denoised - encoded, finished - denoised,
                modules.takeModuleNanos(), finished - started));
    }

    /** @return what to try after non-finite output, for the dtype that ran */
    private String nonFiniteAdvice() {
        return switch (variant.dtype()) {
            case FLOAT16 -> "float16 can overflow: try the bfloat16 or float32 variant";
            case BFLOAT16 -> "bfloat16 rounds coarsely: try the float32 variant";
            case FLOAT32 -> "the model's weights or the artifact are broken: re-export it with tools/export";
        };
    }

    /** {@code (mean + exp(0.5 * clamp(logvar, -30, 20)) * eps) * scaling_factor} of the encoder's moments. */
    private NDArray encode(NDArray image, NDArray eps) {
        NDArray moments = modules.encode(image);
        NDArray mean = moments.get(":, 0:4");
        NDArray logvar = moments.get(":, 4:8").clip(-30f, 20f);
        NDArray std = logvar.mul(0.5f).exp();
        return mean.add(std.mul(eps)).mul(artifact.scalingFactor());
    }

    /** @return native arrays held by the pipeline's manager and its sub-managers now: 0 between runs */
    int liveArrays() {
        return manager.getManagedArrays().size();
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
            modules.close();
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
        private int threads;
        private TryOnParameters defaults = TryOnParameters.defaults();

        private Builder() {
        }

        /**
         * Sets the model directory.
         *
         * @param value the artifact directory made by {@code tools/export} (required)
         * @return this builder
         */
        public Builder modelDirectory(Path value) {
            this.modelDirectory = Objects.requireNonNull(value);
            return this;
        }

        /**
         * Sets the device.
         *
         * @param value where the modules run: {@code Device.cpu()} (default) or {@code Device.gpu(i)}
         * @return this builder
         */
        public Builder device(Device value) {
            this.device = Objects.requireNonNull(value);
            return this;
        }

        /**
         * Sets the weight dtype.
         *
         * @param value which variant to load by dtype (default float32)
         * @return this builder
         */
        public Builder weightDtype(WeightDtype value) {
            this.weightDtype = Objects.requireNonNull(value);
            return this;
        }

        /**
         * Lets float32 matrix products use TF32 on GPUs that have it, or not.
         *
         * @param value let float32 matrix products use TF32 on GPUs that have it (libtorch's matmul
         *     precision "high"; process-wide; default false)
         * @return this builder
         */
        public Builder useTf32(boolean value) {
            this.useTf32 = value;
            return this;
        }

        /**
         * Sets whether the variant's files are checked against their SHA-256 before loading.
         *
         * @param value check the SHA-256 of the variant's files before loading (default false)
         * @return this builder
         */
        public Builder verifyChecksums(boolean value) {
            this.verifyChecksums = value;
            return this;
        }

        /**
         * Sets whether a batch gives each request exactly what it gets alone.
         *
         * @param value run the modules once per request inside a batch (default true), so that every
         *     result is bit-identical to a run alone; false runs each module once for the whole batch,
         *     which is faster on GPUs, but libtorch's GEMM and oneDNN kernels then change results by
         *     about 1e-6 with the batch size
         * @return this builder
         */
        public Builder bitExactBatches(boolean value) {
            this.bitExactBatches = value;
            return this;
        }

        /**
         * Sets the intra-op threads of each run.
         *
         * @param value intra-op threads per run, 1 to 1024 (default: the processors available to the
         *     process, which a container's CPU quota lowers, at most libtorch's own default of the
         *     physical cores). On a machine shared with other busy processes, fewer threads than cores
         *     keep runs steady: libtorch's OpenMP threads wait for each other, and one that loses its
         *     core stalls the rest (README "Performance tuning")
         * @return this builder
         */
        public Builder threads(int value) {
            if (value < 1 || value > 1024) {
                throw new IllegalArgumentException("threads must be 1 to 1024, got " + value);
            }
            this.threads = value;
            return this;
        }

        /**
         * Sets the parameters a run uses when given none.
         *
         * @param value the parameters {@link CatVTONPipeline#run(TryOnImages)} uses (default CatVTON's)
         * @return this builder
         */
        public Builder defaults(TryOnParameters value) {
            this.defaults = Objects.requireNonNull(value);
            return this;
        }

        /**
         * Loads the artifact's variant for the device and dtype.
         *
         * @return the pipeline
         * @throws ModelArtifactException if the artifact or the variant is missing or broken
         * @throws IllegalStateException if no model directory was given, or no libtorch can be found (no
         *     {@code pytorch-native-*} dependency, no {@code PYTORCH_LIBRARY_PATH})
         */
        public CatVTONPipeline build() {
            if (modelDirectory == null) {
                throw new IllegalStateException("modelDirectory is required, for example models/toy-catvton");
            }
            ModelArtifact artifact = ModelArtifact.load(modelDirectory);
            Libtorch.require();
            return new CatVTONPipeline(this, artifact);
        }
    }
}

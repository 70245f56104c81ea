package io.omoib.vton.pipeline;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * Every random number of one pipeline run, drawn per request from the PyTorch CPU generator seeded
 * with the request's own seed, in CatVTON's order: masked-person latent {@code [1,4,h,w]}, garment
 * latent {@code [1,4,h,w]}, initial noise {@code [1,4,2h,w]}, then one {@code [1,4,2h,w]} per step
 * when eta > 0. The generator is global to the process, so the draws of one request happen under one
 * lock and never interleave with another's: a request gives the same image alone, batched, or on any
 * thread. The CUDA generator gives other numbers, so draws happen on the CPU and move to the device.
 *
 * @param maskedPerson {@code [B,4,h,w]}, for the masked person's latent
 * @param garment {@code [B,4,h,w]}, for the garment's latent
 * @param initial {@code [B,4,2h,w]}, the starting latents
 * @param perStep one {@code [B,4,2h,w]} per step, or empty when eta is 0
 */
record SeededNoise(NDArray maskedPerson, NDArray garment, NDArray initial, List<NDArray> perStep) {
    private static final Object GENERATOR_LOCK = new Object();

    /**
     * Draws every random tensor of a run, request by request, each from its own seed.
     *
     * @param request the run's manager; the draws are attached to it, on its device
     * @param seeds one seed per request of the batch
     * @param h latent height, image height / 8
     * @param w latent width, image width / 8
     * @param stepDraws steps that draw variance noise (0 when eta is 0)
     */
    static SeededNoise draw(NDManager request, List<Integer> seeds, int h, int w, int stepDraws) {
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
            synchronized (GENERATOR_LOCK) {
                for (int seed : seeds) {
                    cpu.getEngine().setRandomSeed(seed);
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
            return new SeededNoise(onDevice(request, masked), onDevice(request, garments), onDevice(request, initial),
                    steps);
        }
    }

    /** Concatenates per-request draws along the batch and moves them to the run's device and manager. */
    private static NDArray onDevice(NDManager request, List<NDArray> draws) {
        NDArray joined = draws.size() == 1 ? draws.get(0) : NDArrays.concat(new NDList(draws), 0);
        NDArray moved = joined.toDevice(request.getDevice(), false);
        moved.attach(request);
        return moved;
    }
}

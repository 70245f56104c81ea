#!/usr/bin/python3
"""Times whole try-ons with the Python reference pipeline (tools/reference/reference_pipeline.py).

    /usr/bin/python3 benchmarks/compare/pipeline_python.py MODEL_DIR INPUT_DIR ITERATIONS THREADS

INPUT_DIR holds prepared_person.png, prepared_mask.png and prepared_garment.png (768x1024, written by
the Java side, PipelineTiming). Runs 15 steps, guidance 2.5, eta 1, seed 42 on the CPU with THREADS
intra-op threads, one warm-up then ITERATIONS runs, and prints ``total MS`` (median) and
``modules MS`` (median time inside the encoder, UNet and decoder calls).
"""
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "reference"))
import reference_pipeline as ref  # noqa: E402
import torch  # noqa: E402


class TimedModule:
    """Wraps a TorchScript module and adds the wall time of its calls to a shared counter."""

    def __init__(self, module, counter):
        self.module = module
        self.counter = counter

    def __call__(self, *args):
        start = time.perf_counter()
        out = self.module(*args)
        self.counter[0] += time.perf_counter() - start
        return out


def main():
    model, folder, iterations, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    artifact = ref.Artifact(model)
    counter = [0.0]
    artifact.modules = {name: TimedModule(m, counter) for name, m in artifact.modules.items()}
    person = ref.load_rgb(os.path.join(folder, "prepared_person.png"))
    mask = ref.load_gray(os.path.join(folder, "prepared_mask.png"))
    garment = ref.load_rgb(os.path.join(folder, "prepared_garment.png"))

    def once():
        counter[0] = 0.0
        start = time.perf_counter()
        ref.tryon(artifact, person, mask, garment, seed=42, steps=15, guidance=2.5, eta=1.0)
        return time.perf_counter() - start, counter[0]

    once()
    runs = [once() for _ in range(iterations)]
    print("total %.1f" % (statistics.median(r[0] for r in runs) * 1000))
    print("modules %.1f" % (statistics.median(r[1] for r in runs) * 1000))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Python side of fullsize.sh: CatVTON's own pipeline on the full-size random-weight diffusers folder.

    fullsize_catvton.py inputs --out DIR [--width 384 --height 512]
        writes DIR/person.png, DIR/mask.png, DIR/garment.png: the prepared inputs of
        tools/fixtures/make_catvton_golden.py (cloth type overall: the stacked garment) at that size
    fullsize_catvton.py run --diffusers DIR --inputs DIR --out result.png [--dtype float32]
        [--steps 2 --guidance 2.5 --eta 1.0 --seed 42]
        builds CatVTON's CatVTONPipeline as make_catvton_golden.py does (CatVTON's unchanged __call__),
        runs one try-on and prints one JSON line: {"load_s", "run_s", ...}
    fullsize_catvton.py compare A.png B.png
        prints {"max_abs", "mean_abs"} over every pixel and channel

Needs CATVTON_SRC (a checkout of Zheng-Chong/CatVTON) and diffusers (pip, or --pydeps / the
$PYDEPS folder of diffusers' sources with pyenv.py).
"""
import argparse
import json
import os
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path[:0] = [os.path.join(REPO, "tools", "fixtures"), os.path.join(REPO, "tools", "reference")]


def blas_library() -> str:
    """The BLAS this process mapped. Debian's torch (BLAS_INFO=generic) calls libblas.so.3, which is
    the reference BLAS (about 3 GFLOP/s here) unless an optimised one such as OpenBLAS is installed
    or put first on LD_LIBRARY_PATH; PyPI's torch brings MKL."""
    try:
        with open("/proc/self/maps") as f:
            names = {line.split()[-1] for line in f if len(line.split()) >= 6}
    except OSError:
        return "unknown"
    found = sorted(n for n in names if any(k in os.path.basename(n) for k in ("blas", "mkl_rt", "libmkl", "blis")))
    return ", ".join(found) or "none found"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("inputs")
    p.add_argument("--out", required=True)
    p.add_argument("--width", type=int, default=384)
    p.add_argument("--height", type=int, default=512)
    p = sub.add_parser("run")
    p.add_argument("--diffusers", required=True)
    p.add_argument("--inputs", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--dtype", choices=("float32", "bfloat16"), default="float32")
    p.add_argument("--steps", type=int, default=2)
    p.add_argument("--guidance", type=float, default=2.5)
    p.add_argument("--eta", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--threads", type=int, help="torch intra-op threads (default: torch's own choice)")
    p.add_argument("--pydeps")
    p.add_argument("--catvton-src", default=os.environ.get("CATVTON_SRC"))
    p = sub.add_parser("compare")
    p.add_argument("a")
    p.add_argument("b")
    args = parser.parse_args(argv)

    if args.command == "inputs":
        import make_catvton_golden as mcg
        os.makedirs(args.out, exist_ok=True)
        person, mask, garment = mcg.prepared_images((args.width, args.height), "overall")
        person.save(os.path.join(args.out, "person.png"))
        mask.save(os.path.join(args.out, "mask.png"))
        garment.save(os.path.join(args.out, "garment.png"))
        return 0
    if args.command == "compare":
        import numpy as np
        from PIL import Image
        a = np.asarray(Image.open(args.a).convert("RGB")).astype(np.int32)
        b = np.asarray(Image.open(args.b).convert("RGB")).astype(np.int32)
        d = np.abs(a - b)
        print(json.dumps({"max_abs": int(d.max()), "mean_abs": round(float(d.mean()), 4)}))
        return 0

    started = time.perf_counter()
    import make_diffusers_model as mdm
    mdm.import_environment(args.pydeps or mdm.DEFAULT_PYDEPS, args.catvton_src)
    import torch
    from PIL import Image
    import make_catvton_golden as mcg
    if args.threads:
        torch.set_num_threads(args.threads)
    imported = time.perf_counter()
    loader = mcg.use_catvton_loader()
    dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16}[args.dtype]
    pipe = mcg.catvton_pipeline(args.diffusers, dtype, os.path.join(args.diffusers, "catvton"))
    loaded = time.perf_counter()
    person, mask, garment = (Image.open(os.path.join(args.inputs, n + ".png")) for n in ("person", "mask", "garment"))
    size = person.size
    result = mcg.run_catvton(pipe, person, mask, garment, size, args.steps, args.guidance, args.eta, args.seed)
    finished = time.perf_counter()
    Image.fromarray(result).save(args.out)
    print(json.dumps({"import_s": round(imported - started, 3), "load_s": round(loaded - imported, 3),
                      "run_s": round(finished - loaded, 3), "torch": torch.__version__,
                      "threads": torch.get_num_threads(), "blas": blas_library(), "loader": loader}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

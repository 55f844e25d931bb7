"""VGG-16 pattern-pruned (8 patterns, connectivity 3.6) through patcc's opencl target on a GPU,
against PyTorch's dense convolutions on the same GPU (CUDA, cuDNN): medians of repeated runs.

    python scripts/opencl_gpu_bench.py [--device NVIDIA] [--size 224] [--repeat 50] [--block 4]
    python scripts/opencl_gpu_bench.py --no-prune ...    # patcc on the dense model as well
    python scripts/opencl_gpu_bench.py --tune 300 --tuning-log gpu.jsonl ...  # tuned, untuned

With `--tuning-log` (and `--tune S`: first tune the pruned model's pattern convs on the
device for S seconds into that log, `patcc tune --target opencl`) patcc runs twice in the
round-robin: built with the log's fastest schedules and built untuned, so the tuning's gain
is measured in the same minutes as cuDNN.

patcc is timed end to end (input upload, every kernel, output download, `queue.finish`);
its kernels' device time (OpenCL profiling events) is reported too, per layer with
`--layers`. PyTorch runs the dense VGG-16 (what the pruned model costs without patterns)
with the input already on the GPU, `torch.cuda.synchronize()` after each forward, TF32 off
(float32 throughout, like the OpenCL kernels); it is skipped, with the reason printed, when
torch or CUDA is not there. Runs alternate round-robin (patcc.bench.timing), so a burst of
foreign load hits both. patcc's output is checked against ONNX Runtime (CPU) once.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import patcc
from patcc.bench.timing import interleave, robust_stats
from patcc.models import vgg16
from patcc.runtime.opencl_runner import DEVICE_ENV
from patcc.tune.apply import tuned_layers


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def torch_runner(size: int, macs_out: list[int]) -> tuple[Callable[[], object] | None, str]:
    """The dense VGG-16 forward on CUDA, or None and why not."""
    try:
        import torch
    except ImportError:
        return None, "torch is not installed"
    if not torch.cuda.is_available():
        return None, f"torch {torch.__version__} has no CUDA device"
    from torch import nn

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    layers: list[nn.Module] = []
    channels, macs, hw = 3, 0, size
    for v in (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512):
        if v == "M":
            layers.append(nn.MaxPool2d(2))
            hw //= 2
            continue
        assert isinstance(v, int)
        layers += [nn.Conv2d(channels, v, 3, padding=1), nn.ReLU(inplace=True)]
        macs += channels * v * 9 * hw * hw
        channels = v
    layers.append(nn.MaxPool2d(2))
    hw //= 2
    flat = channels * hw * hw
    layers += [nn.Flatten(), nn.Linear(flat, 4096), nn.ReLU(inplace=True)]
    layers += [nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Linear(4096, 1000)]
    macs += flat * 4096 + 4096 * 4096 + 4096 * 1000
    macs_out.append(macs)
    model = nn.Sequential(*layers).cuda().eval()
    x = torch.randn(1, 3, size, size, device="cuda")

    def run() -> object:
        with torch.no_grad():
            y = model(x)
        torch.cuda.synchronize()
        return y

    return run, f"torch {torch.__version__}, {torch.cuda.get_device_name()}"


def check_against_ort(model: Any, compiled: Any, inputs: dict[str, np.ndarray]) -> str:
    try:
        import onnxruntime as ort
    except ImportError:
        return "not checked (no onnxruntime)"
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    (want,) = session.run(None, inputs)
    (got,) = compiled.run(inputs).values()
    diff = float(np.max(np.abs(got - want)))
    return f"max|diff| vs ONNX Runtime = {diff:.3g} (max|out| = {float(np.max(np.abs(want))):.3g})"


def layer_times(compiled: Any, inputs: dict[str, np.ndarray], repeat: int) -> dict[str, float]:
    """Median device ms per layer over `repeat` profiled runs."""
    per_layer: dict[str, list[float]] = {}
    x = [inputs[t.name] for t in compiled.inputs]
    for _ in range(repeat):
        sums: dict[str, float] = {}
        for row in compiled.backend.profile(x):
            key = (row["layer"] or row["name"]).split(":")[0]
            sums[key] = sums.get(key, 0.0) + row["ms"]
        for key, ms in sums.items():
            per_layer.setdefault(key, []).append(ms)
    return {k: float(np.median(v)) for k, v in per_layer.items()}


def tuned_build(model: Any, args: argparse.Namespace, out: Path) -> Any:
    """The model built with the tuning log's fastest schedules (tuned first with --tune)."""
    from patcc.tune.apply import LogSchedules
    from patcc.tune.log import TuningLog
    from patcc.tune.tuner import TuneOptions, measured_on, summary_table, tune

    options = TuneOptions("opencl", vector_length=args.vector_length, budget_s=args.tune)
    log_file = TuningLog(args.tuning_log)
    if args.tune:
        log(f"tuning the pattern convs on the device for {args.tune:.0f} s ...")
        print(summary_table(tune(model, log_file, options)))
    source = LogSchedules(log_file, "opencl", measured_on("opencl"), 0, options.length)
    log(f"compiling with {args.tuning_log} into {out} ...")
    return patcc.compile(
        model,
        target="opencl",
        patterns=None,
        out_dir=out,
        vector_length=args.vector_length,
        schedules=source,
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", help="OpenCL device name (substring; default: the first)")
    p.add_argument("--size", type=int, default=224, help="input height and width (224)")
    p.add_argument("--patterns", type=int, default=8)
    p.add_argument("--connectivity", type=float, default=3.6)
    p.add_argument("--block", type=int, default=1, help="block pruning, filters per block (1)")
    p.add_argument("--vector-length", type=int, default=None, help="floatN width (default 4)")
    p.add_argument("--repeat", type=int, default=50, help="timed rounds (default 50)")
    p.add_argument("--budget-s", type=float, default=120.0, help="stop timing after this")
    p.add_argument("--out-dir", help="keep the build here (default: a temporary folder)")
    p.add_argument("--layers", action="store_true", help="per-layer device times of patcc")
    p.add_argument("--no-torch", action="store_true", help="time patcc alone")
    p.add_argument("--no-prune", action="store_true", help="patcc on the dense model too")
    p.add_argument("--tuning-log", type=Path, help="also time a build with this log's schedules")
    p.add_argument("--tune", type=float, default=0.0, help="first tune S seconds into the log")
    args = p.parse_args(argv)
    if args.tune and args.tuning_log is None:
        p.error("--tune needs --tuning-log (where the trials go)")

    if args.no_prune:
        model, label = vgg16(size=args.size), "patcc opencl (dense)"
    else:
        log(
            f"VGG-16 {args.size}x{args.size}: pruning ({args.patterns} patterns, "
            f"connectivity {args.connectivity}, block {args.block}) ..."
        )
        model = patcc.prune(
            vgg16(size=args.size),
            patterns=args.patterns,
            connectivity=args.connectivity,
            block=args.block,
        )
        label = "patcc opencl (8x pruned)"
    out = Path(args.out_dir or tempfile.mkdtemp(prefix="patcc-gpu-bench-")) / "build"
    if args.device:  # patcc.compile loads the build on the default device: make it this one
        os.environ[DEVICE_ENV] = args.device
    log(f"compiling for opencl into {out} ...")
    start = time.perf_counter()
    compiled = patcc.compile(
        model, target="opencl", patterns=None, out_dir=out, vector_length=args.vector_length
    )
    compile_s = time.perf_counter() - start
    backend = compiled.backend
    tuned = tuned_build(model, args, out.parent / "tuned") if args.tuning_log else None
    report = json.loads((out / "report.json").read_text())
    nonzero_macs = int(report["total"]["nonzero_macs"])
    dense_macs = int(report["total"]["macs"])
    rng = np.random.default_rng(0)
    inputs = {t.name: rng.standard_normal(t.shape, dtype=np.float32) for t in compiled.inputs}
    log(f"compiled in {compile_s:.0f} s; checking against ONNX Runtime ...")
    check = check_against_ort(model, compiled, inputs)

    runners: dict[str, Callable[[], object]] = {label: lambda: compiled.run(inputs)}
    macs = {label: nonzero_macs}
    if tuned is not None:
        check += f"; tuned: {check_against_ort(model, tuned, inputs)}"
        runners[f"{label}, tuned"] = lambda: tuned.run(inputs)
        macs[f"{label}, tuned"] = nonzero_macs
    torch_macs: list[int] = []
    peer, why = (None, "--no-torch") if args.no_torch else torch_runner(args.size, torch_macs)
    if peer is not None:
        runners["torch dense (cuDNN)"] = peer
        macs["torch dense (cuDNN)"] = torch_macs[0]
    log(f"timing {', '.join(runners)} ({args.repeat} rounds, round-robin) ...")
    samples = interleave(runners, args.repeat, warmup=3, budget_s=args.budget_s)
    stats = {name: robust_stats(s) for name, s in samples.items()}
    device_ms = layer_times(compiled, inputs, min(args.repeat, 10))

    print(f"device: {backend.device.name.strip()} ({backend.device.platform.name.strip()})")
    print(
        f"model: VGG-16 {args.size}x{args.size}, {dense_macs / 1e9:.2f} GMAC dense, "
        f"{nonzero_macs / 1e9:.2f} GMAC non-zero ({dense_macs / nonzero_macs:.1f}x fewer)"
    )
    print(
        f"patcc: {check}; compile {compile_s:.0f} s; kernels' device time "
        f"{sum(device_ms.values()):.2f} ms"
    )
    tuned_ms: dict[str, float] = {}
    if tuned is not None:
        tuned_ms = layer_times(tuned, inputs, min(args.repeat, 10))
        report = json.loads((tuned.build_dir / "report.json").read_text())
        print(
            f"patcc tuned: {tuned_layers(report)} layer(s) from "
            f"{args.tuning_log}; kernels' device time {sum(tuned_ms.values()):.2f} ms"
        )
    print(f"torch: {why}")
    base = stats[next(iter(stats))].median_ms
    print(
        f"\n{'contender':<28} {'median ms':>10} {'IQR ms':>8} {'min ms':>8} "
        f"{'GFLOP/s':>9} {'vs patcc':>9}"
    )
    for name, st in stats.items():
        gflops = 2 * macs[name] / (st.median_ms * 1e-3) / 1e9
        print(
            f"{name:<28} {st.median_ms:>10.2f} {st.iqr_ms:>8.2f} {st.min_ms:>8.2f} "
            f"{gflops:>9.0f} {st.median_ms / base:>8.2f}x"
        )
    print("(GFLOP/s: 2 x the MACs each contender computes: non-zero for patcc, dense for torch)")
    if args.layers:
        print(f"\n{'layer':<20} {'device ms':>10}" + (f" {'tuned':>10}" if tuned_ms else ""))
        for name, ms in device_ms.items():
            other = f" {tuned_ms[name]:>10.3f}" if name in tuned_ms else ""
            print(f"{name:<20} {ms:>10.3f}{other}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

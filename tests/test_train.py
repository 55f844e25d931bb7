"""ADMM pruning for PyTorch models (`patcc.train`, the `train` extra): the constraint after
finalize(), fixed masks, export to ONNX that patcc takes bit-exact, and accuracy against
one-shot projection on scikit-learn's digits (CI-sized: one torch thread, a few epochs)."""

from __future__ import annotations

import copy
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import onnx
import pytest
from conftest import assert_close, run_ort
from onnx import numpy_helper

import patcc
from patcc.compression.connectivity import kept_kernel_count
from patcc.compression.onnx_prune import prune_with_report
from patcc.compression.plan import PruneOptions
from patcc.errors import PatccError

NEEDS_TORCH = "needs the optional extra: pip install -e '.[train]' (torch==2.13.0, scikit-learn)"
RATE = 3.6
K = 8


def test_core_package_never_imports_torch() -> None:
    code = (
        "import sys, patcc, patcc.cli, patcc.compression.onnx_prune, patcc.frontend\n"
        "assert 'torch' not in sys.modules, 'torch imported by the core package'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.fixture(scope="module")
def torch() -> ModuleType:
    module = pytest.importorskip("torch", reason=NEEDS_TORCH)
    pytest.importorskip("sklearn", reason=NEEDS_TORCH)
    module.set_num_threads(1)  # a shared 2-core machine
    return module


@dataclass
class Trained:
    split: Any  # patcc.train.digits.Split
    dense: Any  # nn.Module
    one_shot: Any
    admm: Any
    pruner: Any  # the ADMM run's ADMMPruner
    accuracy: dict[str, float]


@pytest.fixture(scope="module")
def trained(torch: ModuleType) -> Trained:
    """Dense, one-shot-projected and ADMM + fine-tuned small VGGs on digits (~20 s; dense
    ~99 %, one-shot ~10 %, ADMM ~98 %)."""
    import torch.nn.functional as F

    from patcc.train.digits import Batches, Recipe, accuracy, load_digits_split, pruner, train_dense

    recipe = Recipe(dense_epochs=10, admm_epochs=8, finetune_epochs=4, width=8)
    split = load_digits_split()
    dense = train_dense(split, recipe)
    one_shot = copy.deepcopy(dense)
    pruner(one_shot, recipe).finalize()
    admm = copy.deepcopy(dense)
    admm_pruner = pruner(admm, recipe)
    batches = Batches(split.x_train, split.y_train, recipe.batch_size, 1)
    admm_pruner.fit(
        batches, F.cross_entropy, admm_epochs=recipe.admm_epochs,
        finetune_epochs=recipe.finetune_epochs, lr=recipe.lr / 2,
    )  # fmt: skip
    acc = {
        name: accuracy(model, split.x_test, split.y_test)
        for name, model in (("dense", dense), ("one-shot", one_shot), ("admm", admm))
    }
    return Trained(split, dense, one_shot, admm, admm_pruner, acc)


def _masks(patterns: tuple[tuple[int, ...], ...]) -> np.ndarray:
    return np.array([sum(1 << p for p in pattern) for pattern in patterns])


def _check_constraint(weight: np.ndarray, patterns: tuple[tuple[int, ...], ...]) -> None:
    o, i = weight.shape[:2]
    flat = weight.reshape(o * i, 9)
    support = (flat != 0).astype(np.int64) @ (1 << np.arange(9))
    kept = support != 0
    assert len(patterns) <= K and all(len(p) == 4 and 4 in p for p in patterns)
    # every kept kernel is exactly one 4-entry pattern of the set
    assert np.isin(support[kept], _masks(patterns)).all()
    assert int(kept.sum()) == kept_kernel_count(o * i, RATE)


def test_constraint_holds_after_finalize(trained: Trained) -> None:
    pruner = trained.pruner
    assert pruner.finalized and set(pruner.convs) == {"3", "7", "10"}
    assert "first layer" in pruner.skipped["0"]
    for name, conv in pruner.convs.items():
        _check_constraint(conv.weight.detach().numpy(), pruner.pattern_sets[name])
        assert (conv.weight.detach().numpy() != 0).tolist() == pruner.masks[name].tolist()
    assert trained.admm[0].weight.detach().count_nonzero() == trained.admm[0].weight.numel()


def test_masks_stay_fixed_while_training(trained: Trained, torch: ModuleType) -> None:
    import torch.nn.functional as F

    pruner = copy.deepcopy(trained.pruner)  # its model and convs are copied together
    model = pruner.model
    before = {n: c.weight.detach().clone() for n, c in pruner.convs.items()}
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model.train()
    for _ in range(3):
        opt.zero_grad()
        F.cross_entropy(model(trained.split.x_train[:64]), trained.split.y_train[:64]).backward()
        opt.step()
        pruner.apply_masks()
    for name, conv in pruner.convs.items():
        w = conv.weight.detach()
        assert not torch.equal(w, before[name])  # it trained ...
        assert torch.equal(w != 0, pruner.masks[name])  # ... inside the fixed masks
    with pytest.raises(PatccError, match="after finalize"):
        pruner.step()


def test_admm_beats_one_shot_projection(trained: Trained) -> None:
    acc = trained.accuracy
    assert acc["dense"] >= 90.0, acc
    assert acc["admm"] >= acc["one-shot"] + 20.0, acc
    assert acc["admm"] >= acc["dense"] - 5.0, acc


def _weights(model: onnx.ModelProto) -> dict[str, bytes]:
    return {t.name: numpy_helper.to_array(t).tobytes() for t in model.graph.initializer}


@pytest.fixture(scope="module")
def exported(trained: Trained, tmp_path_factory: pytest.TempPathFactory) -> onnx.ModelProto:
    from patcc.train import export_onnx

    path = tmp_path_factory.mktemp("admm") / "digits.onnx"
    return export_onnx(trained.admm, path, trained.split.x_test[:8])


def test_export_is_recognised_as_pruned_bit_exact(
    trained: Trained, exported: onnx.ModelProto
) -> None:
    pruned, report = prune_with_report(exported, PruneOptions(K, RATE))
    assert _weights(pruned) == _weights(exported)
    rows = report.pruned()
    assert len(rows) == 3 and all(r.lossless for r in rows)
    used = {p for r in rows for p, n in r.pattern_counts if n}
    assert set(report.patterns) == used <= set(trained.pruner.pattern_sets["3"])
    assert _weights(patcc.prune(exported)) == _weights(exported)


def _compiled_outputs(model: onnx.ModelProto, x: np.ndarray, tmp: Path) -> list[np.ndarray]:
    """Outputs of the compiled model (patterns=None and 8) where `patcc.compile` exists."""
    try:
        compile_ = patcc.compile  # type: ignore[attr-defined]
    except AttributeError:
        return []
    outs = []
    for k in (None, K):
        compiled = compile_(model, target="x86", patterns=k, out_dir=tmp / f"k{k}")
        outs.append(compiled.run({"input": x})["output"])
    return outs


def test_exported_model_runs_in_patcc_as_in_pytorch(
    trained: Trained, exported: onnx.ModelProto, torch: ModuleType, tmp_path: Path
) -> None:
    x = trained.split.x_test[:8]
    with torch.no_grad():
        expected = trained.admm.eval()(x).numpy()
    xn = x.numpy()
    outs = [
        patcc.run_function(patcc.import_model(exported), {"input": xn})["output"],
        run_ort(exported, {"input": xn})["output"],
        *_compiled_outputs(exported, xn, tmp_path),
    ]
    for out in outs:
        assert_close(out, expected)


@pytest.mark.parametrize(("scope", "block"), [("model", 1), ("layer", 1), ("model", 4)])
def test_one_shot_finalize_is_patcc_prune(
    torch: ModuleType, tmp_path: Path, scope: str, block: int
) -> None:
    """Without BatchNorm (whose folding rescales weights), finalize() on a dense model gives
    the very bytes `patcc.prune` gives on its ONNX export: one implementation (block
    pruning included)."""
    from torch import nn

    from patcc.train import ADMMPruner, export_onnx

    torch.manual_seed(3)
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(),
        nn.Conv2d(16, 16, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(16, 4, 1),
    )  # fmt: skip
    x = torch.randn(1, 3, 8, 8)
    dense = export_onnx(model, tmp_path / "dense.onnx", x)
    pruner = ADMMPruner(model, patterns=4, connectivity=2.5, scope=scope, block=block)
    assert pruner.skipped == {"0": pruner.skipped["0"], "6": "1x1 kernel (patterns are 3x3)"}
    pruner.finalize()
    assert (pruner.pattern_sets["2"] == pruner.pattern_sets["4"]) == (scope == "model")
    ours = export_onnx(model, tmp_path / "ours.onnx", x)
    theirs = patcc.prune(dense, patterns=4, connectivity=2.5, scope=scope, block=block)
    assert _weights(theirs) == _weights(ours)
    for name in ("2", "4"):  # the filters of a block share their masks (one pattern each)
        mask = pruner.masks[name].numpy().reshape(16 // block, block, -1)
        assert (mask == mask[:, :1]).all()


def test_admm_state(torch: ModuleType) -> None:
    from torch import nn

    from patcc.train import ADMMPruner

    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(8, 8, 3), nn.Conv2d(8, 8, 3))
    pruner = ADMMPruner(model, warmup=2, rho=0.1, rho_growth=2.0, rho_max=0.3)
    assert not pruner.started and float(pruner.regularizer()) == 0.0
    pruner.step()
    assert not pruner.started
    pruner.step()  # the warm-up's last call chooses the patterns: Z = project(W), U = 0
    assert pruner.started and len(pruner.pattern_sets["0"]) == K
    w = model[0].weight.detach()
    reg = float(pruner.regularizer().detach())
    z0 = pruner.project("0", w)[0]
    assert torch.equal(pruner.z["0"], z0)
    expect = 0.05 * sum(
        float((c.weight.detach() - pruner.z[n]).pow(2).sum())
        for n, c in zip("01", model, strict=True)
    )
    assert reg == pytest.approx(expect, rel=1e-5)
    with torch.no_grad():
        model[0].weight.add_(0.01)
    pruner.step()  # Z = project(W + U), U += W - Z, rho grows
    w = model[0].weight.detach()
    assert torch.equal(pruner.u["0"], w - pruner.z["0"])
    assert pruner.rho == pytest.approx(0.2)
    pruner.step()
    assert pruner.rho == pytest.approx(0.3)  # capped
    with pytest.raises(PatccError, match="before finalize"):
        pruner.apply_masks()
    with pytest.raises(PatccError, match="no conv is eligible"):
        ADMMPruner(nn.Sequential(nn.Conv2d(3, 8, 3), nn.Conv2d(8, 8, 5)))
    with pytest.raises(PatccError, match="K must be"):
        ADMMPruner(model, patterns=0)

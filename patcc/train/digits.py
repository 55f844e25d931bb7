"""Worked example: ADMM pattern pruning of a small VGG-style CNN on scikit-learn's digits.

    python -m patcc.train.digits            # prints the accuracy table of docs/training.md

The data ships inside scikit-learn (1,797 8x8 images, nothing downloaded); images are
upsampled to 16x16 so that two 3x3 stages with pooling make sense. Compared at the same
compression (8 patterns, connectivity 3.6, i.e. ~8x fewer weights in the pruned convs):
dense; one-shot projection of the dense model; one-shot + masked fine-tuning; ADMM +
masked fine-tuning. The tests reuse these pieces at a smaller size.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from patcc.train.admm import ADMMPruner, train_epoch


@dataclass(frozen=True)
class Split:
    x_train: torch.Tensor  # (N, 1, size, size) float32, standardised
    y_train: torch.Tensor  # (N,) int64
    x_test: torch.Tensor
    y_test: torch.Tensor


def load_digits_split(size: int = 16, test_fraction: float = 0.25, seed: int = 0) -> Split:
    """scikit-learn's digits, stratified train/test split, upsampled to size x size."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    images = torch.from_numpy(np.asarray(x, np.float32).reshape(-1, 1, 8, 8) / 16.0)
    if size != 8:
        images = F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)
    mean, std = images.mean(), images.std()
    images = (images - mean) / std
    labels = torch.from_numpy(np.asarray(y, np.int64))
    index = np.arange(len(labels))
    train, test = train_test_split(
        index, test_size=test_fraction, random_state=seed, stratify=labels.numpy()
    )
    tr, te = torch.from_numpy(train), torch.from_numpy(test)
    return Split(images[tr], labels[tr], images[te], labels[te])


class Batches:
    """Shuffled mini-batches, re-iterable (one new order per epoch), seeded."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, batch_size: int, seed: int) -> None:
        self.x, self.y, self.batch_size = x, y, batch_size
        self.generator = torch.Generator().manual_seed(seed)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        order = torch.randperm(len(self.y), generator=self.generator)
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            yield self.x[idx], self.y[idx]


def small_vgg(width: int = 16, classes: int = 10) -> nn.Sequential:
    """Two VGG stages of two 3x3 convs (BatchNorm, ReLU) and a max-pool each, then global
    average pooling and a linear classifier. The first conv (1 input channel) stays dense."""
    chans = [1, width, 2 * width, 4 * width, 4 * width]
    layers: list[nn.Module] = []
    for i in range(4):
        layers += [
            nn.Conv2d(chans[i], chans[i + 1], 3, padding=1, bias=False),
            nn.BatchNorm2d(chans[i + 1]),
            nn.ReLU(),
        ]
        if i % 2 == 1:
            layers.append(nn.MaxPool2d(2))
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(chans[-1], classes)]
    return nn.Sequential(*layers)


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Top-1 accuracy in percent (eval mode)."""
    model.eval()
    return float((model(x).argmax(dim=1) == y).float().mean()) * 100.0


@dataclass(frozen=True)
class Recipe:
    """Epoch budgets: dense pre-training, ADMM, fine-tuning (one-shot + fine-tuning gets
    admm + finetune epochs, the same budget as ADMM)."""

    dense_epochs: int = 30
    admm_epochs: int = 30
    finetune_epochs: int = 15
    width: int = 16
    batch_size: int = 64
    lr: float = 2e-3
    rho: float = 0.05  # ADMMPruner's defaults
    rho_growth: float = 1.2
    rho_max: float = 10.0
    patterns: int = 8
    connectivity: float = 3.6
    block: int = 1  # block pruning: filters per block
    seed: int = 0


def train_dense(split: Split, recipe: Recipe) -> nn.Sequential:
    torch.manual_seed(recipe.seed)
    model = small_vgg(recipe.width)
    batches = Batches(split.x_train, split.y_train, recipe.batch_size, recipe.seed)
    opt = torch.optim.Adam(model.parameters(), lr=recipe.lr)
    for _ in range(recipe.dense_epochs):
        train_epoch(model, batches, F.cross_entropy, opt)
    return model


def pruner(model: nn.Module, recipe: Recipe) -> ADMMPruner:
    return ADMMPruner(
        model,
        patterns=recipe.patterns,
        connectivity=recipe.connectivity,
        block=recipe.block,
        rho=recipe.rho,
        rho_growth=recipe.rho_growth,
        rho_max=recipe.rho_max,
    )


def compare(split: Split, recipe: Recipe) -> dict[str, float]:
    """Test accuracy (%) of dense, one-shot, one-shot + fine-tune and ADMM + fine-tune."""
    batches = Batches(split.x_train, split.y_train, recipe.batch_size, recipe.seed + 1)
    dense = train_dense(split, recipe)
    result = {"dense": accuracy(dense, split.x_test, split.y_test)}

    one_shot = copy.deepcopy(dense)
    oneshot_pruner = pruner(one_shot, recipe)
    oneshot_pruner.finalize()
    result["one-shot projection"] = accuracy(one_shot, split.x_test, split.y_test)
    oneshot_pruner.fit(
        batches,
        F.cross_entropy,
        admm_epochs=0,
        finetune_epochs=recipe.admm_epochs + recipe.finetune_epochs,
        lr=recipe.lr / 2,
    )
    result["one-shot + masked fine-tune"] = accuracy(one_shot, split.x_test, split.y_test)

    admm = copy.deepcopy(dense)
    admm_pruner = pruner(admm, recipe)
    for epochs, finetune, row in (
        (recipe.admm_epochs, 0, "ADMM, hard-pruned (no fine-tune)"),
        (0, recipe.finetune_epochs, "ADMM + masked fine-tune"),
    ):
        admm_pruner.fit(
            batches, F.cross_entropy, admm_epochs=epochs, finetune_epochs=finetune, lr=recipe.lr / 2
        )
        result[row] = accuracy(admm, split.x_test, split.y_test)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="ADMM pattern pruning on digits")
    for field in dataclasses.fields(Recipe):
        flag = "--" + field.name.replace("_", "-")
        parser.add_argument(flag, type=type(field.default), default=field.default)
    parser.add_argument("--seeds", type=int, default=1, help="runs, seeds seed, seed+1, ...")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    args = vars(parser.parse_args(argv))
    seeds, threads = args.pop("seeds"), args.pop("threads")
    if threads:
        torch.set_num_threads(threads)
    start = time.perf_counter()
    first = Recipe(**args)
    runs = [  # the seed picks the split, the initial weights and the batch order
        compare(load_digits_split(seed=seed), dataclasses.replace(first, seed=seed))
        for seed in range(first.seed, first.seed + seeds)
    ]
    print(
        f"| test accuracy (%), patterns {first.patterns}, connectivity {first.connectivity}"
        + (f", block {first.block}" if first.block > 1 else "")
        + " | "
        + " | ".join(f"seed {first.seed + i}" for i in range(seeds))
        + " | mean |"
    )
    print("| --- " * (seeds + 2) + "|")
    for name in runs[0]:
        accs = [run[name] for run in runs]
        cells = " | ".join(f"{a:.2f}" for a in accs)
        print(f"| {name} | {cells} | {sum(accs) / len(accs):.2f} |")
    print(
        f"\n{time.perf_counter() - start:.0f} s, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads"
    )


if __name__ == "__main__":
    main()

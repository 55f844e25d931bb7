"""ADMM pattern + connectivity pruning for PyTorch models (PatDNN's training half).

One-shot projection of a trained model onto the pattern/connectivity constraint loses
accuracy; ADMM instead trains the weights W towards the constraint set. Per eligible conv it
keeps Z (W projected onto the set) and U (the scaled dual). Training minimises
loss + rho/2 ||W - Z + U||^2 (`regularizer`); every few iterations `step` sets
Z = project(W + U) and U += W - Z, and raises rho. `finalize` then hard-prunes W to its
projection and fixes the masks, which `apply_masks` re-imposes after each optimizer step of
the fine-tuning.

The projection is patcc's own numpy code (`patcc.compression.plan.prune_layer`), the same
the compiler uses, so a finalized model exported to ONNX is recognised by `patcc.prune` /
the compiler as already pruned, without changing a bit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import numpy as np
import torch
from torch import nn

from patcc.compression.patterns import dense_from_pattern
from patcc.compression.plan import (
    ConvWeights,
    PruneOptions,
    choose_pattern_set,
    prune_layer,
    skip_reason,
)
from patcc.dialects.pat.attributes import PatternSet
from patcc.errors import PatccError

Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _numpy(weight: torch.Tensor) -> np.ndarray:
    return weight.detach().to("cpu", torch.float32).numpy()


class ADMMPruner:
    """ADMM pruner of a model's eligible convs (3x3, group 1; by default not those with ≤ 4
    input channels, i.e. the first layer: the rules of `patcc prune`).

    patterns: K, the pattern-set size; connectivity: kernel-removal rate, one for all or a
    rate per conv module name (as in `model.named_modules()`, missing names: 1.0);
    rho, rho_growth, rho_max: the penalty weight, multiplied by rho_growth at every `step`
    up to rho_max (a growing rho pulls W onto Z ever harder, so the hard prune at the end
    costs little; the defaults are those of the digits example, with a step per epoch and
    a mean cross-entropy loss: scale rho with your loss); warmup: `step` calls before the
    pattern set is chosen from the weights trained so far (0: chosen now, for a pretrained
    model); scope, first_layer, block: as `patcc prune`. With scope "model" one set serves
    every conv, as in PatDNN.
    """

    def __init__(
        self,
        model: nn.Module,
        *,
        patterns: int = 8,
        connectivity: float | Mapping[str, float] = 3.6,
        rho: float = 0.05,
        rho_growth: float = 1.2,
        rho_max: float = 10.0,
        warmup: int = 0,
        scope: str = "model",
        first_layer: bool = False,
        block: int = 1,
    ) -> None:
        self.options = PruneOptions(patterns, connectivity, scope, first_layer, block)
        self.options.check()
        if not (rho > 0 and rho_growth >= 1 and rho_max >= rho and warmup >= 0):
            raise PatccError("ADMM: need rho > 0, rho_growth >= 1, rho_max >= rho, warmup >= 0")
        self.model = model
        self.rho, self.rho_growth, self.rho_max = rho, rho_growth, rho_max
        self.warmup = warmup
        self.convs: dict[str, nn.Conv2d] = {}
        self.skipped: dict[str, str] = {}
        for name, module in model.named_modules():
            if isinstance(module, nn.Conv2d):
                conv = ConvWeights(name, _numpy(module.weight), module.groups)
                reason = skip_reason(conv, first_layer)
                if reason is None:
                    self.convs[name] = module
                else:
                    self.skipped[name] = reason
        if not self.convs:
            why = "; ".join(f"{n}: {r}" for n, r in self.skipped.items()) or "no Conv2d"
            raise PatccError(f"no conv is eligible for pattern pruning ({why})")
        self.pattern_sets: dict[str, PatternSet] = {}
        self.z: dict[str, torch.Tensor] = {}
        self.u: dict[str, torch.Tensor] = {}
        self.masks: dict[str, torch.Tensor] = {}
        self.steps = 0
        if warmup == 0:
            self._start()

    @property
    def started(self) -> bool:
        """Whether the pattern set is chosen (and Z, U exist)."""
        return bool(self.pattern_sets)

    @property
    def finalized(self) -> bool:
        return bool(self.masks)

    def _weights(self) -> dict[str, torch.Tensor]:
        return {name: conv.weight for name, conv in self.convs.items()}

    def _choose_patterns(self) -> None:
        """Pattern sets from the current weights: each kernel votes for its best 4-entry
        pattern, the K most voted win (`patcc.compression.patterns.select_pattern_set`)."""
        weights = {n: _numpy(w) for n, w in self._weights().items()}
        k = self.options.patterns
        if self.options.scope == "model":
            chosen = choose_pattern_set(list(weights.values()), k, self.options.block)
            self.pattern_sets = dict.fromkeys(weights, chosen)
        else:
            block = self.options.block
            self.pattern_sets = {n: choose_pattern_set([w], k, block) for n, w in weights.items()}

    def project(self, name: str, weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(projection, mask) of a weight of conv `name` onto its constraint set: the
        pattern-pruned, connectivity-pruned weight, and where it may be non-zero."""
        patterns = self.pattern_sets[name]
        opts = self.options
        ids, values, _ = prune_layer(_numpy(weight), patterns, opts.rate_for(name), opts.block)
        dense = dense_from_pattern(ids, values, patterns)
        support = dense_from_pattern(ids, np.ones_like(values), patterns) != 0
        return (
            torch.from_numpy(dense).to(weight.device),
            torch.from_numpy(support).to(weight.device),
        )

    def _start(self) -> None:
        self._choose_patterns()
        for name, w in self._weights().items():
            self.z[name] = self.project(name, w)[0]
            self.u[name] = torch.zeros_like(w.detach())

    def regularizer(self) -> torch.Tensor:
        """rho/2 * sum ||W - Z + U||^2 over the pruned convs: add it to the loss. Zero
        during the warm-up and after `finalize`."""
        weights = self._weights()
        first = next(iter(weights.values()))
        total = torch.zeros((), dtype=first.dtype, device=first.device)
        if not self.started or self.finalized:
            return total
        for name, w in weights.items():
            total = total + (w - self.z[name] + self.u[name]).pow(2).sum()
        return total * (self.rho / 2)

    @torch.no_grad()
    def step(self) -> None:
        """The ADMM update (call every few iterations or once per epoch): Z = project(W + U),
        U += W - Z, rho *= rho_growth (up to rho_max). During the warm-up it only counts; the
        last warm-up call chooses the pattern set."""
        if self.finalized:
            raise PatccError("ADMM: step() after finalize(); the masks are fixed now")
        self.steps += 1
        if not self.started:
            if self.steps >= self.warmup:
                self._start()
            return
        for name, w in self._weights().items():
            self.z[name] = self.project(name, w + self.u[name])[0]
            self.u[name] += w - self.z[name]
        self.rho = min(self.rho * self.rho_growth, self.rho_max)

    @torch.no_grad()
    def finalize(self) -> dict[str, torch.Tensor]:
        """Hard prune: each pruned conv's weight becomes its projection (the pattern set is
        chosen now if the warm-up has not ended: that is one-shot pruning). Returns the
        masks (True = weight kept), which stay fixed from now on."""
        if self.finalized:
            return self.masks
        if not self.started:
            self._choose_patterns()
        for name, w in self._weights().items():
            projected, mask = self.project(name, w)
            w.copy_(projected)
            self.masks[name] = mask
        self.z.clear()
        self.u.clear()
        return self.masks

    @torch.no_grad()
    def apply_masks(self) -> None:
        """Zero the pruned weights again (after each optimizer step while fine-tuning).
        masked_fill writes +0.0, never -0.0, so the exported bytes stay those of patcc."""
        if not self.finalized:
            raise PatccError("ADMM: apply_masks() before finalize()")
        for name, w in self._weights().items():
            w.masked_fill_(~self.masks[name], 0.0)

    def fit(
        self,
        batches: Batches,
        loss_fn: LossFn,
        *,
        admm_epochs: int,
        finetune_epochs: int,
        lr: float = 1e-3,
        optimizer: Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer] | None = None,
    ) -> ADMMPruner:
        """The whole recipe for simple cases: `admm_epochs` epochs on loss + regularizer with
        an ADMM `step` after each epoch, `finalize`, then `finetune_epochs` with fixed masks.
        `batches` is re-iterated every epoch (a DataLoader, a list); the optimizer is Adam
        unless a factory is given (a fresh one for the fine-tuning)."""

        def make() -> torch.optim.Optimizer:
            params = self.model.parameters()
            return optimizer(params) if optimizer else torch.optim.Adam(params, lr=lr)

        self.model.train()
        opt = make()
        for _ in range(admm_epochs):
            train_epoch(self.model, batches, loss_fn, opt, self.regularizer)
            self.step()
        self.finalize()
        opt = make()
        for _ in range(finetune_epochs):
            train_epoch(self.model, batches, loss_fn, opt, after_step=self.apply_masks)
        return self


def train_epoch(
    model: nn.Module,
    batches: Batches,
    loss_fn: LossFn,
    optimizer: torch.optim.Optimizer,
    penalty: Callable[[], torch.Tensor] | None = None,
    after_step: Callable[[], None] | None = None,
) -> float:
    """One pass over `batches`; returns the mean loss (without the penalty)."""
    model.train()
    total, count = 0.0, 0
    for x, y in batches:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        (loss + penalty() if penalty else loss).backward()
        optimizer.step()
        if after_step:
            after_step()
        total += float(loss.detach()) * len(y)
        count += len(y)
    return total / max(count, 1)

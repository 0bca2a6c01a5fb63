"""Training steps timed: chanconv.nn.Conv2d against torch.nn.Conv2d, in networks that learn.

One step is what a training loop does per batch: zero the gradients, the forward pass, the loss, the
backward pass and an SGD update. Each network is built twice from the same weights (``state_dict``), once
with ``chanconv.nn.Conv2d`` (``method="auto"``) and once with ``torch.nn.Conv2d``; the two are timed in
turn, in rounds, and a ratio is chanconv's time ÷ torch's in the same round (medians over rounds, as in
``make bench``).

* notebook 9's network: 3 × 3, c_i = 3 → c_o = 8, padding 1, ReLU, 1 × 1 8 → 4, the largest value of
  each class map; a batch of 256 images of 10 × 10 (what notebook 9 trains, with SGD here);
* a small CNN: 3 × 3 3 → 16, 3 × 3 16 → 32 at stride 2, 1 × 1 32 → 32; a batch of 64 images of 32 × 32;
* a ResNet basic block: 3 × 3 64 → 64, batch norm, ReLU, 3 × 3 64 → 64, batch norm, the input added,
  ReLU; a batch of 8 images of 56 × 56 (ResNet-18's first stage).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..core import nn as cnn
from ..core.timing import median_seconds

__all__ = ["SmallCNN", "ThreeLayerCNN", "ResNetBlock", "TRAINING", "run_training"]


class SmallCNN(nn.Module):
    """Notebook 9's network: (batch, 3, n_h, n_w) -> class scores (batch, 4)."""

    def __init__(self, Conv2d=cnn.Conv2d):
        super().__init__()
        self.edges = Conv2d(3, 8, 3, padding=1)
        self.mix = Conv2d(8, 4, 1)

    def forward(self, X):
        return self.mix(torch.relu(self.edges(X))).amax(dim=(2, 3))


class ThreeLayerCNN(nn.Module):
    """3 × 3 3 → 16, 3 × 3 16 → 32 at stride 2, 1 × 1 32 → 32: (batch, 3, n, n) -> scores (batch, 32)."""

    def __init__(self, Conv2d=cnn.Conv2d):
        super().__init__()
        self.one = Conv2d(3, 16, 3, padding=1)
        self.two = Conv2d(16, 32, 3, stride=2, padding=1)
        self.three = Conv2d(32, 32, 1)

    def forward(self, X):
        return self.three(torch.relu(self.two(torch.relu(self.one(X))))).mean(dim=(2, 3))


class ResNetBlock(nn.Module):
    """ResNet's basic block, c channels: (batch, c, n, n) -> (batch, c, n, n); scores: the mean per channel."""

    def __init__(self, Conv2d=cnn.Conv2d, channels=64):
        super().__init__()
        self.conv1 = Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, X):
        Z = torch.relu(self.bn1(self.conv1(X)))
        return torch.relu(self.bn2(self.conv2(Z)) + X).mean(dim=(2, 3))


@dataclass(frozen=True)
class Training:
    name: str
    network: type
    input_shape: tuple[int, int, int, int]
    classes: int


TRAINING = (
    Training("notebook 9's network", SmallCNN, (256, 3, 10, 10), 4),
    Training("small CNN (3 layers)", ThreeLayerCNN, (64, 3, 32, 32), 32),
    Training("ResNet basic block", ResNetBlock, (8, 64, 56, 56), 64),
)


def _step(net, opt, X, y):
    opt.zero_grad()
    F.cross_entropy(net(X), y).backward()
    opt.step()


def _pair(case: Training, device):
    """The network with chanconv's layers and its torch twin (same weights), their optimizers, a batch."""
    torch.manual_seed(0)
    ours = case.network(cnn.Conv2d).to(device)
    twin = case.network(nn.Conv2d).to(device)
    twin.load_state_dict(ours.state_dict())
    g = torch.Generator().manual_seed(0)
    X = torch.randn(*case.input_shape, generator=g).to(device)
    y = torch.randint(0, case.classes, (case.input_shape[0],), generator=g).to(device)
    opts = [torch.optim.SGD(m.parameters(), lr=0.01) for m in (ours, twin)]
    return (ours, twin), opts, X, y


def run_training(device="cpu", rounds=3, min_seconds=0.3, cases=TRAINING) -> list[dict]:
    """Per network: chanconv's and torch's median time per step, and the ratio (median, min, max over rounds)."""
    rows = []
    for case in cases:
        (ours, twin), (opt_ours, opt_twin), X, y = _pair(case, device)
        times = {"chanconv": [], "torch": []}
        for r in range(rounds):
            for name, net, opt in (("torch", twin, opt_twin), ("chanconv", ours, opt_ours)):
                step = lambda n=net, o=opt, X=X, y=y: _step(n, o, X, y)  # noqa: E731
                times[name].append(median_seconds(step, device=device, repeat=5, warmup=2 if r == 0 else 0,
                                                  min_seconds=min_seconds / rounds))
        ratios = [a / b for a, b in zip(times["chanconv"], times["torch"])]
        rows.append(dict(network=case.name, batch=tuple(case.input_shape),
                         chanconv_ms=1e3 * statistics.median(times["chanconv"]),
                         torch_ms=1e3 * statistics.median(times["torch"]),
                         ratio=statistics.median(ratios), ratio_min=min(ratios), ratio_max=max(ratios)))
    return rows

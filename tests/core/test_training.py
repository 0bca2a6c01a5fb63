"""Training through chanconv.nn.Conv2d with every method, and `auto`, once the compiled rung is loaded.

Notebook 8 and `make bench` load the compiled rung; after that `auto` picks it for batches of 8 or
more, so a network trained in the same process runs its forward there. A weight that requires a
gradient must then train exactly as with torch.nn.Conv2d: the same gradients, a falling loss.
The backward pass picks its own methods on the tensors' device: never the CPU-only rung for CUDA.
"""

import pytest
import torch
import torch.nn.functional as F

import chanconv
from chanconv.core import backward, methods
from chanconv.core.layer import Layer

# notebook 9's kind of network, small: 3×3 (3 → 4), strided 3×3 (4 → 8), 1×1 (8 → 8), a linear head
LAYERS = [dict(in_channels=3, out_channels=4, kernel_size=3, padding=1),
          dict(in_channels=4, out_channels=8, kernel_size=3, stride=2, padding=1),
          dict(in_channels=8, out_channels=8, kernel_size=1)]
BATCH, SIZE, CLASSES = 64, 8, 3


@pytest.fixture(scope="module")
def rung():
    """The compiled rung loaded in this process, as notebook 8 and make bench leave it."""
    if "compiled" not in chanconv.METHODS:
        pytest.skip(f"compiled rung absent here: {methods.ABSENT.get('compiled')}")
    line = methods.compiled.prepare("cpu")
    if not methods.compiled.loaded():
        pytest.skip(line)
    return line


def _method_for_layer(method, spec):
    """``method`` where it handles the layer (matmul1x1 only 1×1, winograd only 3×3 at stride 1), else auto."""
    k, s = spec["kernel_size"], spec.get("stride", 1)
    return method if methods.applies(method, k, k, (s, s)) else "auto"


def _networks(method, seed=0):
    """(chanconv network with ``method``, its torch.nn.Conv2d twin with the same initial weights)."""
    def build(conv):
        torch.manual_seed(seed)
        convs = [conv(spec) for spec in LAYERS]
        return torch.nn.Sequential(convs[0], torch.nn.ReLU(), convs[1], torch.nn.ReLU(), convs[2], torch.nn.ReLU(),
                                   torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(8, CLASSES))

    ours = build(lambda spec: chanconv.nn.Conv2d(**spec, method=_method_for_layer(method, spec)))
    twin = build(lambda spec: torch.nn.Conv2d(**spec))
    twin.load_state_dict(ours.state_dict())
    return ours, twin


def _batch():
    g = torch.Generator().manual_seed(1)
    return torch.randn(BATCH, 3, SIZE, SIZE, generator=g), torch.randint(0, CLASSES, (BATCH,), generator=g)


@pytest.mark.parametrize("method", ["auto", *chanconv.METHODS])
def test_one_training_step_matches_torch_with_the_rung_loaded(rung, method):
    X, y = _batch()
    ours, twin = _networks(method)
    for net in (ours, twin):
        F.cross_entropy(net(X), y).backward()
    for (name, p), q in zip(ours.named_parameters(), twin.parameters()):
        tol = 2e-3 if method in ("winograd", "fft") else 1e-4
        torch.testing.assert_close(p.grad, q.grad, rtol=tol, atol=tol, msg=f"{method}: d{name}")


@pytest.mark.parametrize("method", ["auto", "compiled"])
def test_a_network_trains_at_batch_64_with_the_rung_loaded(rung, method):
    """Ten SGD steps: no error, the loss falls as with the torch twin, the weights stay alike."""
    if method not in chanconv.METHODS and method != "auto":
        pytest.skip(f"{method} is absent here")
    X, y = _batch()
    ours, twin = _networks(method)
    losses = {}
    for name, net in (("ours", ours), ("twin", twin)):
        opt = torch.optim.SGD(net.parameters(), lr=0.2)
        losses[name] = []
        for _ in range(10):
            opt.zero_grad()
            loss = F.cross_entropy(net(X), y)
            loss.backward()
            opt.step()
            losses[name].append(loss.item())
    assert losses["ours"][-1] < losses["ours"][0]
    assert losses["ours"] == pytest.approx(losses["twin"], rel=1e-3)
    if method == "auto":  # the rung is what auto runs on this batch: the path that used to crash
        layer = Layer.describe(4, 8, 3, 3, SIZE, SIZE, stride=2, padding=1, batch=BATCH)
        assert chanconv.core.pick_method(layer) == "compiled"


def test_the_backward_picks_its_methods_on_the_tensors_device(monkeypatch):
    """With the rung loaded, a fallback in the backward pass asks auto for the tensors' device: the CPU may
    get the rung, CUDA never (it runs on the CPU only). No GPU is needed to check the choice."""
    if "compiled" not in chanconv.METHODS:
        pytest.skip(f"compiled rung absent here: {methods.ABSENT.get('compiled')}")
    monkeypatch.setattr(methods.compiled, "loaded", lambda: True)
    strided = Layer.describe(16, 16, 3, 3, 16, 16, stride=2, padding=1, batch=8)
    assert backward._method_for("winograd", strided, torch.device("cpu")) == "compiled"
    assert backward._method_for("winograd", strided, torch.device("cuda")) != "compiled"
    assert backward._method_for("compiled", strided, torch.device("cuda")) != "compiled"
    assert backward._method_for("compiled", strided, torch.device("cpu")) == "compiled"

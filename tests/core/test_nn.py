"""chanconv.nn.Conv2d against torch.nn.Conv2d: parameters, initialisation, state_dict both ways, outputs, gradients."""

import pytest
import torch

import chanconv as cc

CONFIGS = [
    dict(in_channels=3, out_channels=8, kernel_size=3),
    dict(in_channels=4, out_channels=6, kernel_size=(2, 3), stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2),
    dict(in_channels=3, out_channels=5, kernel_size=4, padding="same", dilation=2, bias=False),
    dict(in_channels=6, out_channels=6, kernel_size=3, padding=1, groups=6),
    dict(in_channels=8, out_channels=4, kernel_size=1),
] + [dict(in_channels=3, out_channels=4, kernel_size=3, padding=p, padding_mode=mode)
     for mode in ("reflect", "replicate", "circular") for p in (1, (2, 1), "same")]


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_same_parameters_init_outputs_and_gradients_as_torch(config):
    torch.manual_seed(0)
    ref = torch.nn.Conv2d(**config)
    torch.manual_seed(0)
    mine = cc.nn.Conv2d(**config)
    assert [n for n, _ in mine.named_parameters()] == [n for n, _ in ref.named_parameters()]
    for (_, p), (_, q) in zip(mine.named_parameters(), ref.named_parameters()):
        assert p.shape == q.shape and torch.equal(p, q), "the same initialisation from the same seed"
    X = torch.randn(2, config["in_channels"], 9, 8)
    for src, dst in ((ref, cc.nn.Conv2d(**config)), (mine, torch.nn.Conv2d(**config))):
        dst.load_state_dict(src.state_dict())  # both directions
        for a, b in ((src, dst),):
            Xa, Xb = X.clone().requires_grad_(), X.clone().requires_grad_()
            Ya, Yb = a(Xa), b(Xb)
            torch.testing.assert_close(Yb, Ya, rtol=1e-5, atol=1e-5)
            dY = torch.randn_like(Ya)
            Ya.backward(dY)
            Yb.backward(dY)
            torch.testing.assert_close(Xb.grad, Xa.grad, rtol=1e-4, atol=1e-4)
            for (name, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
                torch.testing.assert_close(q.grad, p.grad, rtol=1e-4, atol=1e-4, msg=name)


@pytest.mark.parametrize("method", ["im2col", "shift", "unfold", "winograd"])
def test_every_method_in_a_module(method):
    torch.manual_seed(1)
    ref = torch.nn.Conv2d(4, 4, 3, padding=1)
    mine = cc.nn.Conv2d(4, 4, 3, padding=1, method=method)
    mine.load_state_dict(ref.state_dict())
    X = torch.randn(3, 4, 6, 6)
    torch.testing.assert_close(mine(X), ref(X), rtol=1e-5, atol=1e-5)
    assert f"method='{method}'" in repr(mine)


def test_unbatched_input_and_no_bias():
    layer = cc.nn.Conv2d(2, 3, 2, bias=False)
    assert layer.bias is None and list(layer.state_dict()) == ["weight"]
    assert layer(torch.randn(2, 5, 5)).shape == (3, 4, 4)


@pytest.mark.parametrize("kwargs, words", [
    (dict(in_channels=4, out_channels=6, kernel_size=3, groups=4), "must both be divisible by groups = 4"),
    (dict(in_channels=4, out_channels=6, kernel_size=3, padding="same", stride=2), "padding='same' needs stride 1"),
    (dict(in_channels=4, out_channels=6, kernel_size=3, padding_mode="mirror"), "padding_mode must be one of"),
    (dict(in_channels=0, out_channels=6, kernel_size=3), "in_channels must be at least 1"),
    (dict(in_channels=4, out_channels=6, kernel_size=0), "kernel_size must be at least 1"),
])
def test_bad_arguments(kwargs, words):
    with pytest.raises(ValueError, match=None) as info:
        cc.nn.Conv2d(**kwargs)
    assert words in str(info.value)

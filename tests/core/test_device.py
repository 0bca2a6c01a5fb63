"""default_device(): CUDA when available, CPU otherwise, CHANCONV_DEVICE overrides."""

import pytest
import torch
from conftest import cuda_only

import chanconv as cc


def test_default_follows_cuda_availability(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert cc.default_device() == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert cc.default_device() == torch.device("cuda")


def test_env_var_cpu_wins_over_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setenv("CHANCONV_DEVICE", "cpu")
    assert cc.default_device() == torch.device("cpu")


def test_env_var_cuda_without_cuda_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("CHANCONV_DEVICE", "cuda")
    with pytest.raises(RuntimeError, match="asks for CUDA, but this torch .* sees no CUDA device"):
        cc.default_device()


def test_env_var_missing_cuda_index(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setenv("CHANCONV_DEVICE", "cuda:1")
    with pytest.raises(RuntimeError, match=r"asks for CUDA device 1, but there is only 1 \(cuda:0\)"):
        cc.default_device()
    monkeypatch.setenv("CHANCONV_DEVICE", "cuda:0")
    assert cc.default_device() == torch.device("cuda:0")


@pytest.mark.parametrize("value, words", [("gpu", "not a device name"), ("mps", "runs on cpu or cuda")])
def test_env_var_nonsense(monkeypatch, value, words):
    monkeypatch.setenv("CHANCONV_DEVICE", value)
    with pytest.raises(ValueError, match=words):
        cc.default_device()


@cuda_only
def test_real_cuda_device():
    assert cc.default_device().type == "cuda"
    X = torch.ones(2, 4, 4, device=cc.default_device())
    assert cc.conv2d(X, torch.ones(3, 2, 3, 3, device=X.device)).device.type == "cuda"
    assert cc.device_name().startswith("cuda (")

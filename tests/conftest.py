import pytest
import torch
from hypothesis import HealthCheck, settings

settings.register_profile(
    "chanconv", deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("chanconv")

CUDA = torch.cuda.is_available()
cuda_only = pytest.mark.skipif(not CUDA, reason="no CUDA device here (torch sees none); runs on a GPU machine")


@pytest.fixture(autouse=True)
def _seed_and_clean_env(monkeypatch):
    torch.manual_seed(0)
    monkeypatch.delenv("CHANCONV_DEVICE", raising=False)
    yield


def devices():
    """CPU always; CUDA where it exists (otherwise the parameter is skipped with the reason)."""
    return ["cpu", pytest.param("cuda", marks=cuda_only)]


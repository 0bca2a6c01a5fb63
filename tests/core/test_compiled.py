"""The compiled rung: correct against torch's conv2d where it is built, absent (never an error) where it cannot be."""

import os
import subprocess
import sys
import textwrap

import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chanconv
from chanconv.core.methods import ABSENT, compiled

needs_compiled = pytest.mark.skipif(
    "compiled" not in chanconv.METHODS, reason=f"compiled rung absent here: {ABSENT.get('compiled')}"
)



@needs_compiled
def test_the_lecture_example_gives_the_lecture_numbers(built):
    from chanconv.course.data import lecture_K, lecture_X

    K = torch.stack((lecture_K(), lecture_K() + 1, lecture_K() + 2), 0)
    Y = chanconv.conv2d(lecture_X(), K, method="compiled")
    assert Y.tolist() == [[[56.0, 72.0], [104.0, 120.0]], [[76.0, 100.0], [148.0, 172.0]],
                          [[96.0, 128.0], [192.0, 224.0]]]


def _case(draw):
    groups = draw(st.sampled_from([1, 1, 1, 2, 3]))
    c_i = groups * draw(st.integers(1, 4))
    c_o = groups * draw(st.integers(1, 4))
    k_h, k_w = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    s_h, s_w = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    d_h, d_w = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    p_h, p_w = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    n_h = draw(st.integers(max(1, d_h * (k_h - 1) + 1 - 2 * p_h), 20))
    n_w = draw(st.integers(max(1, d_w * (k_w - 1) + 1 - 2 * p_w), 20))
    batch = draw(st.integers(1, 3))
    return batch, c_i, c_o, n_h, n_w, k_h, k_w, (s_h, s_w), (p_h, p_w), (d_h, d_w), groups


@needs_compiled
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_equals_torch_for_any_shape_stride_padding_dilation_and_groups(built, data):
    batch, c_i, c_o, n_h, n_w, k_h, k_w, s, p, d, g = _case(data.draw)
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(batch, c_i, n_h, n_w, generator=gen)
    W = torch.randn(c_o, c_i // g, k_h, k_w, generator=gen)
    b = data.draw(st.sampled_from([None, torch.randn(c_o, generator=gen)]))
    Y = chanconv.conv2d(X, W, b, s, p, d, g, method="compiled")
    ref = F.conv2d(X, W, b, s, p, d, g)
    assert Y.shape == ref.shape
    torch.testing.assert_close(Y, ref, rtol=1e-5, atol=1e-5)


@needs_compiled
@pytest.mark.parametrize("shape", [
    # (batch, c_i, c_o, n, k, stride, padding, dilation, groups): every path of the C++ code
    (1, 100, 100, 68, 5, 1, 0, 1, 1),     # the lecture's layer: chunks of the column matrix, BLAS
    (2, 64, 64, 32, 3, 1, 1, 1, 1),       # batch
    (1, 64, 128, 56, 3, 2, 1, 1, 1),      # stride 2, read straight from X
    (1, 3, 64, 112, 7, 2, 3, 1, 1),       # a first layer: c_i = 3, 7×7, stride 2
    (1, 64, 64, 32, 3, 2, 2, 2, 1),       # dilation
    (2, 64, 256, 28, 1, 1, 0, 1, 1),      # 1×1 at stride 1: X multiplied in place
    (1, 64, 64, 28, 1, 2, 1, 1, 1),       # 1×1 with stride and padding: the gather
    (2, 64, 64, 56, 3, 1, 1, 1, 64),      # depthwise
    (1, 32, 64, 16, 3, 1, 1, 1, 4),       # groups, each one product
    (1, 3, 8, 16, 3, 1, 1, 1, 1),         # tiny: plain loops
    (1, 2, 3, 3, 2, 1, 0, 1, 1),          # the lecture's 2 -> 3 example
])
def test_equals_torch_on_the_benchmark_paths(built, shape):
    batch, c_i, c_o, n, k, s, p, d, g = shape
    gen = torch.Generator().manual_seed(1)
    X = torch.randn(batch, c_i, n, n, generator=gen)
    W = torch.randn(c_o, c_i // g, k, k, generator=gen) / (c_i // g * k * k) ** 0.5
    b = torch.randn(c_o, generator=gen)
    torch.testing.assert_close(chanconv.conv2d(X, W, b, s, p, d, g, method="compiled"),
                               F.conv2d(X, W, b, s, p, d, g), rtol=1e-4, atol=1e-5)


@needs_compiled
def test_float64_padding_same_and_gradients(built):
    gen = torch.Generator().manual_seed(2)
    X = torch.randn(2, 4, 9, 8, dtype=torch.float64, generator=gen, requires_grad=True)
    W = torch.randn(6, 4, 4, 3, dtype=torch.float64, generator=gen, requires_grad=True)
    Y = chanconv.conv2d(X, W, padding="same", method="compiled")
    ref = F.conv2d(X, W, padding="same")
    assert Y.dtype == torch.float64
    torch.testing.assert_close(Y, ref)
    gX, gW = torch.autograd.grad(Y.square().sum(), (X, W))
    rX, rW = torch.autograd.grad(ref.square().sum(), (X, W))
    torch.testing.assert_close(gX, rX)
    torch.testing.assert_close(gW, rW)


@needs_compiled
def test_non_contiguous_input(built):
    X = torch.randn(1, 5, 12, 12).transpose(2, 3)
    W = torch.randn(4, 5, 3, 3)
    torch.testing.assert_close(chanconv.conv2d(X, W, padding=1, method="compiled"), F.conv2d(X, W, padding=1),
                               rtol=1e-5, atol=1e-5)


@needs_compiled
def test_build_time_is_reported_apart(built):
    assert compiled.loaded()
    assert compiled.build_seconds() is not None and compiled.build_seconds() >= 0


def test_absent_without_a_compiler_and_nothing_fails_at_import(tmp_path):
    """With no C++ compiler: importing chanconv works, "compiled" is not in METHODS, the reason is one line,
    asking for it by name is a ValueError naming the reason, and every other method still works."""
    code = textwrap.dedent("""
        import torch, chanconv
        from chanconv.core.methods import ABSENT
        assert "compiled" not in chanconv.METHODS, chanconv.METHODS
        reason = ABSENT["compiled"]
        assert "\\n" not in reason and "compiler" in reason, reason
        try:
            chanconv.conv2d(torch.ones(1, 3, 3), torch.ones(1, 1, 2, 2), method="compiled")
        except ValueError as exc:
            assert "not available here" in str(exc) and reason in str(exc), exc
        else:
            raise AssertionError("method='compiled' without a compiler did not raise")
        Y = chanconv.conv2d(torch.ones(1, 3, 3), torch.ones(1, 1, 2, 2))
        assert Y.tolist() == [[[4.0, 4.0], [4.0, 4.0]]]
        print("ok", reason)
    """)
    env = dict(os.environ, CXX=str(tmp_path / "no-such-compiler"))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ok no C++ compiler")


def test_a_failing_build_is_one_clear_error(monkeypatch):
    """A compiler that is there but fails: load() raises RuntimeError saying so; no traceback from deep inside."""
    import torch.utils.cpp_extension as ext

    def broken(**kwargs):
        raise RuntimeError("Error building extension 'x'\nc++: fatal error: killed")

    monkeypatch.setattr(compiled, "_module", None)
    monkeypatch.setattr(compiled, "_error", None)
    monkeypatch.setattr(compiled, "REASON", None)
    monkeypatch.setattr(ext, "load", broken)
    with pytest.raises(RuntimeError, match="building conv_fused.cpp failed: c\\+\\+: fatal error: killed"):
        compiled.load()
    assert not compiled.loaded()
    assert "failed to build: building conv_fused.cpp failed" in compiled.prepare("cpu")


def test_refuses_cuda_tensors_with_a_message():
    if "compiled" not in chanconv.METHODS or not torch.cuda.is_available():
        pytest.skip("needs the compiled rung and a CUDA GPU")
    X = torch.ones(1, 1, 3, 3, device="cuda")
    with pytest.raises(ValueError, match="runs on the CPU"):
        chanconv.conv2d(X, torch.ones(1, 1, 2, 2, device="cuda"), method="compiled")


def test_bench_leaves_out_a_rung_that_fails_to_build(monkeypatch):
    """Where a compiler is found but the build fails (say, no OpenMP), make bench times every other method."""
    from chanconv.perf import bench

    if "compiled" not in chanconv.METHODS:
        pytest.skip(f"compiled rung absent here: {ABSENT.get('compiled')}")
    monkeypatch.setattr(compiled, "_module", None)
    monkeypatch.setattr(compiled, "_error", "building conv_fused.cpp failed: clang: unsupported option '-fopenmp'")
    rows = bench.run([bench.Shape("t", 2, 3, 2, 5)], "cpu", repeat=1, progress=False, min_seconds=0, rounds=1,
                     methods=("im2col", "compiled"))
    assert {r["method"] for r in rows} == {"torch", "im2col"}
    assert "failed" in compiled.prepare("cpu")

"""The exercise checkers: right answers pass, wrong ones get a levelled hint that gives nothing away,
variants change the numbers, and hostile answers end in a verdict, not a traceback."""

import sys
from pathlib import Path

import jupytext
import pytest
import torch
import torch.nn.functional as F

import chanconv as cc
from chanconv import exercises as ex
from chanconv.exercises import checkers

SOURCE = Path(__file__).resolve().parents[2] / "instructor" / "07_exercises.py"


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    monkeypatch.delenv("CHANCONV_STUDENT", raising=False)
    ex.set_student(None)
    ex.reset()
    yield
    ex.set_student(None)
    ex.reset()


def run(capsys, check, *args):
    v = check(*args)
    return v, capsys.readouterr().out.strip()


# the model answers, written independently of the notebook -------------------------------------
def out_size(n, k, p, s):
    return (n + 2 * p - k) // s + 1


def fwd(c_i, c_o, h, w, k_h, k_w, p_h, p_w, s_h, s_w):
    return c_o * out_size(h, k_h, p_h, s_h) * out_size(w, k_w, p_w, s_w) * c_i * k_h * k_w


def n_out(c_i, c_o, h, w, k_h, k_w, p_h, p_w, s_h, s_w):
    return c_o * out_size(h, k_h, p_h, s_h) * out_size(w, k_w, p_w, s_w)


def mem(*a):
    c_i, c_o, h, w, k_h, k_w = a[:6]
    return c_i * h * w + c_o * c_i * k_h * k_w + c_o + n_out(*a)


def bwd(*a):
    return 2 * fwd(*a)


def bmem(*a):
    return 2 * mem(*a)


def im2row(X, K, stride, padding):
    (s_h, s_w), (p_h, p_w) = stride, padding
    c_o, c_i, k_h, k_w = K.shape
    cols = F.unfold(X, (k_h, k_w), padding=(p_h, p_w), stride=(s_h, s_w))  # (batch, c_i k_h k_w, m_h m_w)
    m_h = (X.shape[2] + 2 * p_h - k_h) // s_h + 1
    m_w = (X.shape[3] + 2 * p_w - k_w) // s_w + 1
    return (K.reshape(c_o, -1) @ cols).reshape(X.shape[0], c_o, m_h, m_w)


def split4(K):
    K = torch.as_tensor(K, dtype=torch.float64)
    K1, K2 = torch.zeros(4, 1, 2, 2, dtype=torch.float64), torch.zeros(1, 4, 2, 2, dtype=torch.float64)
    for s in range(3):
        for t in range(3):
            u, v = min(s, 1), min(t, 1)
            K1[2 * u + v, 0, s - u, t - v] = K[s, t]
    for m, (u, v) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        K2[0, m, u, v] = 1.0
    return K1, K2


def grouped_answers(c, k, groups):
    grouped = c * (c // groups) * k * k + c
    separable = (c * k * k + c) + (c * c + c)

    def sep(X, Wd, bd, Wp, bp):
        return cc.conv2d(cc.conv2d(X, Wd, bd, padding=k // 2, groups=c), Wp, bp)

    return grouped, separable, sep


def factors(c, k, n, p):
    return 4.0, ((n + 4 * p - k + 1) / (n + 2 * p - k + 1)) ** 2


# compose_kernels and least squares ---------------------------------------------------------------
def test_compose_kernels_is_one_convolution():
    g = torch.Generator().manual_seed(0)
    K1, K2 = torch.randn(3, 2, 3, 2, generator=g), torch.randn(4, 3, 2, 4, generator=g)
    X = torch.randn(2, 9, 10, generator=g)
    two = cc.conv2d(cc.conv2d(X, K1), K2)
    torch.testing.assert_close(cc.conv2d(X, ex.compose_kernels(K1, K2)), two, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("c_m", [1, 2, 4])
def test_least_squares_returns_layers_that_compose_to_the_kernel(c_m):
    g = torch.Generator().manual_seed(c_m)
    K1, K2 = torch.randn(c_m, 1, 2, 2, generator=g, dtype=torch.float64), torch.randn(1, c_m, 2, 2, generator=g,
                                                                                      dtype=torch.float64)
    K = ex.compose_kernels(K1, K2)[0, 0]
    r, A, B = ex.express_3x3(K, c_m)
    assert r < 1e-9
    torch.testing.assert_close(ex.compose_kernels(A, B)[0, 0], K)


def test_one_middle_channel_cannot_make_the_corner_kernel_but_two_and_four_can():
    corners = torch.tensor([[1.0, 0, 0], [0, 0, 0], [0, 0, 1]])
    assert ex.express_3x3(corners, 1)[0] > 0.5
    assert ex.express_3x3(corners, 2)[0] < 1e-9
    assert ex.express_3x3(corners, 4)[0] < 1e-12


# right and wrong, per exercise -------------------------------------------------------------------
RIGHT = [
    (ex.check_combined_kernel_size, (lambda k1, k2: k1 + k2 - 1,)),
    (ex.check_converse, (1, torch.tensor([[1.0, 0, 0], [0, 0, 0], [0, 0, 1]]), None)),
    (ex.check_converse, (1, [[0.3, -1.2, 0.5], [2.0, 0.1, -0.7], [1.1, 0.4, -2.2]], None)),
    (ex.check_converse, (4, None, split4)),
    (ex.check_converse, (2, None, lambda K: ex.express_3x3(K, 2)[1:])),
    (ex.check_forward_backward, (fwd, mem, bwd, bmem)),
    (ex.check_cost_factors, (4, (34 / 32) ** 2)),
    (ex.check_cost_factors, (torch.tensor(4.0), 1.12890625)),
    (ex.check_exactly_equal, (torch.rand(64, 3, 3, generator=torch.Generator().manual_seed(4)),
                              torch.rand(8, 64, 1, 1, generator=torch.Generator().manual_seed(5)))),
    (ex.check_conv_as_matmul, (im2row,)),
    (ex.check_strip_reads, (lambda k, d: k * (k + d - 1) / d,)),  # Δ windows side by side span k + Δ − 1
    (ex.check_block_diagonal, (lambda c, b: b,)),
    (ex.check_grouped, grouped_answers(64, 3, 4)),
]


@pytest.mark.parametrize("check, args", RIGHT, ids=[f"{c.__name__}-{i}" for i, (c, _) in enumerate(RIGHT)])
def test_right_answers_pass(capsys, check, args):
    v, out = run(capsys, check, *args)
    assert v.status == ex.RIGHT and out.startswith("✓ right"), out
    assert ex.results()[v.exercise] == v


def loops_per_pixel(X, K, stride, padding):  # correct values, plain loops: no matrix product
    Xp = F.pad(X, (padding[1], padding[1], padding[0], padding[0]))
    k_h, k_w = K.shape[2:]
    m_h, m_w = (Xp.shape[2] - k_h) // stride[0] + 1, (Xp.shape[3] - k_w) // stride[1] + 1
    Y = torch.zeros(X.shape[0], K.shape[0], m_h, m_w)
    for i in range(Y.shape[2]):
        for j in range(Y.shape[3]):
            r, c = i * stride[0], j * stride[1]
            win = Xp[:, None, :, r:r + k_h, c:c + k_w]
            Y[:, :, i, j] = (win * K[None]).sum(dim=(2, 3, 4))
    return Y


def matmul_per_sample(X, K, stride, padding):
    return torch.cat([im2row(x[None], K, stride, padding) for x in X])


def broadcast_multiply(X, K, stride, padding):  # windows gathered, but the multiply-adds elementwise
    c_o = K.shape[0]
    cols = F.unfold(X, K.shape[2:], padding=padding, stride=stride)  # (b, c_i k k, L)
    Y = (cols[:, None] * K.reshape(1, c_o, -1, 1)).sum(2)
    m_h = (X.shape[2] + 2 * padding[0] - K.shape[2]) // stride[0] + 1
    return Y.reshape(X.shape[0], c_o, m_h, -1)


WRONG = [
    (ex.check_combined_kernel_size, (lambda k1, k2: k1 + k2,), "try k1"),
    (ex.check_combined_kernel_size, (lambda k1, k2: k1 * k2,), "try k1"),
    (ex.check_converse, (1, torch.outer(torch.tensor([1.0, 2, 1]), torch.tensor([1.0, -3, 2])), None),
     "not a counterexample"),  # a separable kernel whose factors split further: expressible
    (ex.check_converse, (4, torch.tensor([[1.0, 0, 0], [0, 0, 0], [0, 0, 1]]), None), "not a counterexample"),
    (ex.check_converse, (1, None, split4), "should return K1 of shape (1, 1, 2, 2)"),
    (ex.check_converse, (4, None, lambda K: (torch.zeros(4, 1, 2, 2), torch.zeros(1, 4, 2, 2))), "do not give"),
    (ex.check_converse, (True, torch.zeros(3, 3), None), "an int ≥ 1"),
    (ex.check_converse, (1, torch.zeros(3, 3), None), "zero kernel"),
    (ex.check_converse, (1, torch.ones(3, 3), split4), "OR"),
    (ex.check_forward_backward, (lambda *a: 2 * fwd(*a), mem, bwd, bmem), "FLOPs"),
    (ex.check_forward_backward, (lambda c_i, c_o, h, w, k_h, k_w, *r: c_o * (h - k_h + 1) * (w - k_w + 1) * c_i * k_h * k_w,
                                 mem, bwd, bmem), "forward_macs"),
    (ex.check_forward_backward, (fwd, lambda *a: mem(*a) - a[1], bwd, bmem), "one more kind of parameter"),
    (ex.check_forward_backward, (fwd, mem, fwd, bmem), "backward_macs"),
    (ex.check_forward_backward, (fwd, mem, lambda *a: 4 * fwd(*a), bmem), "FLOPs"),
    (ex.check_forward_backward, (fwd, mem, bwd, lambda *a: 2 * mem(*a) - a[1]), "the bias has a gradient"),
    (ex.check_forward_backward, (fwd, mem, bwd, mem), "backward_memory"),
    (ex.check_forward_backward, (lambda *a: fwd(*a) / 2 + n_out(*a), mem, bwd, bmem), "forward_macs"),
    (ex.check_forward_backward, (lambda *a: fwd(*a) + n_out(*a), mem, lambda *a: 2 * (fwd(*a) + n_out(*a)), bmem),
     "doubling a forward count that holds the bias additions"),
    (ex.check_forward_backward, (lambda *a: 2 * fwd(*a) + n_out(*a), mem, bwd, bmem), "FLOPs"),
    (ex.check_cost_factors, (2, (34 / 32) ** 2), "channels"),
    (ex.check_cost_factors, (4, 34 / 32), "along one side"),
    (ex.check_cost_factors, (4, 1.0), "padding"),
    (ex.check_cost_factors, ("four", 1.13), "should be a number"),
    (ex.check_exactly_equal, (torch.arange(6.0).reshape(2, 1, 3), torch.ones(2, 2, 1, 1)), "exactly equal"),
    (ex.check_exactly_equal, (torch.full((2, 2, 2), float("nan")), torch.ones(1, 2, 1, 1)), "finite"),
    (ex.check_exactly_equal, (torch.rand(3, 4, 4), torch.rand(2, 3, 3, 3)), "(c_o, c_i, 1, 1)"),
    (ex.check_exactly_equal, (torch.rand(64, 3, 3, dtype=torch.float64), torch.rand(8, 64, 1, 1, dtype=torch.float64)),
     "float32"),
    (ex.check_conv_as_matmul, (lambda X, K, s, p: F.conv2d(X, K, stride=s, padding=p),), "calls a convolution"),
    (ex.check_conv_as_matmul, (lambda X, K, s, p: torch.conv2d(X, K, None, s, p),), "calls a convolution"),
    (ex.check_conv_as_matmul, (lambda X, K, s, p: cc.conv2d(X, K, stride=s, padding=p, method="im2col"),),
     "chanconv's convolution code"),
    (ex.check_conv_as_matmul, (loops_per_pixel,), "no matrix product"),
    (ex.check_conv_as_matmul, (matmul_per_sample,), "matrix products were called"),
    (ex.check_conv_as_matmul, (broadcast_multiply,), "no matrix product"),
    (ex.check_conv_as_matmul, (lambda *a: (torch.ones(1, 1) @ torch.ones(1, 1)) * broadcast_multiply(*a),),
     "elementwise arithmetic"),  # a token product does not hide the elementwise multiply-adds
    (ex.check_conv_as_matmul, (lambda X, K, s, p: im2row(X, K, (1, 1), (0, 0)),), "shape"),
    (ex.check_conv_as_matmul, (lambda X, K, s, p: im2row(X, K.flip(-1, -2), s, p),), "wrong values"),
    (ex.check_strip_reads, (lambda k, d: k * k,), "k = 3, Δ = 2"),  # right only at Δ = 1: no reuse
    (ex.check_strip_reads, (lambda k, d: k * (k + d) / d,), "how many columns"),  # a strip one column too wide
    (ex.check_strip_reads, (lambda k, d: (k + d - 1) / d,), "k = 3, Δ = 1"),  # one row of the strip
    (ex.check_strip_reads, (lambda k, d: "many",), "k = 3"),
    (ex.check_block_diagonal, (lambda c, b: b * b,), "c = 8, b = 2"),
    (ex.check_grouped, (64 * 64 * 9 + 64, *grouped_answers(64, 3, 4)[1:]), "that is the full layer"),
    (ex.check_grouped, (64 * 16 * 9, *grouped_answers(64, 3, 4)[1:]), "bias included"),
    (ex.check_grouped, (grouped_answers(64, 3, 4)[0], grouped_answers(64, 3, 4)[1] + 64,
                        grouped_answers(64, 3, 4)[2]), "separable_params"),
    (ex.check_grouped, (*grouped_answers(64, 3, 4)[:2], lambda X, Wd, bd, Wp, bp: cc.conv2d(X, Wp, bp)), "depthwise"),
    (ex.check_grouped, (*grouped_answers(64, 3, 4)[:2],  # no padding: the output shrinks
                        lambda X, Wd, bd, Wp, bp: cc.conv2d(cc.conv2d(X, Wd, bd, groups=X.shape[1]), Wp, bp)),
     "(batch, c, n_h, n_w)"),
]


@pytest.mark.parametrize("check, args, hint", WRONG, ids=[f"{c.__name__}-{i}" for i, (c, _, _) in enumerate(WRONG)])
def test_wrong_answers_get_a_hint(capsys, check, args, hint):
    v, out = run(capsys, check, *args)
    assert v.status == ex.NOT_YET and out.startswith("✗ not yet:"), out
    assert hint in out


# variants of right answers ---------------------------------------------------------------------
def test_the_bias_gradient_and_the_incoming_gradient_may_be_counted_or_not(capsys):
    v, out = run(capsys, ex.check_forward_backward, fwd, mem, lambda *a: bwd(*a) + n_out(*a), bmem)
    assert v and "bias gradient" in out
    v, out = run(capsys, ex.check_forward_backward, fwd, mem, bwd, lambda *a: bmem(*a) - n_out(*a))
    assert v and "left out the incoming gradient" in out


def test_the_bias_additions_may_be_counted_in_the_forward_pass(capsys):
    """Issue 20: a forward count with one addition per output value for the bias is right too,
    with a backward pass that adds the bias gradient's additions once."""
    v, out = run(capsys, ex.check_forward_backward, lambda *a: fwd(*a) + n_out(*a), mem,
                 lambda *a: bwd(*a) + n_out(*a), bmem)
    assert v and "bias additions" in out, out


def cost_of(*a):
    c_i, c_o, n_h, n_w, k_h, k_w, p_h, p_w, s_h, s_w = a
    return cc.conv2d_cost(c_i, c_o, k_h, k_w, n_h, n_w, stride=(s_h, s_w), padding=(p_h, p_w))


def test_counts_that_call_conv2d_cost_are_right_as_the_setup_cell_offers(capsys):
    """Issue 20: the setup cell offers chanconv.conv2d_cost; a correct function that calls it passes."""
    def f_macs(*a):
        return cost_of(*a).macs

    def f_mem(*a):
        c = cost_of(*a)
        return a[0] * a[2] * a[3] + c.params + c.out_shape[0] * c.out_shape[1] * c.out_shape[2]

    v, out = run(capsys, ex.check_forward_backward, f_macs, f_mem, lambda *a: 2 * f_macs(*a), lambda *a: 2 * f_mem(*a))
    assert v, out


def test_floats_equal_to_the_count_pass_and_true_division_does_not(capsys):
    assert run(capsys, ex.check_forward_backward, lambda *a: float(fwd(*a)), mem, bwd, bmem)[0]

    def true_division(c_i, c_o, h, w, k_h, k_w, p_h, p_w, s_h, s_w):  # the output size with / instead of //
        return c_o * ((h + 2 * p_h - k_h) / s_h + 1) * ((w + 2 * p_w - k_w) / s_w + 1) * c_i * k_h * k_w

    v, out = run(capsys, ex.check_forward_backward, true_division, mem, bwd, bmem)
    assert not v and "forward_macs" in out


# hints: levelled, and none states the answer ------------------------------------------------------
def test_hints_come_in_levels(capsys):
    outs = [run(capsys, ex.check_strip_reads, lambda k, d: k * k)[1] for _ in range(4)]
    assert outs[0] != outs[1] != outs[2]
    assert outs[2] == outs[3]  # the last level repeats
    assert "next hint" in outs[0] and "next hint" not in outs[2]


def test_hint_levels_count_per_part_not_per_exercise(capsys):
    """Issue 20: three wrong tries of forward_macs, then forward_macs fixed and forward_memory wrong:
    the memory hint starts at its first level (a nudge), not at the third."""
    wrong_fwd = lambda *a: 0  # noqa: E731
    firsts = [run(capsys, ex.check_forward_backward, wrong_fwd, mem, bwd, bmem)[1] for _ in range(3)]
    assert len(set(firsts)) == 3
    memory = run(capsys, ex.check_forward_backward, fwd, lambda *a: 1, bwd, bmem)[1]
    assert "count the numbers in X, in W and b, and in Y" in memory, memory
    again = run(capsys, ex.check_forward_backward, fwd, lambda *a: 1, bwd, bmem)[1]
    assert "X is the unpadded input" in again
    # exercise 3: the channel part's level does not advance the padding part's
    for _ in range(2):
        run(capsys, ex.check_cost_factors, 2, 1.0)
    assert "which factors of the cost does the padding change" in run(capsys, ex.check_cost_factors, 4, 1.0)[1]


def test_a_rounded_padding_factor_is_told_it_is_close(capsys):
    v, out = run(capsys, ex.check_cost_factors, 4, 1.1)
    assert not v and "rounded too much" in out and "0.1 %" in out
    assert run(capsys, ex.check_cost_factors, 4.0, 1.129)[0]


FORBIDDEN = ["k1 + k2", "k1+k2", "(k + Δ) / Δ", "k (k + Δ)", "(k + Δ − 1) / Δ", "k (k + Δ − 1)", "k + Δ − 1",
             "k·(k", "k * (k", "c²/b", "c^2/b", "twice", "2 ·", "2 *", "2·", "two times", "once in each",
             "appears once", "⌊", "is 4", "factor 4", "by 4", "1.13", "1.12", "(34", "34/32", "c_o · m_h",
             "as many multiply-adds as"]


@pytest.mark.parametrize("check, args, hint", WRONG, ids=[f"{c.__name__}-{i}" for i, (c, _, _) in enumerate(WRONG)])
def test_no_hint_level_states_the_formula_or_the_answer(capsys, check, args, hint):
    for _ in range(4):  # every level
        out = run(capsys, check, *args)[1]
        for phrase in FORBIDDEN:
            assert phrase not in out, (phrase, out)


def test_the_strip_checker_takes_k_times_k_plus_delta_minus_1_over_delta_only(capsys):
    """Exercise 6: a strip k high and k + Δ − 1 wide holds exactly Δ windows of k × k; per output it reads
    k (k + Δ − 1) / Δ values: k² at Δ = 1 (no reuse), towards k for large Δ."""
    def exact(k, d):  # count the strip's distinct values by marking the Δ windows
        cells = {(r, j + c) for j in range(d) for r in range(k) for c in range(k)}
        return len(cells) / d

    assert run(capsys, ex.check_strip_reads, exact)[0].status == ex.RIGHT
    assert run(capsys, ex.check_strip_reads, lambda k, d: k * (k + d - 1) / d)[0].status == ex.RIGHT
    for wrong_answer in (lambda k, d: k * (k + d) / d, lambda k, d: k * k, lambda k, d: k):
        assert run(capsys, ex.check_strip_reads, wrong_answer)[0].status == ex.NOT_YET


def backward_hints(capsys):
    return [run(capsys, ex.check_forward_backward, fwd, mem, fwd, bmem)[1] for _ in range(4)]


def test_the_backward_hints_ask_rather_than_tell(capsys):
    outs = backward_hints(capsys)
    assert "in which gradient sums does it reappear, and how often?" in outs[2]
    for out in outs:  # no level says how many times a product comes back
        assert not any(w in out for w in ("once", "twice", "two times", "2 ·", "2 *", "2·", "double", "as many")), out


def test_the_separable_blank_and_question_state_the_shapes_the_checker_passes():
    nb = jupytext.read(SOURCE, fmt="py:percent")
    blank = next(c.source for c in nb.cells if "exercise" in c.metadata.get("tags", []) and "separable =" in c.source)
    question = next(c.source for c in nb.cells if c.source.startswith("## Beyond the book (exercise 8)"))
    for text in (blank, question):
        words = " ".join(text.replace("\n#", "\n").replace("`", "").split())  # one line, code font off
        for shape in ("X (batch, c, n_h, n_w)", "Wd (c, 1, k, k)", "bd (c,)", "Wp (c, c, 1, 1)", "bp (c,)",
                      "Y (batch, c, n_h, n_w)", "k // 2"):
            assert shape in words, (shape, text)


# not answered ------------------------------------------------------------------------------------
BLANKS = [(e.check, len(e.names)) for e in ex.EXERCISES.values()]  # every exercise, however many there are


@pytest.mark.parametrize("check, n", BLANKS, ids=[c.__name__ for c, _ in BLANKS])
def test_blanks_are_not_answered_never_right(capsys, check, n):
    v, out = run(capsys, check, *[None] * n)
    assert v.status == ex.NOT_ANSWERED and not v
    assert out.startswith("… not answered yet") and "✓" not in out and "✗" not in out
    assert out.count("\n") == 0  # one line


def test_converse_with_the_case_but_no_evidence_is_not_answered(capsys):
    v, out = run(capsys, ex.check_converse, 1, None, None)
    assert v.status == ex.NOT_ANSWERED and "counterexample or split" in out


# hostile answers ----------------------------------------------------------------------------------
def test_a_function_that_loops_forever_is_stopped(capsys, monkeypatch):
    monkeypatch.setattr(checkers, "STUDENT_FN_SECONDS", 0.5)

    def forever(k, d):
        while True:
            pass

    v, out = run(capsys, ex.check_strip_reads, forever)
    assert v.status == ex.ERROR and "ran past" in v.message


def test_a_function_that_raises_is_an_error_with_its_reason(capsys):
    v, out = run(capsys, ex.check_conv_as_matmul, lambda X, K, s, p: 1 / 0)
    assert v.status == ex.ERROR and "ZeroDivisionError" in out


def test_verdicts_quote_no_student_text(capsys):
    """What a student's answer holds never appears in a verdict's words (only its kind)."""
    secret = "TOP-SECRET-" + "x" * 40
    for check, args in [(ex.check_converse, (secret, torch.eye(3), None)),
                        (ex.check_cost_factors, (secret, 1.0)),
                        (ex.check_converse, (1, [[secret]], None)),
                        (ex.check_conv_as_matmul, (lambda *a: secret,)),
                        (ex.check_grouped, (secret, secret, secret)),
                        (ex.check_exactly_equal, (secret, secret))]:
        v, out = run(capsys, check, *args)
        assert "TOP-SECRET" not in v.message and "TOP-SECRET" not in out, (check.__name__, out)


def test_in_a_graded_kernel_the_check_cells_leave_checking_to_the_grader(capsys, monkeypatch):
    monkeypatch.setenv("CHANCONV_GRADING", "1")
    v, out = run(capsys, ex.check_strip_reads, lambda k, d: k * (k + d - 1) / d)
    assert v.status == ex.NOT_ANSWERED and "checked by the grader" in out


def test_answers_that_pretend_to_be_numbers_do_not_pass(capsys):
    class Liar:
        def __eq__(self, other):
            return True

        def __float__(self):
            raise ValueError("no")

    assert not run(capsys, ex.check_strip_reads, lambda k, d: Liar())[0]
    assert not run(capsys, ex.check_cost_factors, Liar(), Liar())[0]
    assert not run(capsys, ex.check_cost_factors, True, True)[0]  # a bool is no number here
    assert not run(capsys, ex.check_cost_factors, float("nan"), float("inf"))[0]


def test_a_function_that_changes_its_inputs_does_not_change_the_reference(capsys):
    def destructive(X, K, stride, padding):
        Y = im2row(X, K, stride, padding)
        X.zero_()
        K.zero_()
        return Y

    assert run(capsys, ex.check_conv_as_matmul, destructive)[0].status == ex.RIGHT


# per-student variants -----------------------------------------------------------------------------
def test_the_default_variant_keeps_the_course_numbers():
    assert ex.numbers("3") == {"c": 64, "k": 3, "n": 32, "p": 1}
    assert ex.numbers("8") == {"c": 64, "k": 3, "groups": 4}
    assert "c_i = c_o = 64, 3 × 3 kernels, a 32 × 32 input, padding 1" in ex.describe_3()


def test_variants_differ_between_students_and_are_stable():
    seen = {tuple(ex.numbers("3", f"student{i}").values()) for i in range(20)}
    assert len(seen) >= 8
    assert ex.numbers("3", "alice") == ex.numbers("3", "alice")
    assert ex.numbers("8", "alice")["c"] % ex.numbers("8", "alice")["groups"] == 0
    with pytest.raises(ValueError, match="no per-student numbers"):
        ex.numbers("5")
    with pytest.raises(ValueError, match="non-empty string"):
        ex.set_student("")


def a_student_with_other_numbers():
    return next(f"s{i}" for i in range(100) if ex.numbers("3", f"s{i}") != ex.numbers("3", None)
                and ex.numbers("8", f"s{i}") != ex.numbers("8", None))


def test_checkers_use_the_students_variant(capsys):
    who = a_student_with_other_numbers()
    ex.set_student(who)
    assert ex.student() == who
    n3, n8 = ex.numbers("3"), ex.numbers("8")
    assert run(capsys, ex.check_cost_factors, *factors(**n3))[0]
    assert run(capsys, ex.check_grouped, *grouped_answers(**n8))[0]
    if factors(**n3) != factors(**ex.numbers("3", "")):
        assert not run(capsys, ex.check_cost_factors, 4, (34 / 32) ** 2)[0]  # the default's answer
    assert not run(capsys, ex.check_grouped, *grouped_answers(64, 3, 4))[0]
    ex.set_student(None)
    assert run(capsys, ex.check_grouped, *grouped_answers(64, 3, 4))[0]


def test_the_environment_variable_picks_the_variant(monkeypatch):
    who = a_student_with_other_numbers()
    monkeypatch.setenv("CHANCONV_STUDENT", who)
    assert ex.student() == who and ex.numbers("8") == ex.numbers("8", who)
    ex.set_student("someone else")  # an explicit call wins
    assert ex.student() == "someone else"


# the model solutions of the one source pass their checkers ----------------------------------------
def test_every_model_solution_passes_its_checker(capsys):
    nb = jupytext.read(SOURCE, fmt="py:percent")
    ns = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and "exercise" not in cell.metadata.get("tags", []):
            exec(compile(cell.source, str(SOURCE), "exec"), ns)
    capsys.readouterr()
    rows = ex.grade(ns)
    assert [r["exercise"] for r in rows] == list(ex.EXERCISES)
    assert len(rows) == len(ex.EXERCISES) >= 9
    assert all(r["status"] == ex.RIGHT for r in rows), rows


def test_grade_on_an_empty_namespace_is_all_not_answered():
    rows = ex.grade({})
    assert {r["status"] for r in rows} == {ex.NOT_ANSWERED}


def test_grade_fixes_the_variant(capsys):
    who = a_student_with_other_numbers()
    ns = dict(zip(("grouped_params", "separable_params", "separable"), grouped_answers(64, 3, 4)))
    assert {r["exercise"]: r["status"] for r in ex.grade(ns, student_id=None)}["8"] == ex.RIGHT
    assert {r["exercise"]: r["status"] for r in ex.grade(ns, student_id=who)}["8"] == ex.NOT_YET
    assert capsys.readouterr().out == ""  # grading prints nothing


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))

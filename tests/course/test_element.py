"""The written-out sum: its numbers come from the tensors and add up to the output element."""

import torch
from hypothesis import given
from hypothesis import strategies as st

import chanconv as cc
from chanconv.course.data import lecture_K, lecture_X
from chanconv.course.element import element_terms, format_number


def test_the_lectures_sum():
    terms = element_terms(lecture_X(), lecture_K())
    assert terms.text(channels=(1, 0)) == "(1×1 + 2×2 + 4×3 + 5×4) + (0×0 + 1×1 + 3×2 + 4×3) = 56"
    assert terms.partial_sums == (19.0, 37.0)


def test_format_number():
    assert format_number(3.0) == "3" and format_number(-2) == "(-2)" and format_number(-2, paren=False) == "-2"
    assert format_number(0.123456) == "0.123"


@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(0, 1), st.integers(1, 2),
       st.booleans(), st.integers(0, 10_000))
def test_terms_add_up_to_the_output_element(c_i, c_o, k, padding, stride, bias, seed):
    g = torch.Generator().manual_seed(seed)
    X = torch.randint(-3, 4, (c_i, 5, 6), generator=g).float()
    W = torch.randint(-3, 4, (c_o, c_i, k, k), generator=g).float()
    b = torch.randint(-3, 4, (c_o,), generator=g).float() if bias else None
    Y = cc.conv2d(X, W, b, stride=stride, padding=padding, method="torch")
    for o in range(c_o):
        for i in range(Y.shape[1]):
            for j in range(Y.shape[2]):
                t = element_terms(X, W, o, i, j, bias=b, stride=stride, padding=padding)
                assert t.value == float(Y[o, i, j])
                # evaluating the written sum gives the element too
                expr = t.text().split(" = ")[0].replace("×", "*")
                assert eval(expr) == float(Y[o, i, j])  # noqa: S307 - digits, + * ( ) only

"""The notebooks as stored: text pairs in sync, outputs from one clean run, slides metadata.

nbval (in `make test`) re-executes them and compares the stored outputs; these tests check
what nbval cannot: that the stored outputs are complete and that the .py pair is current.
"""

import json
import re
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parents[1]
# the English notebooks and the Chinese edition (notebooks/zh/, `make zh`): each with its .py pair, one clean run
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "notebooks" / "zh").glob("*.ipynb"))
IDS = [str(p.relative_to(ROOT / "notebooks").with_suffix("")) for p in NOTEBOOKS]
HEADER_TAGS = {"colab-setup", "language"}  # the Colab cell and a translation's language cell: skipped in slides


def test_there_are_notebooks():
    assert any(p.stem.startswith("01_") for p in NOTEBOOKS)


def test_every_notebook_is_there_in_both_languages():
    english = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert sorted(p.name for p in (ROOT / "notebooks" / "zh").glob("*.ipynb")) == english, "run `make zh`"
    assert sorted(p.name for p in (ROOT / "notebooks" / "zh").glob("*.py")) == [n.replace(".ipynb", ".py") for n in english]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_text_pair_is_in_sync(path):
    pair = path.with_suffix(".py")
    assert pair.exists(), f"{pair.name} missing: run `make sync`"
    expected = jupytext.writes(jupytext.read(path), fmt="py:percent")
    assert pair.read_text(encoding="utf-8") == expected, f"{pair.name} and {path.name} differ: run `make sync`"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_outputs_come_from_one_clean_run(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "python3", "the standard kernel (make header)"
    code = [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), "re-execute with `make notebooks`"
    for c in code:
        for out in c["outputs"]:
            assert out["output_type"] != "error" or "NBVAL_RAISES_EXCEPTION" in "".join(c["source"])
            assert not re.search(r"/(work|tmp|root|home)/[\w.-]+/", json.dumps(out)), "a local path in an output"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_slideshow_metadata(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = [c for c in nb["cells"] if not HEADER_TAGS & set(c.get("metadata", {}).get("tags", []))]
    types = [c.get("metadata", {}).get("slideshow", {}).get("slide_type") for c in cells]
    assert types[0] == "slide", "the first cell (after the Colab cell, skipped in slides) opens a slide"
    assert types.count("slide") >= 2


def compared_text():
    """The text outputs nbval compares (cells not tagged nbval-ignore-output), all notebooks."""
    out = []
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text(encoding="utf-8"))
        for c in nb["cells"]:
            if c["cell_type"] != "code" or "nbval-ignore-output" in c.get("metadata", {}).get("tags", []):
                continue
            for o in c["outputs"]:
                out.append("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", "")))
    return "\n".join(out)


@pytest.mark.parametrize(
    "printed",
    [
        "[[ 56.,  72.],\n        [104., 120.]]",  # corr2d_multi_in
        "[[ 76., 100.],\n         [148., 172.]]",  # K + 1
        "[[ 96., 128.],\n         [192., 224.]]",  # K + 2
        "K: (3, 2, 2, 2)",
        "X: (2, 3, 3)",
        "(1×1 + 2×2 + 4×3 + 5×4) + (0×0 + 1×1 + 3×2 + 4×3) = 56",
        "‖Y1 - Y2‖ < 1e-6: True",
        "MACs  = 100·100·5·5·64·64 = 1,024,000,000",
        "FLOPs = 2 · MACs          = 2,048,000,000",
        "params 250,100",
        "torch.nn.Conv2d(256, 64, 1) has 16448 parameters",
        "work: 1.024e+16 MACs = 2.048e+16 FLOPs (forward pass only)",
        "CPU at  0.15 TFLOP/s:  37.9 h",
        "GPU at 12.00 TFLOP/s:   0.5 h =    28.4 min",
        "slide's rounding, CPU: 1e16 / 0.15e12 =  18.5 h",
        "the partial maps add up to Y[3]: True",
        "back to (c_o, m_h, m_w): (3, 2, 2)  equals Y: True",
        "a reshape instead of the transpose gives the same Y: False",
        "two 1×1 layers = one 1×1 layer with the product of their matrices: True",
        "W: (4, 3, 3, 3)  b: (4,)",
    ],
)
def test_every_number_the_lecture_prints_is_a_compared_output(printed):
    assert printed in compared_text()

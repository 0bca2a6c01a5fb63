"""The notebooks as stored: text pairs in sync, outputs from one clean run, slides metadata.

nbval (in `make test`) re-executes them and compares the stored outputs; these tests check
what nbval cannot: that the stored outputs are complete and that the .py pair is current.
"""

import json
import re
from pathlib import Path

import jupytext
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
IDS = [p.stem for p in NOTEBOOKS]


def test_there_are_notebooks():
    assert any(p.stem.startswith("01_") for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_text_pair_is_in_sync(path):
    pair = path.with_suffix(".py")
    assert pair.exists(), f"{pair.name} missing: run `make sync`"
    expected = jupytext.writes(jupytext.read(path), fmt="py:percent")
    assert pair.read_text(encoding="utf-8") == expected, f"{pair.name} and {path.name} differ: run `make sync`"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_outputs_come_from_one_clean_run(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "chanconv"
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
    types = [c.get("metadata", {}).get("slideshow", {}).get("slide_type") for c in nb["cells"]]
    assert types[0] == "slide", "the first cell opens a slide"
    assert types.count("slide") >= 2

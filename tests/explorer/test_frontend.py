"""The browser side's own functions, run in Node against Python's: explorer.js reads the arrays Python sends
(decompressing them as a browser does) and writes the picked element's sum; it must say what
chanconv.course.element.Element says, for any layer and any element, without computing a convolution.

Needs Node.js (skipped with the reason where it is missing; it ships with the npm that `make slides` uses).
"""

import base64
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from chanconv.core.i18n import language
from chanconv.course.element import format_number
from chanconv.explorer.payload import encode, layer_info, partials_item, ui_strings
from chanconv.explorer.state import PRESETS, Settings, explore, partial_of

ROOT = Path(__file__).resolve().parents[2]
JS = ROOT / "chanconv" / "explorer" / "explorer.js"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="no Node.js here (apt-get install nodejs)")

# reads cases (JSON on stdin), answers one JSON line per case: decode every array, then write the sums
RUNNER = """
import { decodeItem, elementTexts, formatNumber } from %s;
let input = "";
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", async () => {
  const out = [];
  for (const c of JSON.parse(input)) {
    if (c.numbers) { out.push(c.numbers.map((v) => formatNumber(v))); continue; }
    const D = {};
    for (const [name, item] of Object.entries(c.items)) {
      if (item.data !== undefined) item.data = new DataView(Uint8Array.from(Buffer.from(item.data, "base64")).buffer);
      D[name] = await decodeItem(item);
    }
    const [o, u, v] = c.picked;
    out.push({ ...elementTexts(c.layer, D, o, u, v, c.projector, c.full_terms, c.strings),
               x: D.x && Array.from(D.x.data.slice(0, 50)) });
  }
  console.log(JSON.stringify(out));
});
"""


def run_js(cases: list) -> list:
    done = subprocess.run([NODE, "--input-type=module", "-e", RUNNER % json.dumps(JS.as_uri())],
                          input=json.dumps(cases), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def wire(item: dict) -> dict:
    return {k: base64.b64encode(v).decode() if k == "data" else v for k, v in item.items()}


def case(state, o=None, projector=False, full_terms=False, every_o=False):
    s = state.settings
    o = s.o if o is None else o
    if every_o:
        partials = partials_item(torch.stack([partial_of(state, q) for q in range(s.c_o)]), 0)
    else:
        partials = partials_item(state.partial[None], s.o)
    items = {"x": encode(state.X), "k": encode(state.K), "b": encode(state.b), "y": encode(state.Y), "p": partials}
    return {"layer": layer_info(state, p_all=every_o), "items": {k: wire(v) for k, v in items.items()},
            "picked": [o, s.u, s.v], "projector": projector, "full_terms": full_terms, "strings": ui_strings()}


def test_numbers_are_written_as_python_writes_them():
    rng = np.random.default_rng(0)
    numbers = [0.0, -0.0, 1.0, -2.0, 56.0, 1e15, 123456.0, 0.5, -0.333333, 0.42135, 1234.5, 1.23e-5, 99.95, 0.1,
               2 / 3, -1 / 9, 1e-4, 0.00012345, 1e20, -7.25e7]
    numbers += [float(np.float32(v)) for v in rng.normal(0, 10, 200) * rng.choice([1e-3, 1, 1e3], 200)]
    [written] = run_js([{"numbers": numbers}])
    assert written == [format_number(v) for v in numbers]


@settings(max_examples=12, deadline=None)
@given(c_i=st.integers(1, 4), c_o=st.integers(1, 4), k_h=st.integers(1, 4), k_w=st.integers(1, 4),
       stride=st.integers(1, 3), padding=st.integers(0, 3), n_h=st.integers(3, 12), n_w=st.integers(3, 12),
       groups=st.integers(1, 4), dilation=st.integers(1, 3), bias=st.booleans(), seed=st.integers(0, 50),
       preset=st.sampled_from(sorted(PRESETS.values())), o=st.integers(0, 3), u=st.integers(0, 12),
       v=st.integers(0, 12))
def test_the_written_sum_is_pythons_for_any_layer_and_element(**kw):
    """Integer tensors (random sources, integer presets): the browser's sums are Python's, character for character."""
    state = explore(Settings(source="random", **kw))
    if state.message or not all(torch.equal(t, t.round()) for t in (state.X, state.K)):
        return
    e = state.element
    cases = [case(state), case(state, every_o=True), case(state, projector=True), case(state, full_terms=True)]
    plain, every_o, projector, full = run_js(cases)
    assert plain["full"] == e.full_text() and plain["compact"] == e.compact_text()
    kept = e.n_terms - e.n_padding_terms
    assert plain["lines"][1] == e.compact_text()
    assert plain["lines"][-1] == (e.full_text() if kept <= 64 else
                                  f"({kept} products: tick 'every term' to write them all out)")
    assert every_o["compact"] == e.compact_text()
    assert projector["lines"][-1] == f"({kept} products: tick 'every term' to write them all out)"
    assert full["lines"][-1] == e.full_text()


def test_the_photo_and_another_output_channel():
    """Float data (the photo, in hundredths; float32 maps) decodes exactly; the sums agree to the digits written;
    an output channel whose partial maps are not here still gets its products and its value."""
    state = explore(Settings(source="photo", preset="edges", c_i=3, c_o=4, k_h=3, k_w=3, n_h=48, n_w=41, padding=1,
                             bias=True, o=1, u=7, v=9))
    plain, other = run_js([case(state), case(state, o=2)])
    assert plain["x"] == state.X.flatten()[:50].tolist()  # float32 values, exactly
    assert plain["full"] == state.element.full_text()
    compact = state.element.compact_text()
    assert plain["compact"].split(" = ")[0] == compact.split(" = ")[0]
    js_terms = [float(t.strip("()")) for t in plain["compact"].split(" = ")[1].split(" + ")]
    py_terms = [float(t.strip("()")) for t in compact.split(" = ")[1].split(" + ")]
    assert js_terms == pytest.approx(py_terms, rel=2e-3)  # float32 maps against Python's float64 sums, 3 digits
    assert other["compact"] is None and other["full"].startswith("Y[2, 7, 9] = ")
    assert "come from Python" in other["lines"][1]


def test_the_written_sum_speaks_the_language_python_sends():
    """The words of the written sum are the ones Python sends (Chinese here), its numbers the same."""
    with language("zh"):
        state = explore(Settings(c_o=3, bias=True, o=1, u=1, v=0))
        zh_case = case(state)
    with language("en"):
        en_case = case(state)
    zh_lines, en_lines = run_js([zh_case, en_case])
    assert zh_lines["lines"][0] == "Y[1, 1, 0] = Σ_i (X[i] ⋆ K[1, i])[1, 0] + b[1]，每个输入通道 i 一个部分和："
    assert en_lines["lines"][0] == "Y[1, 1, 0] = Σ_i (X[i] ⋆ K[1, i])[1, 0] + b[1], one partial sum per input channel i:"
    assert zh_lines["lines"][-1] == en_lines["lines"][-1]  # the numbers are the same, whatever the language
    assert zh_lines["lines"][2] == "每一个乘积："

"""A generated class of notebook-7 submissions, to try `make grade` on and to time it.

    python scripts/grading/demo_class.py OUT_DIR [--count 200] [--seed 0]

Writes OUT_DIR/submissions/ (LMS-style file names, ``lastfirst_LMSID_SUBMISSIONID_07_exercises.ipynb``)
and OUT_DIR/roster.csv (student_id, lms_id, name). The class is a mix, drawn with a seeded
generator: most students answer everything on their own variant (``set_student``), some answer part
of it, some give wrong answers, a few hand in the blank notebook or one with a syntax error. The
answers are written here as a student would write them (literal numbers for their own variant),
independently of the instructor's model solutions.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

IM2ROW = '''import torch.nn.functional as F

def conv_as_matmul(X, K, stride, padding):
    (s_h, s_w), (p_h, p_w) = stride, padding
    c_o, c_i, k_h, k_w = K.shape
    cols = F.unfold(X, (k_h, k_w), padding=(p_h, p_w), stride=(s_h, s_w))
    m_h = (X.shape[2] + 2 * p_h - k_h) // s_h + 1
    m_w = (X.shape[3] + 2 * p_w - k_w) // s_w + 1
    return (K.reshape(c_o, -1) @ cols).reshape(X.shape[0], c_o, m_h, m_w)'''

COSTS = '''def out_size(n, k, p, s):
    return (n + 2 * p - k) // s + 1

def forward_macs(c_i, c_o, n_h, n_w, k_h, k_w, p_h, p_w, s_h, s_w):
    return c_o * out_size(n_h, k_h, p_h, s_h) * out_size(n_w, k_w, p_w, s_w) * c_i * k_h * k_w

def forward_memory(c_i, c_o, n_h, n_w, k_h, k_w, p_h, p_w, s_h, s_w):
    y = c_o * out_size(n_h, k_h, p_h, s_h) * out_size(n_w, k_w, p_w, s_w)
    return c_i * n_h * n_w + c_o * c_i * k_h * k_w + c_o + y

backward_macs = lambda *a: 2 * forward_macs(*a)
backward_memory = lambda *a: 2 * forward_memory(*a)'''

WRONG = {  # the first name a blank assigns -> a wrong answer for it
    "combined_kernel_size": "combined_kernel_size = lambda k1, k2: k1 * k2",
    "middle_channels": "middle_channels, counterexample, split = 4, torch.eye(3), None",
    "forward_macs": "forward_macs = forward_memory = backward_macs = backward_memory = lambda *a: 0",
    "factor_double_channels": "factor_double_channels, factor_double_padding = 2, 1.0",
    "X_differ": "X_differ, K_differ = torch.ones(2, 3, 3), torch.ones(4, 2, 1, 1)",
    "conv_as_matmul": "import torch.nn.functional as F\n"
                      "conv_as_matmul = lambda X, K, s, p: F.conv2d(X, K, stride=s, padding=p)",
    "reads_per_output": "reads_per_output = lambda k, d: k * k",
    "speedup": "speedup = lambda c, b: b * b",
    "grouped_params": "grouped_params, separable_params, separable = 1, 2, lambda *a: None",
}


def model(who: str | None = None) -> dict:
    """Right answers for student ``who``'s variant, with literal numbers (as a student writes them)."""
    sys.path.insert(0, str(ROOT))
    from chanconv.exercises import numbers

    n3, n8 = numbers("3", who), numbers("8", who)
    k, n, p = n3["k"], n3["n"], n3["p"]  # the channel factor does not depend on c
    pad = ((n + 4 * p - k + 1) / (n + 2 * p - k + 1)) ** 2
    c8, k8, g8 = n8["c"], n8["k"], n8["groups"]
    grouped = c8 * (c8 // g8) * k8 * k8 + c8
    separable = (c8 * k8 * k8 + c8) + (c8 * c8 + c8)
    return {
        "combined_kernel_size": "combined_kernel_size = lambda k1, k2: k1 + k2 - 1",
        "middle_channels": "middle_channels, counterexample, split = "
                           "1, torch.tensor([[1.0, 0, 0], [0, 0, 0], [0, 0, 1]]), None",
        "forward_macs": COSTS,
        "factor_double_channels": f"factor_double_channels, factor_double_padding = 4, {pad!r}",
        "X_differ": "g = torch.Generator().manual_seed(4)\n"
                    "X_differ, K_differ = torch.rand(64, 3, 3, generator=g), torch.rand(8, 64, 1, 1, generator=g)",
        "conv_as_matmul": IM2ROW,
        "reads_per_output": "def reads_per_output(k, delta):\n    return k * (k + delta - 1) / delta",
        "speedup": "speedup = lambda c, b: b",
        "grouped_params": f"grouped_params, separable_params = {grouped}, {separable}\n"
                          "def separable(X, Wd, bd, Wp, bp):\n"
                          "    return chanconv.conv2d(chanconv.conv2d(X, Wd, bd, padding=Wd.shape[-1] // 2, "
                          "groups=Wd.shape[0]), Wp, bp)",
    }


def student_notebook(replace=None, extra=None, student=None, lang="en"):
    """The student notebook (the edition in ``lang``), blanks replaced by ``replace(first name) -> source``,
    ``extra`` cells (source, after-which-first-name) added after a blank, ``set_student(student)`` in the setup."""
    import nbformat

    folder = ROOT / "notebooks" if lang == "en" else ROOT / "notebooks" / lang
    nb = nbformat.read(folder / "07_exercises.ipynb", as_version=4)
    cells = []
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
            if student is not None and "set_student(None)" in c.source:
                c.source = c.source.replace("set_student(None)", f"set_student({student!r})")
        cells.append(c)
        if c.cell_type == "code" and "exercise" in c.metadata.get("tags", []):
            first = c.source.split("=")[0].split(",")[0].strip()
            if replace:
                c.source = replace(first) or c.source
            for src, after in extra or []:
                if after == first:
                    cells.append(nbformat.v4.new_code_cell(src))
    nb.cells = cells
    return nb


NAMES = ["smith", "jones", "garcia", "chen", "okafor", "muller", "rossi", "kim", "silva", "novak"]
FIRST = ["ana", "ben", "chloe", "dev", "eli", "fatima", "gus", "hana", "ivan", "jun"]


def generate(out: Path, count: int = 200, seed: int = 0) -> tuple[Path, Path]:
    """Write ``count`` submissions and the roster; returns (the submissions folder, the roster)."""
    import nbformat

    rng = random.Random(seed)
    subs = out / "submissions"
    subs.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(count):
        sid, lms = f"s{i:03d}", str(20000 + i)
        name = f"{rng.choice(FIRST)} {rng.choice(NAMES)}"
        kind = rng.choices(["full", "part", "wrong", "blank", "syntax"], weights=[60, 20, 10, 5, 5])[0]
        right = model(sid)
        if kind == "full":
            answer = right
        elif kind == "part":
            answer = {k: v for k, v in right.items() if rng.random() < 0.6}
        elif kind == "wrong":
            answer = {k: (WRONG[k] if rng.random() < 0.5 else v) for k, v in right.items()}
        elif kind == "syntax":
            answer = dict(right, forward_macs="def forward_macs(c_i, c_o:\n    return 0")
        else:
            answer = {}
        nb = student_notebook(lambda first, a=answer: a.get(first), student=sid if kind != "blank" else None)
        last, first = name.split()[1], name.split()[0]
        nbformat.write(nb, subs / f"{last}{first}_{lms}_{900000 + i}_07_exercises.ipynb")
        rows.append([sid, lms, name.title()])
    roster = out / "roster.csv"
    with roster.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student_id", "lms_id", "name"])
        w.writerows(rows)
    return subs, roster


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    subs, roster = generate(args.out, args.count, args.seed)
    print(f"wrote {args.count} submissions to {subs} and the roster {roster}")
    print(f"grade them: make grade SUBMISSIONS={subs} ROSTER={roster} JOBS=2")


if __name__ == "__main__":
    sys.exit(main())

"""Regenerate the pictures in assets/ (run by `make assets`). Each is drawn from tensors by chanconv."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import torch  # noqa: E402

from chanconv.data import lecture_K, lecture_X  # noqa: E402
from chanconv.plotting import plot_element, plot_multi_in_out  # noqa: E402

ASSETS = Path(__file__).resolve().parents[1] / "assets"
SAVE = dict(dpi=100, metadata={"Software": None}, bbox_inches="tight")


def main():
    X, K = lecture_X(), lecture_K()
    plot_element(X, K, 0, 0, 0, channels=(1, 0)).savefig(ASSETS / "lecture_example.png", **SAVE)
    plot_multi_in_out(X, torch.stack((K, K + 1, K + 2))).savefig(ASSETS / "multi_in_out.png", **SAVE)
    for name in ["lecture_example.png", "multi_in_out.png"]:
        print("wrote", Path("assets") / name)


if __name__ == "__main__":
    main()

"""Regenerate the pictures in assets/ (run by `make assets`). Each is drawn from tensors by chanconv."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from chanconv.course.data import lecture_K, lecture_X  # noqa: E402
from chanconv.course.figures import plot_element, plot_multi_in_out, plot_partial_maps  # noqa: E402

ASSETS = Path(__file__).resolve().parents[1] / "assets"
SAVE = dict(dpi=100, metadata={"Software": None}, bbox_inches="tight")


def main():
    X, K = lecture_X(), lecture_K()
    figures = {
        "lecture_example.png": plot_element(X, K, 0, 0, 0, channels=(1, 0)),
        "multi_in_out.png": plot_multi_in_out(X, torch.stack((K, K + 1, K + 2))),
        "partial_maps.png": plot_partial_maps(X, K),
    }
    for name, fig in figures.items():
        fig.savefig(ASSETS / name, **SAVE)
        plt.close(fig)
        print("wrote", Path("assets") / name)


if __name__ == "__main__":
    main()

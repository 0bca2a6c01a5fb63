"""The course's example tensors: the lecture's X and K, and a real RGB photo."""

from __future__ import annotations

import matplotlib.cbook as cbook
import matplotlib.image as mimage
import torch
import torch.nn.functional as F

from ..core.i18n import N_

__all__ = ["lecture_X", "lecture_K", "load_photo", "PHOTO_CREDIT"]

PHOTO_CREDIT = N_("Grace Hopper, official U.S. Navy photograph (public domain), "
                  "shipped with matplotlib as sample data 'grace_hopper.jpg'")  # tr(PHOTO_CREDIT) where shown


def lecture_X(device=None) -> torch.Tensor:
    """The lecture's input: c_i = 2 channels of 3×3, shape (2, 3, 3)."""
    return torch.tensor([[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]],
                         [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]], device=device)


def lecture_K(device=None) -> torch.Tensor:
    """The lecture's kernel for one output channel: shape (c_i, k_h, k_w) = (2, 2, 2)."""
    return torch.tensor([[[0.0, 1.0], [2.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]]], device=device)


def load_photo(height: int | None = 150, device=None) -> torch.Tensor:
    """A real RGB photo as X of shape (3, n_h, n_w), values in [0, 1] (see PHOTO_CREDIT).

    ``height`` rescales it (area averaging, aspect kept); ``None`` keeps 600×512.
    """
    with cbook.get_sample_data("grace_hopper.jpg") as f:
        rgb = mimage.imread(f)  # (600, 512, 3) uint8
    X = torch.from_numpy(rgb.copy()).permute(2, 0, 1).float().div_(255)
    if height is not None and height != X.shape[1]:
        width = round(X.shape[2] * height / X.shape[1])
        X = F.interpolate(X[None], size=(height, width), mode="area")[0]
    return X.to(device) if device is not None else X

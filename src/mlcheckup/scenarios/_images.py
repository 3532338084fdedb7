"""What happens to a scanned digit in production: noise, blur, ink bleed, rotation, slant, fading.

Every function takes a stack of 8×8 digits as rows of 64 pixels (0 = paper, 16 = full ink, the
scale of scikit-learn's ``load_digits``) and a *level* per row, and returns a new float array,
clipped back to 0..16. A level of 0 leaves an image unchanged, so a gradual incident can ramp the
level up from 0 row by row. Randomness is passed in (``noise``), never drawn here.

Private to :mod:`mlcheckup.scenarios`; lessons see these effects through ``scenarios.make``.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

SIDE = 8
PIXELS = SIDE * SIDE
INK_MAX = 16.0


def _levels(images: np.ndarray, level: float | np.ndarray) -> np.ndarray:
    return np.broadcast_to(np.asarray(level, dtype=float), (images.shape[0],))


def _by_level(images: np.ndarray, level, transform, step: float) -> np.ndarray:
    """Apply ``transform(stack, level)`` to groups of rows that share a level rounded to ``step``.

    Rounding to a step lets a slowly ramping level run as a few dozen vectorised calls instead
    of one call per row; the error this makes is at most ``step / 2``.
    """
    out = np.array(images, dtype=float, copy=True)
    rounded = np.round(_levels(images, level) / step) * step
    for value in np.unique(rounded):
        if value == 0:
            continue
        rows = np.flatnonzero(rounded == value)
        stack = out[rows].reshape(-1, SIDE, SIDE)
        out[rows] = transform(stack, float(value)).reshape(-1, PIXELS)
    return np.clip(out, 0.0, INK_MAX)


def noisy(images: np.ndarray, level, noise: np.ndarray) -> np.ndarray:
    """Add sensor noise: ``level`` times a standard-normal ``noise`` array, in pixel units.

    Examples
    --------
    >>> flat = np.full((1, 64), 8.0)
    >>> float(noisy(flat, 2.0, np.ones((1, 64)))[0, 0])
    10.0
    """
    out = np.asarray(images, dtype=float) + _levels(images, level)[:, None] * noise
    return np.clip(out, 0.0, INK_MAX)


def blurred(images: np.ndarray, level) -> np.ndarray:
    """Defocus: a Gaussian blur whose standard deviation is ``level`` pixels (0.05 px steps)."""
    return _by_level(
        images, level, lambda stack, sigma: ndimage.gaussian_filter(stack, (0, sigma, sigma), mode="constant"), 0.05
    )


_CROSS = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], dtype=bool)


def thickened(images: np.ndarray, level) -> np.ndarray:
    """Ink bleed: blend each image with its dilation by one pixel; ``level`` 0..1 is the blend weight."""
    stack = np.asarray(images, dtype=float).reshape(-1, SIDE, SIDE)
    spread = ndimage.grey_dilation(stack, footprint=_CROSS[None], mode="constant").reshape(-1, PIXELS)
    weight = _levels(images, level)[:, None]
    return np.clip((1 - weight) * np.asarray(images, dtype=float) + weight * spread, 0.0, INK_MAX)


def rotated(images: np.ndarray, level) -> np.ndarray:
    """A skewed feeder: rotate each image by ``level`` degrees (anticlockwise, 0.5° steps)."""
    return _by_level(
        images,
        level,
        lambda stack, angle: ndimage.rotate(stack, angle, axes=(2, 1), reshape=False, order=1, mode="constant"),
        0.5,
    )


def slanted(images: np.ndarray, level) -> np.ndarray:
    """Italic handwriting: shear each image so the top leans right by ``level`` pixels per row.

    Examples
    --------
    >>> bar = np.zeros((1, 8, 8)); bar[0, :, 3] = 16  # a vertical stroke
    >>> leaning = slanted(bar.reshape(1, 64), 0.5).reshape(8, 8)
    >>> int(leaning[0].argmax()) > int(leaning[7].argmax())  # top row's ink sits further right
    True
    """

    def shear(stack: np.ndarray, amount: float) -> np.ndarray:
        # output (row, col) samples input (row, col - amount * (centre - row)): the top moves right
        matrix = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, amount, 1.0]])
        offset = np.array([0.0, 0.0, -amount * (SIDE - 1) / 2])
        return ndimage.affine_transform(stack, matrix, offset=offset, order=1, mode="constant")

    return _by_level(images, level, shear, 0.01)


def faded(images: np.ndarray, level) -> np.ndarray:
    """A worn toner cartridge: multiply the ink by ``1 - level`` (``level`` 0..1)."""
    return np.asarray(images, dtype=float) * (1.0 - _levels(images, level)[:, None])


#: Gradual and recurring image causes, by name, with the unit of their level.
IMAGE_EFFECTS = {
    "noise": (noisy, "noise sd, pixel units"),
    "blur": (blurred, "blur sigma, pixels"),
    "thickness": (thickened, "ink-bleed weight, 0..1"),
    "rotation": (rotated, "degrees"),
    "slant": (slanted, "px of shear per image row"),
    "fading": (faded, "share of ink lost"),
}

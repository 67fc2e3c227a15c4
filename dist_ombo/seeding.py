"""Seeds split from one root seed: the one way randomness is derived, never global state.

``numpy.random.SeedSequence.spawn`` gives independent children; a trial's root seed becomes the
training, generator and search seeds, an ensemble's seed one per member group, a model's seed
one torch generator per stream.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch


def spawn_seeds(seed: int, n: int) -> list[int]:
    """``n`` independent 32-bit seeds split from ``seed``."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(int(seed)).spawn(n)]


def torch_generators(seed: int, n: int) -> list["torch.Generator"]:
    """``n`` independent CPU torch generators split from ``seed``. Random numbers are drawn on the
    CPU and moved, so CPU and CUDA runs of the same seed see the same noise."""
    import torch

    children = np.random.SeedSequence(int(seed)).spawn(n)
    return [torch.Generator().manual_seed(int(c.generate_state(1, np.uint64)[0] >> 1)) for c in children]

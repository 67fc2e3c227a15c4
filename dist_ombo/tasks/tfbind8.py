"""TF-Bind-8: measured binding of every DNA 8-mer to the SIX6 transcription factor.

Barrera et al., Science 2016, as distributed by Design-Bench (Trabucco et al., ICML 2022,
``TFBind8-Exact-v0``). The oracle is exact: a lookup in the full measured table. The offline
dataset is Design-Bench's: the rows with y <= the median (0.4393), 32,898 of 65,792, the same for
every seed (the seed varies only the method). Scores are normalized with the full table's
min / max (0 and 1), so D(best) = 0.439.

The two ``.npy`` files ship with the package (``dist_ombo/tasks/data/tfbind8``, 2.3 MB), so the task
works from a bare clone or a wheel; ``data_dir`` or ``$DIST_OMBO_TFBIND8_DIR`` point it at another
copy. Whichever copy is read is verified against the SHA-256 checksums below.
Designs are tokens 0..3 (A, C, G, T). Binding is maximized; internally the objective is ``-y``.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import numpy as np

from dist_ombo.errors import DataError
from dist_ombo.tasks.base import Task

ENV_VAR = "DIST_OMBO_TFBIND8_DIR"
FILES = {
    "x": ("tf_bind_8-SIX6_REF_R1-x-0.npy", "8957a728704d2e6c5dbba921dd9e16cbd76797489b081c5dc7f39ca23582d95d"),
    "y": ("tf_bind_8-SIX6_REF_R1-y-0.npy", "a61dd97796a4173d3a2a3d016db44e5d42e1f1d6a39d9f1ad2465d2c6b94fcb7"),
}
LENGTH, VOCAB = 8, 4
#: The copy shipped as package data (pyproject.toml ``package-data``).
PACKAGED_DIR = Path(__file__).resolve().parent / "data" / "tfbind8"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def locate(data_dir: str | Path | None = None) -> Path:
    """The directory holding both files: ``data_dir`` if given, else ``$DIST_OMBO_TFBIND8_DIR``,
    else the copy shipped with the package. Raises a ``DataError`` that says what is missing and
    where it looked."""
    if data_dir is not None:
        folder, source = Path(data_dir), f"data_dir={data_dir}"
    elif os.environ.get(ENV_VAR):
        folder, source = Path(os.environ[ENV_VAR]), f"${ENV_VAR}={os.environ[ENV_VAR]}"
    else:
        folder, source = PACKAGED_DIR, "the package's own copy"
    missing = [name for name, _ in FILES.values() if not (folder / name).is_file()]
    if missing:
        raise DataError(
            f"TF-Bind-8 data incomplete in {folder} ({source}): missing {', '.join(missing)}. "
            f"Pass data_dir=... (CLI: --param data_dir=DIR) or set ${ENV_VAR} to the folder holding "
            + " and ".join(name for name, _ in FILES.values())
        )
    return folder


@lru_cache(maxsize=4)
def load_table(folder: str) -> tuple[np.ndarray, np.ndarray]:
    """The full measured table ``(X int64 (65792, 8), y float64 (65792,))``, checksums verified."""
    arrays = {}
    for key, (name, expected) in FILES.items():
        path = Path(folder) / name
        actual = _sha256(path)
        if actual != expected:
            raise DataError(f"TF-Bind-8 file {path} has sha256 {actual}, expected {expected}")
        arrays[key] = np.load(path)
    return arrays["x"].astype(np.int64), arrays["y"].astype(np.float64).reshape(-1)


def _codes(X: np.ndarray) -> np.ndarray:
    return (np.asarray(X, dtype=np.int64) * (VOCAB ** np.arange(LENGTH))).sum(axis=1)


class TFBind8(Task):
    """TF-Bind-8 with the exact oracle and Design-Bench's lower-half dataset."""

    family = "tfbind8"
    name = "tfbind8"
    optimum = -1.0  # the best measured binding, negated

    def __init__(self, data_dir: str | Path | None = None) -> None:
        self.dim, self.n_obj, self.n_categories = LENGTH, 1, VOCAB
        self.lower, self.upper = np.zeros(LENGTH), np.full(LENGTH, VOCAB - 1.0)
        self._data_dir = data_dir
        self.params: dict[str, Any] = {}  # the data is fixed by its checksums, not by a path

    def _table(self) -> tuple[np.ndarray, np.ndarray]:
        return load_table(str(locate(self._data_dir)))

    def _lookup(self) -> np.ndarray:
        X, y = self._table()
        values = np.full(VOCAB**LENGTH, np.nan)
        values[_codes(X)] = y  # repeated sequences carry identical measurements
        return values

    def _evaluate(self, X: np.ndarray) -> np.ndarray:
        return -self._lookup()[_codes(X)][:, None]

    def _n_train(self) -> int:
        return 32_898

    def _build_dataset(self, rng: np.random.Generator):
        del rng  # Design-Bench's split is fixed
        X, y = self._table()
        keep = y <= np.median(y)
        return X[keep], -y[keep, None], X[~keep], -y[~keep, None]


TASKS: dict[str, Callable[..., Task]] = {"tfbind8": TFBind8}

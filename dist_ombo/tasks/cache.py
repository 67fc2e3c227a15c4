"""Parquet cache of built datasets: one file per (task params, seed, protocol version).

Rows carry a ``split`` column (``train`` / ``hidden``) so that the hidden best part, needed only for
score normalization, lives beside the training data. Writes go to a temporary file first and are
renamed into place, so a killed process never leaves a torn cache file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def _frame(X: np.ndarray, Y: np.ndarray, split: str) -> pd.DataFrame:
    cols = {f"x{i}": X[:, i] for i in range(X.shape[1])}
    cols.update({f"f{j}": Y[:, j] for j in range(Y.shape[1])})
    df = pd.DataFrame(cols)
    df["split"] = split
    return df


def write_parquet_atomic(df: pd.DataFrame, file: Path) -> None:
    """Write ``df`` to ``file`` via temp file + rename (atomic on POSIX), mode 0644."""
    from dist_ombo.io import write_atomic

    write_atomic(file, lambda tmp: df.to_parquet(tmp, index=False))


def save_cached(file: Path, Xtr: np.ndarray, Ytr: np.ndarray, Xh: np.ndarray, Yh: np.ndarray) -> None:
    df = pd.concat([_frame(Xtr, Ytr, "train"), _frame(Xh, Yh, "hidden")], ignore_index=True)
    write_parquet_atomic(df, file)


def load_cached(file: Path, dim: int, n_obj: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    df = pd.read_parquet(file)
    xcols = [f"x{i}" for i in range(dim)]
    fcols = [f"f{j}" for j in range(n_obj)]
    train = df["split"] == "train"
    return (
        df.loc[train, xcols].to_numpy(),
        df.loc[train, fcols].to_numpy(dtype=float),
        df.loc[~train, xcols].to_numpy(),
        df.loc[~train, fcols].to_numpy(dtype=float),
    )

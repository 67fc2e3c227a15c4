"""Parquet cache of built datasets: one file per (task params, seed, protocol version).

Rows carry a ``split`` column (``train`` / ``hidden``) so that the hidden best part, needed only for
score normalization, lives beside the training data. Writes go to a temporary file first and are
renamed into place, so a killed process never leaves a torn cache file. Each file records its row
count and a checksum of its contents in the Parquet metadata; a file that is unreadable, lacks
them, or no longer matches them (damaged, or replaced by another table) raises ``CorruptCacheError``
and is rebuilt by the caller, never used.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from dist_ombo.errors import DistOmboError

METADATA_KEY = b"dist_ombo.dataset"


class CorruptCacheError(DistOmboError):
    """A cached dataset file cannot be trusted; the message says why."""


def _checksum(df: pd.DataFrame) -> str:
    """SHA-256 over every cell (pandas' row hashes, index left out)."""
    return hashlib.sha256(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes()).hexdigest()


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
    """Write a dataset with its row count and checksum in the file's metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from dist_ombo.io import write_atomic

    df = pd.concat([_frame(Xtr, Ytr, "train"), _frame(Xh, Yh, "hidden")], ignore_index=True)
    table = pa.Table.from_pandas(df, preserve_index=False)
    record = json.dumps({"rows": len(df), "sha256": _checksum(df)}).encode()
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), METADATA_KEY: record})
    write_atomic(file, lambda tmp: pq.write_table(table, tmp))


def load_cached(file: Path, dim: int, n_obj: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The cached ``(X_train, Y_train, X_hidden, Y_hidden)``; ``CorruptCacheError`` if the file is
    unreadable, lacks a column, or does not match its recorded row count and checksum."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(file)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a damaged file
        raise CorruptCacheError(f"unreadable ({type(exc).__name__}: {' '.join(str(exc).split())[:120]})") from exc
    raw = (table.schema.metadata or {}).get(METADATA_KEY)
    if raw is None:
        raise CorruptCacheError("no row count or checksum recorded (not written by this version)")
    record = json.loads(raw)
    df = table.to_pandas()
    xcols = [f"x{i}" for i in range(dim)]
    fcols = [f"f{j}" for j in range(n_obj)]
    missing = [c for c in [*xcols, *fcols, "split"] if c not in df.columns]
    if missing:
        raise CorruptCacheError(f"missing column(s) {missing}")
    if len(df) != record.get("rows"):
        raise CorruptCacheError(f"{len(df)} rows, {record.get('rows')} recorded")
    if _checksum(df) != record.get("sha256"):
        raise CorruptCacheError("contents do not match the recorded checksum")
    train = df["split"] == "train"
    return (
        df.loc[train, xcols].to_numpy(),
        df.loc[train, fcols].to_numpy(dtype=float),
        df.loc[~train, xcols].to_numpy(),
        df.loc[~train, fcols].to_numpy(dtype=float),
    )

"""From a raw table to what a method sees: typed, checked designs and minimized objectives.

``prepare`` does every check on user data once, before any training, and each failure is a
``DataError`` that names the column and, where one exists, the row (see ``table``). Objectives are
turned into minimization here (``max`` columns negated), the one sign convention inside; callers
flip back at the edge.

Column kinds, unless forced: a column whose every cell is a number is numeric, ``integer`` when
every cell is written as a whole number (``7``, not ``7.0``; for typed frames: an integer dtype),
else ``float``; a column with no numeric cell is ``categorical``; a mostly numeric column with some
text is an error naming the first text cell.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from dist_ombo.errors import DataError
from dist_ombo.userdata.space import UserDesignSpace, InputColumn
from dist_ombo.userdata.spec import (
    parse_bounds,
    parse_inputs,
    parse_kinds,
    parse_objectives,
    unknown_column,
)
from dist_ombo.userdata.table import Table
from dist_ombo.validation import is_real

#: Fewer usable rows than this cannot train an ensemble with a validation split sensibly.
MIN_ROWS = 10
#: Cell texts read as missing values (compared case-insensitively, after stripping).
MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "#n/a"})
#: A text column with more distinct values than this is not a design choice (an id or a note).
MAX_CATEGORIES = 50
_INT_TEXT = re.compile(r"^[+-]?\d+$")


@dataclass(frozen=True)
class UserData:
    """Checked user data. ``X`` is the encoded designs (``space``), ``Y`` the objectives,
    **minimized** (``max`` columns negated); ``designs`` / ``measured`` are the kept rows in the
    user's columns and sense."""

    space: UserDesignSpace
    objectives: dict[str, str]  # column -> "min" | "max", in the user's order
    designs: pd.DataFrame
    measured: pd.DataFrame
    X: np.ndarray
    Y: np.ndarray
    row_names: tuple[str, ...]  # of the kept rows
    n_read: int
    dropped: tuple[str, ...]  # names of the rows dropped for missing / non-finite values
    ignored: tuple[str, ...]  # columns neither input nor objective
    source: str
    bounds_source: str  # where given bounds came from ("" when none were given)
    bounded: tuple[str, ...]  # the columns with given bounds; the rest span the data's range
    margin: float  # the data ranges widened by margin x range on each side

    def describe_bounds(self) -> str:
        """How the numeric bounds were set, for the summary."""
        base = "the data's range" + (f" widened by {self.margin:g} x range each side" if self.margin else "")
        if not self.bounded:
            return base
        return f"{self.bounds_source} for {', '.join(self.bounded)}, else {base}"

    @property
    def signs(self) -> np.ndarray:
        """+1 for ``min`` objectives, -1 for ``max``: ``Y = measured * signs``."""
        return np.array([1.0 if s == "min" else -1.0 for s in self.objectives.values()])


@dataclass(frozen=True)
class _Parsed:
    values: np.ndarray  # float64 numbers (NaN where missing or text)
    missing: np.ndarray  # bool: empty / NA cell
    text: np.ndarray  # bool: a cell that is not a number
    whole: bool  # every number written as a whole number (or an integer dtype)
    raw: list[Any]  # the cells (strings stripped)


def prepare(
    table: Table,
    objectives: Mapping[str, str] | str | Sequence[str],
    inputs: Sequence[str] | str | None = None,
    kinds: Mapping[str, str] | str | None = None,
    bounds: Mapping[str, Any] | str | None = None,
    margin: float = 0.0,
    drop_missing: bool = False,
    min_rows: int = MIN_ROWS,
) -> UserData:
    """Check and type ``table``; see the module doc for the kind rules.

    ``bounds``: ``{column: [lo, hi]}`` or a YAML file of it, for numeric inputs; the rest default to
    the data's range widened by ``margin`` x range on each side (integers: out to whole numbers).
    ``drop_missing``: drop rows with an empty, NA or non-finite objective or input cell (reported)
    instead of failing.
    """
    if not is_real(margin) or not math.isfinite(margin) or margin < 0:
        raise DataError(f"margin must be a finite number >= 0 (a fraction of each column's range), got {margin!r}")
    columns = table.columns
    src = table.source
    if len(table) == 0:
        raise DataError(f"{src} has a header but no data rows")
    objectives = parse_objectives(objectives, columns)
    input_names = parse_inputs(inputs, columns, objectives)
    forced = parse_kinds(kinds, input_names, objectives)
    bound_spec, bounds_source = parse_bounds(bounds)
    for name in bound_spec:
        if name in objectives:
            raise DataError(f"{bounds_source}: {name!r} is an objective; bounds apply to inputs")
        if name not in input_names:
            raise unknown_column(name, input_names, f"{bounds_source}: column", "an input column")

    names = table.row_names
    parsed = {c: _parse(table.frame[c]) for c in [*objectives, *input_names]}

    # 1. every cell of a numeric column is a number; decide the kinds
    for name in objectives:
        p = parsed[name]
        if p.text.any():
            raise _text_error(name, "objective", p, names)
    kind_of: dict[str, str] = {}
    for name in input_names:
        kind_of[name] = _kind(name, parsed[name], forced.get(name), names)
    for name, kind in kind_of.items():
        if kind == "categorical" and name in bound_spec:
            raise DataError(f"{bounds_source}: column {name!r} is categorical; bounds apply to numeric inputs")

    # 2. missing / non-finite cells: fail, or drop the rows with --drop-missing
    bad_rows = np.zeros(len(table), dtype=bool)
    problems: list[tuple[str, np.ndarray]] = []
    for name in [*objectives, *input_names]:
        p = parsed[name]
        bad = p.missing.copy() if kind_of.get(name) == "categorical" else ~np.isfinite(p.values)
        if bad.any():
            problems.append((name, bad))
            bad_rows |= bad
    if problems and not drop_missing:
        name, bad = problems[0]
        role = "objective" if name in objectives else "input"
        cell = parsed[name].raw[int(np.argmax(bad))]
        more = f" ({int(bad.sum())} rows in all)" if bad.sum() > 1 else ""
        others = f"; {len(problems) - 1} more column(s) have such cells" if len(problems) > 1 else ""
        raise DataError(
            f"{role} column {name!r} has a missing or non-finite value ({_show(cell)}) at "
            f"{names[int(np.argmax(bad))]}{more}{others}; fix the data or pass --drop-missing "
            f"(drop_missing=True) to drop such rows"
        )
    keep = ~bad_rows
    dropped = tuple(n for n, b in zip(names, bad_rows) if b)
    n_kept = int(keep.sum())
    if n_kept < min_rows:
        why = f" after dropping {len(dropped)} row(s) with missing values" if dropped else ""
        raise DataError(f"{src} has {n_kept} usable row(s){why}; at least {min_rows} are needed")
    kept_names = tuple(n for n, k in zip(names, keep) if k)

    # 3. objectives: numbers, not constant; minimized inside
    measured = pd.DataFrame({name: parsed[name].values[keep] for name in objectives})
    for name in objectives:
        col = measured[name].to_numpy()
        if np.ptp(col) == 0:
            raise DataError(
                f"objective {name!r} is constant ({col[0]:g} in all {n_kept} rows); there is nothing to optimize"
            )

    # 4. inputs: typed values, categories, bounds
    designs: dict[str, Any] = {}
    space_columns = []
    for name in input_names:
        p, kind = parsed[name], kind_of[name]
        if kind == "categorical":
            values = [v for v, k in zip(p.raw, keep) if k]
            cats = tuple(sorted(set(values), key=_category_order))
            if len(cats) > MAX_CATEGORIES or (len(cats) == n_kept and n_kept > MAX_CATEGORIES // 5):
                raise DataError(
                    f"input column {name!r} holds {len(cats)} distinct text values in {n_kept} rows; "
                    "it looks like an identifier or a note, not a design choice. Name the design "
                    "columns with --inputs (inputs=[...])"
                )
            designs[name] = pd.Series(values, dtype=object)
            space_columns.append(InputColumn(name, "categorical", categories=cats))
            continue
        x = p.values[keep]
        if kind == "integer" and not np.all(x == np.rint(x)):
            i = int(np.argmax(x != np.rint(x)))
            raise DataError(
                f"integer input column {name!r} has the non-whole value {x[i]:g} at {kept_names[i]}"
            )
        lo, hi = _bounds(name, kind, x, bound_spec.get(name), margin, kept_names, bounds_source)
        designs[name] = pd.Series(x.astype(np.int64) if kind == "integer" else x)
        space_columns.append(InputColumn(name, kind, lo, hi))

    space = UserDesignSpace(tuple(space_columns))
    designs_frame = pd.DataFrame(designs)
    signs = np.array([1.0 if s == "min" else -1.0 for s in objectives.values()])
    return UserData(
        space=space,
        objectives=objectives,
        designs=designs_frame,
        measured=measured,
        X=space.encode(designs_frame),
        Y=measured.to_numpy(dtype=float) * signs,
        row_names=kept_names,
        n_read=len(table),
        dropped=dropped,
        ignored=tuple(c for c in columns if c not in objectives and c not in input_names),
        source=src,
        bounds_source=bounds_source,
        bounded=tuple(bound_spec),
        margin=float(margin),
    )


def _bounds(name: str, kind: str, x: np.ndarray, given: tuple[float, float] | None, margin: float,
            rows: tuple[str, ...], source: str) -> tuple[float, float]:
    if given is None:
        lo, hi = float(x.min()), float(x.max())
        pad = margin * (hi - lo)
        lo, hi = lo - pad, hi + pad
        if kind == "integer":
            lo, hi = float(math.floor(lo)), float(math.ceil(hi))
        return lo, hi
    lo, hi = given
    if kind == "integer" and (lo != round(lo) or hi != round(hi)):
        raise DataError(f"{source}: integer column {name!r} needs whole-number bounds, got [{lo:g}, {hi:g}]")
    outside = (x < lo) | (x > hi)
    if outside.any():
        i = int(np.argmax(outside))
        more = f" ({int(outside.sum())} rows outside)" if outside.sum() > 1 else ""
        raise DataError(
            f"{source}: bounds [{lo:g}, {hi:g}] of column {name!r} exclude the data: "
            f"{x[i]:g} at {rows[i]}{more}"
        )
    return lo, hi


def _kind(name: str, p: _Parsed, forced: str | None, rows: tuple[str, ...]) -> str:
    present = ~p.missing
    if not present.any():
        raise DataError(f"input column {name!r} has no values")
    if forced == "categorical":
        return "categorical"
    if forced in ("float", "integer"):
        if p.text.any():
            raise _text_error(name, f"{forced} input", p, rows)
        return forced
    n_text = int(p.text.sum())
    n_num = int(present.sum()) - n_text
    if n_text == 0:
        return "integer" if p.whole else "float"
    if n_num == 0:
        return "categorical"
    if n_num >= n_text:
        raise _text_error(name, "numeric input", p, rows)
    return "categorical"


def _text_error(name: str, role: str, p: _Parsed, rows: tuple[str, ...]) -> DataError:
    i = int(np.argmax(p.text))
    more = f" ({int(p.text.sum())} such rows)" if p.text.sum() > 1 else ""
    return DataError(f"{role} column {name!r} has the non-numeric value {_show(p.raw[i])} at {rows[i]}{more}")


def _show(cell: Any) -> str:
    return "an empty cell" if isinstance(cell, str) and not cell else repr(cell)


def _parse(series: pd.Series) -> _Parsed:
    """Classify each cell as missing, a number, or text (see the module doc)."""
    n = len(series)
    if pd.api.types.is_bool_dtype(series.dtype):
        raw = list(series)
        return _Parsed(np.full(n, np.nan), np.zeros(n, bool), np.ones(n, bool), False, raw)
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        missing = np.isnan(values)
        whole = pd.api.types.is_integer_dtype(series.dtype)
        return _Parsed(values, missing, np.zeros(n, bool), whole, list(series))
    values = np.full(n, np.nan)
    missing = np.zeros(n, bool)
    text = np.zeros(n, bool)
    whole = True
    raw: list[Any] = []
    for i, cell in enumerate(series.tolist()):
        if isinstance(cell, str):
            cell = cell.strip()
        raw.append(cell)
        if cell is None or (isinstance(cell, float) and math.isnan(cell)) or cell is pd.NA or cell is pd.NaT:
            missing[i] = True
        elif isinstance(cell, str):
            if cell.lower() in MISSING_TOKENS:
                missing[i] = True
                continue
            try:
                values[i] = float(cell)
            except ValueError:
                text[i] = True
                continue
            if math.isfinite(values[i]):
                whole &= bool(_INT_TEXT.match(cell))
        elif isinstance(cell, (bool, np.bool_)):
            text[i] = True
        elif isinstance(cell, (int, np.integer)):
            values[i] = float(cell)
        elif isinstance(cell, (float, np.floating)):
            values[i] = float(cell)
            whole &= not math.isfinite(values[i])
        else:
            text[i] = True
    return _Parsed(values, missing, text, whole, raw)


def _category_order(v: Any) -> tuple[int, float, str]:
    """Numbers first, by value; then everything else by its text."""
    if is_real(v):
        return (0, float(v), "")
    return (1, 0.0, str(v))

"""Checks of config values, shared by every config class: one home, one wording of errors.

A config's ``__post_init__`` calls these, so a bad value fails when the config is built (before
any training), with a message naming the class, the field and what it must be.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dist_ombo.errors import ConfigError


def is_int(v: Any) -> bool:
    """An integer (numpy's too), not a bool."""
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def is_real(v: Any) -> bool:
    """A real number (numpy's too), not a bool."""
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def require(ok: bool, owner: str, name: str, what: str) -> None:
    """Raise ``ConfigError("<owner>.<name> must be <what>")`` unless ``ok``."""
    if not ok:
        raise ConfigError(f"{owner}.{name} must be {what}")


def require_field(cfg: Any, name: str, ok: bool, what: str) -> None:
    """Like ``require`` for a field of the config ``cfg``; the message shows the value given."""
    if not ok:
        raise ConfigError(f"{type(cfg).__name__}.{name} must be {what}, got {getattr(cfg, name)!r}")


def require_positive(cfg: Any, *names: str, allow_zero: bool = False) -> None:
    """Every named field is a real number > 0 (>= 0 with ``allow_zero``)."""
    for name in names:
        v = getattr(cfg, name)
        ok = is_real(v) and (v >= 0 if allow_zero else v > 0)
        require_field(cfg, name, ok, ">= 0" if allow_zero else "> 0")


def require_count(cfg: Any, *names: str) -> None:
    """Every named field is a positive integer."""
    for name in names:
        require_field(cfg, name, is_int(getattr(cfg, name)) and getattr(cfg, name) >= 1, "a positive int")

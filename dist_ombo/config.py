"""Frozen, typed configs built from plain dicts (YAML), rejecting unknown keys.

pymoo copies ``setup(**kwargs)`` into ``self.__dict__`` so a typo passes silently; here a typo is an
error that lists the valid keys.
"""

from __future__ import annotations

import dataclasses
import numbers
import types
import typing
from typing import Any, Mapping, TypeVar

from dist_ombo.errors import ConfigError

T = TypeVar("T")


def config_from_dict(cls: type[T], data: Mapping[str, Any] | None, what: str | None = None) -> T:
    """Build the frozen dataclass ``cls`` from ``data``; unknown keys raise ``ConfigError``.

    Lists become tuples where the field's default is a tuple (YAML has no tuples).
    """
    data = dict(data or {})
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(
            f"unknown key(s) {unknown} in {what or cls.__name__}; valid keys: {', '.join(fields)}"
        )
    for key, value in list(data.items()):
        default = fields[key].default
        if isinstance(value, list) and isinstance(default, tuple):
            data[key] = tuple(value)
    wrong = [p for key, value in data.items() if (p := _type_problem(cls, key, value))]
    try:
        made = cls(**data)
    except ConfigError:  # the class's own checks already name the key at fault
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"invalid {what or cls.__name__}: {'; '.join(wrong) or exc}") from exc
    if wrong:  # built, but a value of the wrong type would fail later, far from here
        raise ConfigError(f"invalid {what or cls.__name__}: {'; '.join(wrong)}")
    return made


_SCALARS = {int: "an integer", float: "a number", bool: "true or false", str: "text"}


def _type_problem(cls: type, key: str, value: Any) -> str | None:
    """A one-line problem when ``value`` cannot be the scalar type the field declares (``'many'``
    for an ``int`` field); other annotations are left to the class's own checks."""
    try:
        hint = typing.get_type_hints(cls).get(key)
    except Exception:  # noqa: BLE001 - an unresolvable annotation is simply not checked here
        return None
    allowed = set(typing.get_args(hint)) if typing.get_origin(hint) in (typing.Union, types.UnionType) else {hint}
    if value is None and type(None) in allowed:
        return None
    scalars = [t for t in allowed if t in _SCALARS]
    if not scalars or len(scalars) != len(allowed - {type(None)}):
        return None  # not a plain scalar field
    ok = any(
        (t is bool and isinstance(value, bool))
        or (t is int and isinstance(value, numbers.Integral) and not isinstance(value, bool))
        or (t is float and isinstance(value, numbers.Real) and not isinstance(value, bool))
        or (t is str and isinstance(value, str))
        for t in scalars
    )
    if ok:
        return None
    return f"{key}: must be {' or '.join(_SCALARS[t] for t in scalars)}, got {value!r}"

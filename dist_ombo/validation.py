"""Checks of config values: one home, one wording of errors.

Two styles. ``require*`` raise at once: a config class's ``__post_init__`` calls them, so a bad
value fails when the config is built (before any training), naming the class, the field and what
it must be. ``*_problem(s)`` return a one-line problem naming the key (or ``None``): user files
(sweep configs, trial configs) collect every problem first and raise once (``raise_problems``), so
a user fixes a file in one pass. YAML hands us ``true`` for a bool and ``0.7`` for a float: both
are refused where an integer is meant, never rounded silently.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

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


def int_problem(key: str, value: Any, minimum: int | None = None, optional: bool = False) -> str | None:
    """``key`` must be an integer (``>= minimum``); ``None`` is allowed when ``optional``."""
    if value is None and optional:
        return None
    bound = f" >= {minimum}" if minimum is not None else ""
    if not is_int(value):
        return f"{key}: must be an integer{bound}, got {value!r}"
    if minimum is not None and value < minimum:
        return f"{key}: must be an integer{bound}, got {value!r}"
    return None


def number_problem(key: str, value: Any, minimum: float, strict: bool) -> str | None:
    """``key`` must be a real number ``> minimum`` (``strict``) or ``>= minimum``."""
    relation = ">" if strict else ">="
    if not is_real(value) or value != value or (value <= minimum if strict else value < minimum):
        return f"{key}: must be a number {relation} {minimum:g}, got {value!r}"
    return None


def mapping_problem(key: str, value: Any, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, Mapping):
        return f"{key}: must be a mapping (KEY: VALUE lines), got {type(value).__name__} {value!r}"
    bad = [k for k in value if not isinstance(k, str)]
    if bad:
        return f"{key}: keys must be names, got {bad[0]!r}"
    return None


def seeds_problems(key: str, seeds: Any) -> list[str]:
    """Seeds: a non-empty list of distinct non-negative integers (a repeated seed would run the same
    trial twice and count it twice in every "k/n seeds" summary)."""
    if not isinstance(seeds, (list, tuple)):
        return [f"{key}: must be a list of non-negative integers, e.g. [0, 1, 2]; got {seeds!r}"]
    if not seeds:
        return [f"{key}: must hold at least one seed"]
    problems = [p for i, s in enumerate(seeds) if (p := int_problem(f"{key}[{i}]", s, minimum=0))]
    ints = [int(s) for s in seeds if is_int(s)]
    problems += [f"{key}: seed {s} is listed twice" for s in sorted({s for s in ints if ints.count(s) > 1})]
    return problems


def budget_problem(key: str, value: Any) -> str | None:
    from dist_ombo.catalog import BUDGETS

    if not isinstance(value, str) or value not in BUDGETS:
        return f"{key}: unknown budget {value!r}; valid budgets: {', '.join(BUDGETS)}"
    return None


def raise_problems(problems: Iterable[str | None], what: str) -> None:
    """Raise one ``ConfigError`` listing every problem, one line each (no-op when there is none)."""
    found = list(dict.fromkeys(p for p in problems if p))
    if len(found) == 1:
        raise ConfigError(f"{what}: {found[0]}")
    if found:
        raise ConfigError(f"{what} has {len(found)} problems:\n  " + "\n  ".join(found))


def trial_problems(config: Any) -> list[str | None]:
    """Problems of a ``runner.TrialConfig``'s fields (the names and settings are checked later,
    against the registries, when the trial resolves its method)."""
    return [
        None if isinstance(config.task, str) else f"task: must be a name, got {config.task!r}",
        None if isinstance(config.method, str) else f"method: must be a name, got {config.method!r}",
        int_problem("seed", config.seed, minimum=0),
        budget_problem("budget", config.budget),
        mapping_problem("task_params", config.task_params),
        mapping_problem("model", config.model),
        mapping_problem("search", config.search),
        int_problem("n_proposals", config.n_proposals, minimum=1, optional=True),
        int_problem("train_actors", config.train_actors, minimum=1),
        number_problem("cpus_per_actor", config.cpus_per_actor, 0.0, strict=True),
        number_problem("gpus_per_actor", config.gpus_per_actor, 0.0, strict=False),
    ]

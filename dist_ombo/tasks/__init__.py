"""Task registry: every benchmark task by name, plus ``get_task``.

Names are lowercase (``zdt1``, ``re21``, ``ackley``). A trailing ``-<int>`` sets the dimension of
tasks that take one (``ackley-10`` is ``get_task("ackley", dim=10)``).
"""

from __future__ import annotations

import re
from typing import Any, Callable

from dist_ombo.errors import ConfigError, DistOmboError, UnknownNameError
from dist_ombo.tasks.base import OfflineDataset, Task

_REGISTRY: dict[str, Callable[..., Task]] = {}


def _load() -> dict[str, Callable[..., Task]]:
    if not _REGISTRY:
        from dist_ombo.tasks import ehrlich, moco, re_suite, soo_functions, synthetic_moo, tfbind8

        for module in (synthetic_moo, re_suite, soo_functions, ehrlich, tfbind8, moco):
            _REGISTRY.update(module.TASKS)
    return _REGISTRY


def task_names() -> list[str]:
    """All registered task names, in registry order (families grouped)."""
    return list(_load())


def get_task(name: str, **params: Any) -> Task:
    """Instantiate a task by name. Unknown names raise an error listing the valid ones."""
    registry = _load()
    key = name.strip().lower()
    if key not in registry:
        match = re.fullmatch(r"(.+)-(\d+)", key)
        if match and match.group(1) in registry and "dim" not in params:
            return get_task(match.group(1), dim=int(match.group(2)), **params)
        raise UnknownNameError(f"unknown task {name!r}; valid tasks: {', '.join(registry)}")
    try:
        return registry[key](**params)
    except TypeError as exc:
        raise UnknownNameError(f"task {name!r} does not take parameters {sorted(params)}: {exc}") from exc
    except DistOmboError:
        raise
    except ValueError as exc:  # e.g. dim=abc: name the task and the parameters given
        given = ", ".join(f"{k}={v!r}" for k, v in params.items())
        raise ConfigError(f"task {name!r} with parameters ({given}): {exc}") from exc


__all__ = ["OfflineDataset", "Task", "get_task", "task_names"]

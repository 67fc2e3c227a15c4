"""The whole sweep config checked before Ray starts: every problem, one line each, naming the key.

Two passes. ``field_problems`` looks at the config's own fields (types, bounds, duplicates, budget
names) and runs when a ``SweepConfig`` is built. ``checked_grid`` then expands the grid (task and
method names, task parameters) and resolves every (task, method)'s model, generator and search
configs against the method's config classes, so a bad key or value fails here and not in a Tune
trial after Ray started and the sweep directory was written.
"""

from __future__ import annotations

from typing import Any, Mapping

from dist_ombo.validation import (
    budget_problem, int_problem, mapping_problem, number_problem, raise_problems, seeds_problems,
)
from dist_ombo.errors import DistOmboError

TASK_KEYS = ("name", "params", "label", "methods")
METHOD_KEYS = ("name", "label", "model", "search")
PAIR_KEYS = ("scheme", "search", "label", "model", "search_params")
RESOURCE_KEYS = ("train_actors", "cpus_per_actor", "gpus_per_actor")


def _entry_problems(key: str, entries: Any, valid: tuple[str, ...], mappings: tuple[str, ...],
                    allow_all: bool = False) -> list[str]:
    """``tasks`` / ``methods``: a list whose entries are names or mappings with a ``name``."""
    if allow_all and entries in ("all", ("all",), ["all"]):
        return []
    if not isinstance(entries, (list, tuple)):
        example = "[zdt1, ackley-10]" if key == "tasks" else "[ensemble-nsga2]"
        return [f"{key}: must be a list, e.g. {example}; got {type(entries).__name__} {entries!r}"]
    if not entries:
        return [f"{key}: must hold at least one entry"]
    problems = []
    for i, entry in enumerate(entries):
        where = f"{key}[{i}]"
        if isinstance(entry, str):
            if not entry.strip():
                problems.append(f"{where}: empty name")
            continue
        is_methods = key.endswith("methods")
        pair = is_methods and isinstance(entry, Mapping) and "scheme" in entry
        if pair:
            if not isinstance(entry.get("scheme"), str) or not isinstance(entry.get("search"), str):
                problems.append(f"{where}: a scheme + search entry names both as text, e.g. "
                                f"{{scheme: coms, search: nsga3}}; got {entry!r}")
                continue
        elif not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
            hint = " (or 'scheme' and 'search')" if is_methods else ""
            problems.append(f"{where}: must be a name or a mapping with a 'name'{hint}, got {entry!r}")
            continue
        keys, maps = (PAIR_KEYS, ("model", "search_params")) if pair else (valid, mappings)
        if is_methods and not pair and isinstance(entry.get("search"), str):
            problems.append(f"{where}: 'search' of a preset holds overrides, not a search name; to pair a "
                            f"scheme with a search write {{scheme: S, search: {entry['search']}}}")
            continue
        unknown = sorted(set(entry) - set(keys))
        if unknown:
            problems.append(f"{where}: unknown key(s) {unknown}; valid: {', '.join(keys)}")
        if entry.get("label") is not None and not isinstance(entry["label"], str):
            problems.append(f"{where}.label: must be text, got {entry['label']!r}")
        problems += [p for m in maps if (p := mapping_problem(f"{where}.{m}", entry.get(m), optional=True))]
        if key == "tasks" and entry.get("methods") is not None:  # this task's own methods
            problems += _entry_problems(f"{where}.methods", entry["methods"], METHOD_KEYS, ("model", "search"),
                                        allow_all=True)
    return problems


def _resource_problems(resources: Any) -> list[str | None]:
    problem = mapping_problem("resources", resources)
    if problem:
        return [problem]
    unknown = sorted(set(resources) - set(RESOURCE_KEYS))
    return [
        f"resources: unknown key(s) {unknown}; valid: {', '.join(RESOURCE_KEYS)}" if unknown else None,
        int_problem("resources.train_actors", resources.get("train_actors", 1), minimum=1),
        number_problem("resources.cpus_per_actor", resources.get("cpus_per_actor", 1.0), 0.0, strict=True),
        number_problem("resources.gpus_per_actor", resources.get("gpus_per_actor", 0.0), 0.0, strict=False),
    ]


def field_problems(config: Any) -> list[str | None]:
    """Problems of the config's own fields; nothing here imports a task or trains anything."""
    return [
        None if isinstance(config.name, str) else f"name: must be text, got {config.name!r}",
        *_entry_problems("tasks", config.tasks, TASK_KEYS, ("params",)),
        *_entry_problems("methods", config.methods, METHOD_KEYS, ("model", "search"), allow_all=True),
        *seeds_problems("seeds", config.seeds),
        budget_problem("budget", config.budget),
        mapping_problem("model", config.model),
        mapping_problem("search", config.search),
        int_problem("n_proposals", config.n_proposals, minimum=1, optional=True),
        *_resource_problems(config.resources),
        int_problem("retries", config.retries, minimum=0),
        int_problem("max_concurrent", config.max_concurrent, minimum=1, optional=True),
        mapping_problem("selection", config.selection, optional=True),
    ]


def check_fields(config: Any) -> None:
    raise_problems(field_problems(config), "sweep config")


def checked_grid(config: Any, grid: tuple[list[Any], list[str]]) -> tuple[list[Any], list[str]]:
    """``grid`` (``expand_grid(config)``: points and skipped pairs), returned once every trial's
    configs resolved; otherwise every problem is raised at once.

    Each distinct (task, method) pair is resolved once (seeds share their configs); offline
    selection's search space keys are checked against each model's config class too.
    """
    points, skipped = grid
    problems: list[str | None] = []
    ids: dict[str, str] = {}
    for p in points:
        if p.trial_id in ids and ids[p.trial_id] != f"{p.task_label}|{p.method_label}|{p.trial.seed}":
            problems.append(f"tasks/methods: labels {p.task_label!r} x {p.method_label!r} give the same "
                            f"trial folder {p.trial_id!r} as another entry; give one a different 'label'")
        ids[p.trial_id] = f"{p.task_label}|{p.method_label}|{p.trial.seed}"
    selection = config.selection_config() if config.selection is not None else None
    seen: set[tuple[str, str]] = set()
    for p in points:
        if (p.task_label, p.method_label) in seen:
            continue
        seen.add((p.task_label, p.method_label))
        problems.append(_resolve_problem(p, selection.space if selection else {}))
    raise_problems(problems, "sweep config")
    return points, skipped


def _resolve_problem(point: Any, selection_space: Mapping[str, Any]) -> str | None:
    import dataclasses

    from dist_ombo.pipeline import resolve_configs

    where = f"{point.task_label} x {point.method_label}"
    try:
        spec = point.trial.method_spec()
        resolved = resolve_configs(spec, point.trial.budget, point.trial.model, point.trial.search)
    except DistOmboError as exc:
        return f"{where}: {exc}"
    if selection_space and resolved.model is not None:
        fields = {f.name for f in dataclasses.fields(resolved.model)}
        unknown = sorted(set(selection_space) - fields)
        if unknown:
            return (f"selection.space: key(s) {unknown} are not settings of {spec.scheme!r} "
                    f"(method {point.method_label}); valid: {', '.join(sorted(fields))}")
    return None

"""Sweep configs: methods x tasks x seeds, expanded into one trial config per grid point."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dist_ombo.config import config_from_dict
from dist_ombo.errors import ConfigError, DistOmboError
from dist_ombo.catalog import method_for, method_names
from dist_ombo.runner import TrialConfig, check_compatible
from dist_ombo.tasks import get_task


@dataclass(frozen=True)
class Resources:
    """Per-trial resources: ``train_actors`` actors of ``cpus_per_actor`` CPUs and
    ``gpus_per_actor`` (fractional) GPUs each, reserved as one placement group per trial."""

    train_actors: int = 1
    cpus_per_actor: float = 1.0
    gpus_per_actor: float = 0.0

    def __post_init__(self) -> None:
        if self.train_actors < 1 or self.cpus_per_actor <= 0 or self.gpus_per_actor < 0:
            raise ConfigError(f"impossible resources: {self}")


@dataclass(frozen=True)
class Selection:
    """Offline hyper-parameter selection before the sweep (never on the oracle).

    ``space`` maps surrogate config keys (``lr``, ``hidden``, ``weight_decay``, ...) to the values to
    try (all combinations); ``metric`` is an offline criterion of ``dist_ombo.selection``; the best
    combination per (task, method), averaged over ``seeds`` (default: the sweep's first seed), is
    what the sweep then runs and scores with the oracle.
    """

    space: dict[str, Any] = field(default_factory=dict)
    metric: str = "offline_spearman"
    holdout: float = 0.1
    seeds: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        from dist_ombo.selection import METRICS

        if self.metric not in METRICS:
            raise ConfigError(f"unknown selection metric {self.metric!r}; valid: {', '.join(METRICS)} "
                              "(oracle scores cannot be selection metrics)")
        if not self.space or not all(isinstance(v, list) and v for v in self.space.values()):
            raise ConfigError("selection.space must map config keys to non-empty lists of values")
        if not 0 < self.holdout < 0.5:
            raise ConfigError(f"selection.holdout must be in (0, 0.5), got {self.holdout}")


@dataclass(frozen=True)
class SweepConfig:
    """A sweep: every compatible (task, method, seed). ``tasks`` entries are names (``"zdt1"``,
    ``"ackley-10"``) or ``{name, params, label}``; ``methods`` entries are names,
    ``{name, label, model, search}``, a scheme paired with a search
    ``{scheme, search: <name>, label, model, search_params}``, or the single word ``all`` (every
    preset method). A task entry's own ``methods`` (same forms) replace the sweep's for that task,
    so a sweep over task kinds can hold only the pairs that fit.
    ``model`` / ``search`` apply to every method."""

    name: str = "sweep"
    tasks: tuple[Any, ...] = ()
    methods: tuple[Any, ...] | str = ()
    seeds: tuple[int, ...] = (0, 1, 2)
    budget: str = "cpu"
    model: dict[str, Any] = field(default_factory=dict)
    search: dict[str, Any] = field(default_factory=dict)
    n_proposals: int | None = None
    resources: dict[str, Any] = field(default_factory=dict)
    retries: int = 1
    max_concurrent: int | None = None
    selection: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.methods == "all":
            object.__setattr__(self, "methods", ("all",))
        from dist_ombo.distributed.config_checks import check_fields

        check_fields(self)  # every field problem at once, one line each, before anything runs
        if not self.tasks or not self.methods or not self.seeds:
            raise ConfigError("a sweep needs non-empty 'tasks', 'methods' and 'seeds'")
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", self.name):
            raise ConfigError(f"sweep name {self.name!r} may hold only letters, digits, '_', '.', '-'")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SweepConfig":
        return config_from_dict(cls, data, "sweep config")

    @classmethod
    def from_yaml(cls, path: str | Path) -> "SweepConfig":
        path = Path(path)
        if not path.exists():
            raise ConfigError(f"sweep config {path} does not exist")
        try:
            with open(path, encoding="utf-8") as fh:
                data = yaml.safe_load(fh)
        except yaml.YAMLError as exc:  # the parser's message names the line and column
            raise ConfigError(f"sweep config {path} is not valid YAML: {' '.join(str(exc).split())}") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read sweep config {path}: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"sweep config {path} must be a YAML mapping with tasks, methods, seeds")
        return cls.from_dict(data)

    def selection_config(self) -> Selection | None:
        return None if self.selection is None else config_from_dict(Selection, self.selection, "selection")

    def resources_config(self) -> Resources:
        return config_from_dict(Resources, self.resources, "resources")

    def digest(self) -> str:
        blob = json.dumps(asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:8]


@dataclass(frozen=True)
class GridPoint:
    trial_id: str
    task_label: str
    method_label: str
    trial: TrialConfig


def _task_entry(entry: Any) -> tuple[str, str, dict[str, Any], list[Any] | None]:
    """label, task name, task parameters, and the task's own ``methods`` (``None``: the sweep's)."""
    if isinstance(entry, str):
        return entry, entry, {}, None
    if isinstance(entry, dict) and "name" in entry:
        unknown = set(entry) - {"name", "params", "label", "methods"}
        if unknown:
            raise ConfigError(f"task entry {entry} has unknown keys {sorted(unknown)}; "
                              "valid: name, params, label, methods")
        params = dict(entry.get("params") or {})
        methods = entry.get("methods")
        methods = ["all"] if methods == "all" else methods
        return entry.get("label") or entry["name"], entry["name"], params, None if methods is None else list(methods)
    raise ConfigError(f"a task entry must be a name or a mapping with 'name', got {entry!r}")


@dataclass(frozen=True)
class MethodEntry:
    """One ``methods`` entry: a preset ``name``, or a ``scheme`` + ``searcher`` pair."""

    label: str
    name: str
    scheme: str | None
    searcher: str | None
    model: dict[str, Any]
    search: dict[str, Any]


def _method_entry(entry: Any) -> MethodEntry:
    if isinstance(entry, str):
        return MethodEntry(entry, entry, None, None, {}, {})
    if isinstance(entry, dict) and "name" in entry:
        unknown = set(entry) - {"name", "label", "model", "search"}
        if unknown or isinstance(entry.get("search"), str):
            raise ConfigError(f"method entry {entry} has unknown keys {sorted(unknown)} or a search name; a preset "
                              "takes name, label, model, search (overrides); a pair takes scheme, search, label, "
                              "model, search_params")
        return MethodEntry(entry.get("label") or entry["name"], entry["name"], None, None,
                           dict(entry.get("model") or {}), dict(entry.get("search") or {}))
    if isinstance(entry, dict) and "scheme" in entry:
        unknown = set(entry) - {"scheme", "search", "label", "model", "search_params"}
        if unknown or not isinstance(entry.get("search"), str):
            raise ConfigError(f"method entry {entry} pairs a scheme with a search: it takes scheme, search (a "
                              f"search name), label, model, search_params; unknown keys: {sorted(unknown)}")
        label = entry.get("label") or f"{entry['scheme']}-{entry['search']}"
        return MethodEntry(label, label, str(entry["scheme"]), entry["search"], dict(entry.get("model") or {}),
                           dict(entry.get("search_params") or {}))
    raise ConfigError(f"a method entry must be a name or a mapping with 'name' (or 'scheme' and 'search'), "
                      f"got {entry!r}")


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


def expand_grid(config: SweepConfig) -> tuple[list[GridPoint], list[str]]:
    """All compatible (task, method, seed) trials, and a note per skipped (task, method) pair.

    Names are checked here, before anything runs: an unknown task or method fails the sweep at once.
    """
    res = config.resources_config()
    points: list[GridPoint] = []
    skipped: list[str] = []
    labels: set[tuple[str, str]] = set()
    for t_entry in config.tasks:
        t_label, t_name, t_params, t_methods = _task_entry(t_entry)
        task = get_task(t_name, **t_params)
        method_entries = list(config.methods if t_methods is None else t_methods)
        if method_entries == ["all"]:  # every registered method; incompatible pairs are skipped below
            method_entries = method_names()
        for m_entry in method_entries:
            m = _method_entry(m_entry)
            m_label = m.label
            spec = method_for(m.name, m.scheme, m.searcher)
            try:
                check_compatible(task, spec)
            except ConfigError as exc:
                skipped.append(f"{t_label} x {m_label}: {exc}")
                continue
            if (t_label, m_label) in labels:
                raise ConfigError(f"duplicate (task, method) labels {(t_label, m_label)}: give entries a 'label'")
            labels.add((t_label, m_label))
            for seed in config.seeds:
                trial = TrialConfig(
                    task=t_name, method=m.name, seed=int(seed), budget=config.budget, task_params=t_params,
                    model={**config.model, **m.model}, search={**config.search, **m.search},
                    scheme=m.scheme, searcher=m.searcher,
                    n_proposals=config.n_proposals, train_actors=res.train_actors,
                    cpus_per_actor=res.cpus_per_actor, gpus_per_actor=res.gpus_per_actor,
                )
                trial_id = f"{_safe(t_label)}__{_safe(m_label)}__seed{int(seed)}"
                points.append(GridPoint(trial_id, t_label, m_label, trial))
    if not points:
        raise DistOmboError("the sweep has no compatible (task, method) pair: " + "; ".join(skipped))
    return points, skipped


DEFAULT_TASKS = ("zdt1", "re21", "ackley-10", "ehrlich")
DEFAULT_METHODS = ("ensemble-nsga2", "multihead-nsga2", "ensemble-ga", "ensemble-cmaes", "ensemble-grad")


def default_sweep_config() -> SweepConfig:
    """The README's main job: a small but real sweep over four task kinds (multi- and
    single-objective, continuous and discrete), 3 seeds. Each task runs the default methods that fit
    it, as the catalog's checks decide, so the default sweep holds no incompatible pair."""
    tasks = []
    for name in DEFAULT_TASKS:
        task = get_task(name)
        tasks.append({"name": name, "methods": [m for m in DEFAULT_METHODS if _fits(task, m)]})
    return SweepConfig(name="default", tasks=tuple(tasks), methods=DEFAULT_METHODS, seeds=(0, 1, 2), budget="cpu")


def _fits(task: Any, method: str) -> bool:
    try:
        check_compatible(task, method_for(method, None, None))
    except ConfigError:
        return False
    return True

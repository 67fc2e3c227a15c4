"""What a training scheme, a search and a method are, as plain data.

A leaf module: it imports nothing of the method families (models, generators, searches), so the
catalog (``dist_ombo.catalog``) can name every method without importing torch, and no family
needs the catalog to define itself. Code is named by lazy references, ``"module:attribute"``
strings resolved on first use (pymoo's ``get_problem`` keeps its imports local for the same reason).
"""

from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Mapping

from dist_ombo.config import config_from_dict

#: What a task asks of a method: its kind ("moo" or "soo").
TASK_KINDS = ("moo", "soo")


@lru_cache(maxsize=None)
def resolve(ref: str) -> Any:
    """The object a ``"package.module:attribute"`` reference names (imported on first use)."""
    module, _, attribute = ref.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attribute.split("."):
        obj = getattr(obj, part)
    return obj


@dataclass(frozen=True)
class Scheme:
    """A named way to train a model. ``role``: ``"surrogate"`` (predicts objectives; every
    surrogate here is an ensemble with ``predict``, ``predict_torch`` and ``encode``) or
    ``"generator"`` (samples designs). ``splittable``: the config has ``n_members`` and groups of
    members trained apart can be merged by ``merge`` (ensembles), so actors can share the work.
    ``objectives`` / ``discrete``: the task kinds and design kinds the scheme makes sense for."""

    name: str
    config: str  # reference to the config dataclass
    fit_ref: str  # ``fit(problem: OfflineProblem, config, seed, progress) -> model``
    from_state_ref: str  # ``from_state(state: dict) -> model``
    description: str = ""
    role: str = "surrogate"
    splittable: bool = False
    merge_ref: str | None = None  # ``merge(states: list[dict]) -> dict``
    objectives: tuple[str, ...] = TASK_KINDS
    discrete: bool = True
    split_objectives: bool = False  # the config has ``objectives``: groups of objectives fit apart (GPs)

    @property
    def config_cls(self) -> type:
        return resolve(self.config)

    @property
    def fit(self) -> Callable[..., Any]:
        return resolve(self.fit_ref)

    @property
    def from_state(self) -> Callable[[Mapping[str, Any]], Any]:
        return resolve(self.from_state_ref)

    @property
    def merge(self) -> Callable[[list[Mapping[str, Any]]], dict[str, Any]] | None:
        return None if self.merge_ref is None else resolve(self.merge_ref)

    def train(self, problem: Any, config: Any, seed: int, progress: Any = None) -> Any:
        """Fit a model of this scheme on an ``OfflineProblem``."""
        return self.fit(problem, config, seed, progress)

    def make_config(self, budget: Mapping[str, Any], overrides: Mapping[str, Any]) -> Any:
        """Budget keys the config does not have are ignored (a budget spans schemes); override keys
        must all be known."""
        names = {f.name for f in dataclasses.fields(self.config_cls)}
        merged = {k: v for k, v in budget.items() if k in names}
        merged.update(overrides)
        return config_from_dict(self.config_cls, merged, f"{self.name} config")


@dataclass(frozen=True)
class Searcher:
    """A named search: the code that turns trained models and the offline data into proposals
    (``run(ctx: SearchContext, config) -> (proposals, n_surrogate_evals)``), preset settings of its
    config (e.g. ``{"algorithm": "nsga3"}``), and what it needs. ``model``: ``"surrogate"`` (any
    surrogate scheme) or ``None`` (uses no model); ``generator``: the generator scheme trained
    beside the surrogate, if any. ``budget_key``: the section of a budget with its settings."""

    name: str
    config: str  # reference to the config dataclass
    run_ref: str
    description: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    budget_key: str = ""  # default: the search's name
    steps_field: str = "n_gen"  # the config field counted by the progress bar
    objectives: tuple[str, ...] = TASK_KINDS
    discrete: bool = True
    model: str | None = "surrogate"
    generator: str | None = None
    max_objectives: int | None = None  # most objectives the search handles (None: any)

    @property
    def config_cls(self) -> type:
        return resolve(self.config)

    @property
    def run(self) -> Callable[["SearchContext", Any], tuple[Any, int]]:
        return resolve(self.run_ref)

    @property
    def budget_section(self) -> str:
        return self.budget_key or self.name


@dataclass(frozen=True)
class MethodSpec:
    """A method: a training scheme (``None``: no model at all) paired with a search, plus settings
    of both. ``objectives``, ``discrete``, ``generator`` and ``kind`` follow from the pair (the
    catalog fills them in); ``model`` / ``search_params`` are the method's config defaults on top
    of the budget's and the search's presets."""

    name: str
    description: str
    scheme: str | None
    search: str
    objectives: tuple[str, ...]
    discrete: bool = True
    generator: str | None = None
    kind: str = "surrogate"  # surrogate | generative | model-free: how `dist-ombo methods` groups it
    model: dict[str, Any] = field(default_factory=dict)
    search_params: dict[str, Any] = field(default_factory=dict)
    max_objectives: int | None = None  # most objectives the method handles (None: any)

    def public(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "objectives": list(self.objectives),
            "discrete": self.discrete,
            "scheme": self.scheme,
            "generator": self.generator,
            "search": self.search,
            "description": self.description,
        }


@dataclass
class SearchContext:
    """What a search may use: trained models, the offline problem, budget, seed. No task, no
    oracle. ``models`` holds extra trained models by role (e.g. ``"generator"``)."""

    surrogate: Any
    problem: Any  # dist_ombo.problem.OfflineProblem
    n_proposals: int
    seed: int
    progress: Callable[[int, int], None] | None = None
    models: dict[str, Any] = field(default_factory=dict)

    # The problem's arrays by their short names, as searches read them.
    @property
    def X(self) -> Any:
        return self.problem.X

    @property
    def Y(self) -> Any:
        return self.problem.Y

    @property
    def lower(self) -> Any:
        return self.problem.lower

    @property
    def upper(self) -> Any:
        return self.problem.upper

    @property
    def n_categories(self) -> int | None:
        return self.problem.n_categories

    @property
    def design_kind(self) -> str:
        return self.problem.design_kind

"""The one join for methods: a method name maps to its surrogate training scheme, its search and
their default configs. Budgets (``reference``, ``cpu``, ``smoke``) scale both and are recorded
with every result so numbers from different budgets never mix silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dist_ombo.errors import ConfigError, UnknownNameError


@dataclass(frozen=True)
class MethodSpec:
    """What a method is: the scheme that trains its surrogate (``None``: no model at all), an
    optional generator scheme trained beside it, and the search that uses them."""

    name: str
    description: str
    objectives: tuple[str, ...]  # subset of ("moo", "soo")
    search: str  # a name in dist_ombo.search.registry
    discrete: bool = True  # works on discrete (token) designs
    scheme: str | None = "ensemble"  # a name in dist_ombo.models.registry
    model: dict[str, Any] = field(default_factory=dict)  # scheme config defaults of the method
    search_params: dict[str, Any] = field(default_factory=dict)
    generator: str | None = None  # a generator scheme trained beside the surrogate
    generator_params: dict[str, Any] = field(default_factory=dict)
    kind: str = "surrogate"  # surrogate | generative | model-free: how `dist-ombo methods` groups it
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


#: Budgets: settings per scale, keyed by "model" (applied to every surrogate scheme's config, keys it
#: lacks ignored), "generator" (likewise for generator schemes) and each search's name.
#: ``reference`` is Off-MOO-Bench's / Design-Bench's (2x2048 MLPs, 200 epochs; NSGA-II 256 x 50;
#: 200 gradient steps): ~1 h per model on one CPU thread, seconds on a GPU. ``cpu`` is our declared
#: laptop budget; ``smoke`` is for tests.
BUDGETS: dict[str, dict[str, dict[str, Any]]] = {
    "reference": {
        "model": {"hidden": (2048, 2048), "epochs": 200, "batch_size": 128, "max_steps": None},
        "evolutionary": {"pop_size": 256, "n_gen": 50},
        "gradient": {"steps": 200},
    },
    "cpu": {
        "model": {"hidden": (256, 256), "epochs": 20, "batch_size": 128, "max_steps": 2000},
        "evolutionary": {"pop_size": 256, "n_gen": 50},
        "gradient": {"steps": 200},
    },
    "smoke": {
        "model": {"n_members": 2, "hidden": (32, 32), "epochs": 5, "batch_size": 64, "max_steps": 60},
        "evolutionary": {"pop_size": 32, "n_gen": 4},
        "gradient": {"steps": 10},
    },
}


def _evo(name: str, algorithm: str, objectives: tuple[str, ...], description: str, **model: Any) -> MethodSpec:
    return MethodSpec(
        name=name, description=description, objectives=objectives, search="evolutionary",
        model=dict(model), search_params={"algorithm": algorithm},
    )


_CORE: list[MethodSpec] = [
    _evo("ensemble-nsga2", "nsga2", ("moo",),
         "Off-MOO-Bench 'multiple models' (one MLP ensemble per objective) + NSGA-II"),
    _evo("ensemble-nsga3", "nsga3", ("moo",), "multiple-models ensemble + NSGA-III"),
    _evo("ensemble-moead", "moead", ("moo",), "multiple-models ensemble + MOEA/D"),
    _evo("ensemble-smsemoa", "smsemoa", ("moo",), "multiple-models ensemble + SMS-EMOA"),
    _evo("multihead-nsga2", "nsga2", ("moo",),
         "Off-MOO-Bench 'multi-head' (shared trunk, summed loss) ensemble + NSGA-II", head="multihead"),
    _evo("ensemble-ga", "ga", ("soo",), "MLP ensemble + pymoo GA seeded with the best designs"),
    MethodSpec(
        name="ensemble-cmaes", description="MLP ensemble + CMA-ES from the best design (continuous only)",
        objectives=("soo",), search="evolutionary", discrete=False,
        search_params={"algorithm": "cmaes", "pop_size": 128},
    ),
    MethodSpec(
        name="ensemble-grad", description="Design-Bench 'Grad': gradient ascent on the ensemble mean "
        "from the top designs (logit relaxation for discrete designs)",
        objectives=("soo",), search="gradient",
    ),
]

_METHODS: dict[str, MethodSpec] = {}


def _load() -> dict[str, MethodSpec]:
    if not _METHODS:
        from dist_ombo import bo, generative
        from dist_ombo.models import robust

        for spec in [*_CORE, *robust.METHODS, *generative.METHODS, *bo.METHODS]:
            if spec.name in _METHODS:
                raise ValueError(f"method {spec.name!r} is defined twice")
            _METHODS[spec.name] = spec
    return _METHODS


def method_names() -> list[str]:
    return list(_load())


def get_method(name: str) -> MethodSpec:
    methods = _load()
    key = name.strip().lower()
    if key not in methods:
        raise UnknownNameError(f"unknown method {name!r}; valid methods: {', '.join(methods)}")
    return methods[key]


def get_budget(name: str) -> dict[str, dict[str, Any]]:
    """The budget's settings, with those of the method families' own searches (and generators)
    merged in from their ``BUDGETS`` dicts (same shape as ``BUDGETS``)."""
    if name not in BUDGETS:
        raise UnknownNameError(f"unknown budget {name!r}; valid budgets: {', '.join(BUDGETS)}")
    from dist_ombo import bo, generative
    from dist_ombo.models import robust

    merged = {key: dict(settings) for key, settings in BUDGETS[name].items()}
    for family in (robust, generative, bo):
        for key, settings in getattr(family, "BUDGETS", {}).get(name, {}).items():
            merged[key] = {**merged.get(key, {}), **settings}
    return merged


class TooManyObjectivesError(ConfigError):
    """A method was asked for more objectives than it handles; the message lists those that fit."""


def check_objective_count(spec: MethodSpec, n_obj: int, kind: str = "moo") -> None:
    """Raise ``TooManyObjectivesError`` naming the methods that fit if ``spec`` cannot take
    ``n_obj`` objectives (before any training)."""
    if spec.max_objectives is None or n_obj <= spec.max_objectives:
        return
    fit = [s.name for s in _load().values()
           if kind in s.objectives and (s.max_objectives is None or n_obj <= s.max_objectives)]
    raise TooManyObjectivesError(
        f"method {spec.name!r} handles at most {spec.max_objectives} objectives, got {n_obj}; "
        f"methods for {n_obj} objectives: {', '.join(fit)}"
    )

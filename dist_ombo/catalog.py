"""Every training scheme, search, budget and method, as data: the one join for methods.

A method is a preset: a scheme (how the surrogate is trained; ``None``: no model), a search (how
proposals are found) and settings of both. Any scheme pairs with any search that fits its model and
the task kind (``compose``), so ``{scheme: coms, search: nsga3}`` needs no code. Code is named by
lazy references (``dist_ombo.specs.resolve``): reading this file imports neither torch nor ray, and
no family imports it back, so there is no import cycle.

Budgets (``reference``, ``cpu``, ``smoke``) scale both and are recorded with every result so
numbers from different budgets never mix silently.
"""

from __future__ import annotations

from typing import Any

from dist_ombo.bo.budgets import BUDGETS as _BO_BUDGETS
from dist_ombo.errors import ConfigError, UnknownNameError
from dist_ombo.specs import TASK_KINDS, MethodSpec, Scheme, Searcher

MOO, SOO, BOTH = ("moo",), ("soo",), TASK_KINDS

# ----------------------------------------------------------------------------- schemes

_ENSEMBLE_STATE = "dist_ombo.models.ensemble:EnsembleSurrogate.from_state"


def _robust(name: str, module: str, config: str, fit: str, description: str,
            objectives: tuple[str, ...] = BOTH, from_state: str = _ENSEMBLE_STATE) -> Scheme:
    return Scheme(name, f"dist_ombo.models.robust.{module}:{config}", f"dist_ombo.models.robust.{module}:{fit}",
                  from_state, description, objectives=objectives)


def _generator(name: str, module: str, config: str, fit: str, from_state: str, description: str) -> Scheme:
    return Scheme(name, f"dist_ombo.generative.{module}:{config}", f"dist_ombo.generative.{module}:{fit}",
                  f"dist_ombo.generative.{module}:{from_state}", description, role="generator")


SCHEMES: dict[str, Scheme] = {s.name: s for s in [
    Scheme("ensemble", "dist_ombo.models.ensemble:EnsembleConfig", "dist_ombo.models.ensemble:fit_ensemble",
           _ENSEMBLE_STATE, "deep ensemble of MLPs, MSE on min-max normalized y (Off-MOO-Bench reference)",
           splittable=True, merge_ref="dist_ombo.models.merge:merge_states"),
    _robust("gradnorm", "multitask", "GradNormConfig", "fit_gradnorm",
            "multi-head ensemble, GradNorm loss weights (Chen et al. 2018)", objectives=MOO),
    _robust("pcgrad", "multitask", "PcGradConfig", "fit_pcgrad",
            "multi-head ensemble, PcGrad gradient projection (Yu et al. 2020)", objectives=MOO),
    # Off-MOO-Bench "End-to-End": one net with m outputs (models/robust/e2e.py says how it differs)
    _robust("e2e", "e2e", "E2EConfig", "fit_e2e", "one MLP with m outputs, summed per-objective MSE "
            "(Off-MOO-Bench End-to-End)", objectives=MOO),
    _robust("e2e-gradnorm", "e2e", "E2EGradNormConfig", "fit_e2e_gradnorm",
            "one MLP with m outputs, GradNorm loss weights on its output layer", objectives=MOO),
    _robust("e2e-pcgrad", "e2e", "E2EPcGradConfig", "fit_e2e_pcgrad",
            "one MLP with m outputs, PcGrad projection of all its gradients", objectives=MOO),
    _robust("coms", "coms", "COMsConfig", "fit_coms",
            "conservative objective models, Lagrangian-tuned penalty (Trabucco et al. 2021)"),
    _robust("roma", "roma", "RoMAConfig", "fit_roma",
            "RoMA pretraining: robust to adversarial weight perturbation (Yu et al. 2021)"),
    _robust("iom", "iom", "IOMConfig", "fit_iom",
            "invariant representation: MMD between data and search designs (Qi et al. 2022)",
            from_state="dist_ombo.models.robust.iom:IOMSurrogate.from_state"),
    _robust("ict", "coteach", "ICTConfig", "fit_ict",
            "importance-aware co-teaching of 3 models per objective (Yuan et al. 2023)"),
    _robust("tri-mentoring", "coteach", "TriMentoringConfig", "fit_tri_mentoring",
            "3 models per objective mentored by majority-vote rankings (Chen et al. 2023)"),
    _robust("rank", "rank", "RankConfig", "fit_rank", "learning to rank: ListNet / RankNet losses (Tan et al. 2025)"),
    Scheme("gp", "dist_ombo.bo.gp:GPConfig", "dist_ombo.bo.gp:fit_gp", "dist_ombo.bo.gp:GPSurrogate.from_state",
           "one exact GP per objective (BoTorch SingleTaskGP) on the best designs by NDS", role="gp",
           merge_ref="dist_ombo.bo.gp:merge_gp_states", split_objectives=True, objectives=MOO, discrete=False),
    _generator("cbas", "vae", "CbASConfig", "fit_cbas", "cbas_from_state",
               "CbAS prior: VAE of designs fitted to the data reweighted toward good designs"),
    _generator("cvae", "vae", "CVAEConfig", "fit_cvae", "cvae_from_state",
               "VAE of designs conditioned on their objectives"),
    _generator("ddom", "diffusion", "DDOMConfig", "fit_ddom", "DDOMGenerator.from_state",
               "DDOM: objective-conditioned diffusion model, reweighted toward good designs"),
    _generator("paretoflow", "flow", "FlowConfig", "fit_flow", "FlowGenerator.from_state",
               "flow-matching model of designs (ParetoFlow's generator)"),
]}

# ----------------------------------------------------------------------------- searches

_EVO = ("dist_ombo.search.evolutionary:EvolutionConfig", "dist_ombo.search.evolutionary:run")
_GEN = "dist_ombo.generative.search"


def _evolutionary(algorithm: str, objectives: tuple[str, ...], description: str, discrete: bool = True) -> Searcher:
    return Searcher(algorithm, *_EVO, description, params={"algorithm": algorithm}, budget_key="evolutionary",
                    objectives=objectives, discrete=discrete)


def _sampling(name: str, config: str, run: str, steps_field: str, description: str, generator: str = "",
              objectives: tuple[str, ...] = BOTH, **params: Any) -> Searcher:
    generator = generator or name
    return Searcher(name, f"{_GEN}:{config}", f"{_GEN}:{run}", description, params=params, budget_key=generator,
                    steps_field=steps_field, objectives=objectives, generator=generator)


SEARCHES: dict[str, Searcher] = {s.name: s for s in [
    _evolutionary("nsga2", MOO, "pymoo NSGA-II from the best designs (Off-MOO-Bench: 256 x 50 generations)"),
    _evolutionary("nsga3", MOO, "pymoo NSGA-III on Das-Dennis reference directions"),
    _evolutionary("moead", MOO, "pymoo MOEA/D on Das-Dennis reference directions"),
    _evolutionary("smsemoa", MOO, "pymoo SMS-EMOA (hypervolume-contribution selection)"),
    _evolutionary("ga", SOO, "pymoo GA seeded with the best designs"),
    _evolutionary("cmaes", SOO, "pymoo CMA-ES from the best design (continuous only)", discrete=False),
    Searcher("grad", "dist_ombo.search.gradient:GradientConfig", "dist_ombo.search.gradient:run",
             "Design-Bench 'Grad': gradient descent on the model from the best designs (logit relaxation "
             "for discrete designs)", budget_key="gradient", steps_field="steps", objectives=SOO),
    Searcher("roma", "dist_ombo.models.robust.roma:RoMASearchConfig", "dist_ombo.models.robust.roma:run_roma_search",
             "RoMA's adapt-then-step gradient search", steps_field="updates", objectives=SOO),
    Searcher("pgs", "dist_ombo.search.pgs:PGSConfig", "dist_ombo.search.pgs:run",
             "PGS: CQL-trained policy picks per-dimension step sizes of gradient search (MOO: per simplex "
             "weight vector)", steps_field="steps"),
    Searcher("model-free-ga", "dist_ombo.search.model_free:ModelFreeConfig", "dist_ombo.search.model_free:run",
             "one round of GA crossover/mutation of the dataset's best designs (no model)", steps_field="steps",
             model=None),
    *[Searcher(name, "dist_ombo.bo.acquisition:BOSearchConfig", "dist_ombo.bo.acquisition:run_bo", about,
               params={"acquisition": name}, steps_field="steps", objectives=MOO, discrete=False, model="gp",
               max_objectives=most) for name, most, about in [
        ("qnehvi", 4, "BoTorch qLogNEHVI on the GPs, proposals in greedy batches"),
        ("parego", 3, "ParEGO: BoTorch qLogNEI of a random Chebyshev scalarization per greedy step"),
        ("jes", 3, "BoTorch lower-bound joint entropy search on the GPs")]],
    _sampling("cbas", "CbASSearchConfig", "run_cbas", "iterations",
              "CbAS: VAE refit on its samples weighted by P(surrogate beats a rising quantile); NDS ranking"),
    _sampling("cvae", "CVAESearchConfig", "run_cvae", "n_samples",
              "conditional VAE sampled at the data's best objective values; NDS ranking"),
    _sampling("ddom", "DDOMSearchConfig", "run_ddom", "steps",
              "DDOM samples with classifier-free guidance at the data's best values; NDS ranking"),
    _sampling("paretoflow", "ParetoFlowSearchConfig", "run_paretoflow", "steps",
              "ParetoFlow: flow sampling guided by the surrogate under simplex weight vectors"),
    _sampling("ddom-nsga2", "DDOMSearchConfig", "run_ddom", "steps", "DDOM samples seed NSGA-II on the surrogate",
              generator="ddom", objectives=MOO, seed_pymoo=True, algorithm="nsga2"),
    _sampling("ddom-ga", "DDOMSearchConfig", "run_ddom", "steps", "DDOM samples seed a GA on the surrogate",
              generator="ddom", objectives=SOO, seed_pymoo=True, algorithm="ga"),
    _sampling("paretoflow-nsga2", "ParetoFlowSearchConfig", "run_paretoflow", "steps",
              "ParetoFlow's Pareto set seeds NSGA-II on the surrogate", generator="paretoflow", objectives=MOO,
              seed_pymoo=True, algorithm="nsga2"),
    _sampling("paretoflow-ga", "ParetoFlowSearchConfig", "run_paretoflow", "steps",
              "ParetoFlow samples seed a GA on the surrogate", generator="paretoflow", objectives=SOO,
              seed_pymoo=True, algorithm="ga"),
]}

# ----------------------------------------------------------------------------- budgets

#: Settings per budget, keyed by ``"model"`` (every surrogate scheme's config; keys it lacks are
#: ignored), ``"generator"`` (likewise for generator schemes) and each search's budget section.
#: ``reference`` is Off-MOO-Bench's / Design-Bench's (2x2048 MLPs, 200 epochs; NSGA-II 256 x 50;
#: 200 gradient steps; the robust searches' config defaults, the papers'; DDOM and ParetoFlow 1000
#: epochs and sampling steps, CbAS 50 refit iterations): ~1 h per model on one CPU thread, seconds
#: on a GPU. ``cpu`` is our declared laptop budget (fewer RoMA adaptation steps; RoMA's weight
#: perturbation in 10 steps instead of 20, chosen on held-out tasks by ``benchmarks/robust_budgets.py``;
#: a smaller CQL run for PGS); ``smoke`` is for tests.
_SMOKE_SAMPLING = {"n_samples": 128, "pop_size": 32, "n_gen": 4}
BUDGETS: dict[str, dict[str, dict[str, Any]]] = {
    "reference": {
        "model": {"hidden": (2048, 2048), "epochs": 200, "batch_size": 128, "max_steps": None},
        "evolutionary": {"pop_size": 256, "n_gen": 50},
        "gradient": {"steps": 200},
        "roma": {}, "pgs": {}, "model-free-ga": {},
        # CbAS's reference pretraining is 200 epochs; the key is shared, so it gets DDOM's 1000.
        "generator": {"epochs": 1000, "max_steps": None, "batch_size": 128},
        "cbas": {"iterations": 50, "online_samples": 1000, "online_epochs": 10, "pop_size": 256, "n_gen": 50},
        "cvae": {"pop_size": 256, "n_gen": 50}, "ddom": {"steps": 1000, "pop_size": 256, "n_gen": 50},
        "paretoflow": {"steps": 1000, "pop_size": 256, "n_gen": 50},
    },
    "cpu": {
        "model": {"hidden": (256, 256), "epochs": 20, "batch_size": 128, "max_steps": 2000,
                  "perturb_steps": 10},  # RoMA only (the other schemes have no such key)
        "evolutionary": {"pop_size": 256, "n_gen": 50},
        "gradient": {"steps": 200},
        "roma": {"adapt_steps": 20},
        "pgs": {"rl_steps": 1000, "cql_samples": 4, "batch_size": 128},
        "model-free-ga": {},
        "generator": {"epochs": 50, "max_steps": 3000, "batch_size": 128},
        "cbas": {"iterations": 20, "pop_size": 256, "n_gen": 50},
        "cvae": {"pop_size": 256, "n_gen": 50}, "ddom": {"steps": 200, "pop_size": 256, "n_gen": 50},
        "paretoflow": {"steps": 200, "pop_size": 256, "n_gen": 50},
    },
    "smoke": {
        "model": {"n_members": 2, "hidden": (32, 32), "epochs": 5, "batch_size": 64, "max_steps": 60},
        "evolutionary": {"pop_size": 32, "n_gen": 4},
        "gradient": {"steps": 10},
        "roma": {"updates": 5, "adapt_steps": 2},
        "pgs": {"rl_steps": 10, "n_trajectories": 16, "trajectory_length": 5, "steps": 5, "hidden": (32, 32),
                "batch_size": 32, "cql_samples": 2, "n_weights": 4},
        "model-free-ga": {},
        "generator": {"hidden": (32, 32), "latent": 4, "epochs": 2, "max_steps": 30, "batch_size": 64},
        "cbas": {"iterations": 2, "online_samples": 128, "online_epochs": 1, **_SMOKE_SAMPLING},
        "cvae": dict(_SMOKE_SAMPLING),
        "ddom": {"steps": 8, **_SMOKE_SAMPLING},
        "paretoflow": {"steps": 8, **_SMOKE_SAMPLING, "n_samples": 64},
    },
}

# The BO searches' settings per budget live, with their reasons, in bo/budgets.py (plain data).
for _name, _settings in _BO_BUDGETS.items():
    for _key, _values in _settings.items():
        BUDGETS[_name][_key] = {**BUDGETS[_name].get(_key, {}), **_values}

# ----------------------------------------------------------------------------- composition


def _lookup(table: dict[str, Any], name: str, what: str, plural: str) -> Any:
    key = str(name).strip().lower()
    if key not in table:
        raise UnknownNameError(f"unknown {what} {name!r}; valid {plural}: {', '.join(table)}")
    return table[key]


def get_scheme(name: str) -> Scheme:
    return _lookup(SCHEMES, name, "training scheme", "schemes")


def get_searcher(name: str) -> Searcher:
    return _lookup(SEARCHES, name, "search", "searches")


def get_budget(name: str) -> dict[str, dict[str, Any]]:
    """A copy of the budget's settings (callers may change it)."""
    budget = _lookup(BUDGETS, name, "budget", "budgets")
    return {key: dict(settings) for key, settings in budget.items()}


def _scheme_or_none(name: str | None) -> Scheme | None:
    return None if name is None or str(name).strip().lower() == "none" else get_scheme(name)


def _misfit(scheme: Scheme | None, search: Searcher) -> str | None:
    """Why the search cannot use what the scheme trains (``None``: it can)."""
    if search.model is None:
        return None if scheme is None else f"search {search.name!r} uses no model (pair it with scheme 'none')"
    if scheme is None:
        return f"search {search.name!r} needs a surrogate; scheme 'none' trains none"
    if scheme.role != search.model:
        return f"scheme {scheme.name!r} trains a {scheme.role}; search {search.name!r} needs a {search.model}"
    if not set(scheme.objectives) & set(search.objectives):
        return (f"scheme {scheme.name!r} is for {'/'.join(scheme.objectives)} tasks, search {search.name!r} "
                f"for {'/'.join(search.objectives)}")
    return None


def fitting_searches(scheme: str | None, kind: str | None = None, discrete: bool = False) -> list[str]:
    """The searches that pair with ``scheme`` (``None``: no model), optionally for a task kind and
    design kind."""
    s = _scheme_or_none(scheme)
    names = []
    for search in SEARCHES.values():
        if _misfit(s, search) is not None:
            continue
        objectives = set(search.objectives) & set(s.objectives if s else TASK_KINDS)
        if kind is not None and kind not in objectives:
            continue
        if discrete and not (search.discrete and (s is None or s.discrete)):
            continue
        names.append(search.name)
    return names


def compose(scheme: str | None, search: str, name: str | None = None, description: str = "",
            model: dict[str, Any] | None = None, search_params: dict[str, Any] | None = None) -> MethodSpec:
    """A method from a scheme (``None`` or ``"none"``: no model) and a search; what they can do
    together (task kinds, discrete designs, generator, kind) follows from the pair. A pair that does
    not fit raises ``ConfigError`` listing the searches that fit the scheme."""
    s = _scheme_or_none(scheme)
    searcher = get_searcher(search)
    problem = _misfit(s, searcher)
    if problem is not None:
        if s is not None and s.role == "generator":
            samplers = [n for n, x in SEARCHES.items() if x.generator == s.name]
            raise ConfigError(f"{problem}; a generator is trained beside a surrogate by the search that samples "
                              f"it: pair a surrogate scheme (e.g. 'ensemble') with {', '.join(samplers)}")
        fits = fitting_searches(None if s is None else s.name)
        raise ConfigError(f"{problem}; searches that fit scheme {s.name if s else 'none'!r}: {', '.join(fits)}")
    objectives = tuple(k for k in TASK_KINDS if k in searcher.objectives and (s is None or k in s.objectives))
    kind = ("model-free" if s is None else "generative" if searcher.generator
            else "bayesian-optimization" if s.role == "gp" else "surrogate")
    label = name or f"{s.name if s else 'none'}-{searcher.name}"
    return MethodSpec(
        name=label, description=description or f"{s.name if s else 'no model'} + {searcher.name}",
        scheme=None if s is None else s.name, search=searcher.name, objectives=objectives,
        discrete=searcher.discrete and (s is None or s.discrete), generator=searcher.generator, kind=kind,
        model=dict(model or {}), search_params=dict(search_params or {}), max_objectives=searcher.max_objectives,
    )


# ----------------------------------------------------------------------------- methods

#: Off-MOO-Bench trains the robust schemes on the best 20% of the data.
_OFFMOO = {"data_fraction": 0.2}

_PRESETS: list[MethodSpec] = [
    # Off-MOO-Bench and Design-Bench baselines on a plain MLP ensemble
    compose("ensemble", "nsga2", "ensemble-nsga2",
            "Off-MOO-Bench 'multiple models' (one MLP ensemble per objective) + NSGA-II"),
    compose("ensemble", "nsga3", "ensemble-nsga3", "multiple-models ensemble + NSGA-III"),
    compose("ensemble", "moead", "ensemble-moead", "multiple-models ensemble + MOEA/D"),
    compose("ensemble", "smsemoa", "ensemble-smsemoa", "multiple-models ensemble + SMS-EMOA"),
    compose("ensemble", "nsga2", "multihead-nsga2",
            "Off-MOO-Bench 'multi-head' (shared trunk, summed loss) ensemble + NSGA-II", model={"head": "multihead"}),
    compose("ensemble", "ga", "ensemble-ga", "MLP ensemble + pymoo GA seeded with the best designs"),
    compose("ensemble", "cmaes", "ensemble-cmaes", "MLP ensemble + CMA-ES from the best design (continuous only)",
            search_params={"pop_size": 128}),
    compose("ensemble", "grad", "ensemble-grad", "Design-Bench 'Grad': gradient ascent on the ensemble mean "
            "from the top designs (logit relaxation for discrete designs)"),
    # MOO: Off-MOO-Bench training schemes + NSGA-II
    compose("gradnorm", "nsga2", "multihead-gradnorm-nsga2", "Off-MOO-Bench 'Multi-Head + GradNorm' + NSGA-II",
            model=_OFFMOO),
    compose("pcgrad", "nsga2", "multihead-pcgrad-nsga2", "Off-MOO-Bench 'Multi-Head + PcGrad' + NSGA-II",
            model=_OFFMOO),
    compose("coms", "nsga2", "coms-nsga2", "Off-MOO-Bench 'Multiple Models + COMs' + NSGA-II", model=_OFFMOO),
    compose("roma", "nsga2", "roma-nsga2",
            "Off-MOO-Bench 'Multiple Models + RoMA' (smoothness-pretrained) + NSGA-II", model=_OFFMOO),
    compose("iom", "nsga2", "iom-nsga2", "Off-MOO-Bench 'Multiple Models + IOM' + NSGA-II", model=_OFFMOO),
    compose("ict", "nsga2", "ict-nsga2", "Off-MOO-Bench 'Multiple Models + ICT' + NSGA-II", model=_OFFMOO),
    compose("tri-mentoring", "nsga2", "tri-mentoring-nsga2",
            "Off-MOO-Bench 'Multiple Models + Tri-Mentoring' + NSGA-II", model=_OFFMOO),
    compose("rank", "nsga2", "rank-nsga2", "learning-to-rank models (ListNet) per objective + NSGA-II"),
    # SOO: Design-Bench style, gradient descent on the trained model from the best designs
    compose("coms", "grad", "coms-grad", "COMs + gradient search from the best designs"),
    compose("roma", "roma", "roma-grad", "RoMA: smoothness pretraining + its adapt-then-step search"),
    compose("iom", "grad", "iom-grad", "IOM + gradient search from the best designs"),
    compose("ict", "grad", "ict-grad", "ICT (co-teaching of 3 models) + gradient search on their mean"),
    compose("tri-mentoring", "grad", "tri-mentoring-grad", "Tri-mentoring (3 models) + gradient search on their mean"),
    compose("rank", "grad", "rank-grad", "learning to rank (ListNet) + gradient search on the scores"),
    compose("coms", "ga", "coms-ga", "COMs + pymoo GA seeded with the best designs"),
    compose("rank", "ga", "rank-ga", "learning to rank + pymoo GA seeded with the best designs"),
    # MOO and SOO
    compose("ensemble", "pgs", "pgs", "PGS: CQL-trained policy picks per-dimension step sizes of gradient search "
            "on the ensemble (MOO: per simplex weight vector)"),
    compose(None, "model-free-ga", "model-free-ga", "no model: one round of GA crossover/mutation of the "
            "dataset's best designs (tournament on measured values)"),
    # generative: a generator trained beside the surrogate, sampled by the search
    compose("ensemble", "cbas", "cbas", "CbAS (Brookes et al. 2019): VAE refit on its samples weighted by "
            "P(surrogate beats a rising quantile) x prior ratio; samples ranked by NDS"),
    compose("ensemble", "cvae", "cvae", "conditional VAE sampled at the data's best objective values; NDS ranking"),
    # DDOM's target_offset 0.3 and ParetoFlow's gamma 128 were chosen on DTLZ2-4 (held out from the
    # judged tasks) by the rule in benchmarks/generator_defaults.py (benchmarks/results/
    # generator_defaults.json; docs/generators.md); CVAE's target_offset stayed 0 by the same rule.
    compose("ensemble", "ddom", "ddom", "DDOM (Krishnamoorthy et al. 2023): reweighted conditional diffusion, "
            "classifier-free guidance 0.3 beyond the data's best values; NDS ranking",
            search_params={"target_offset": 0.3}),
    compose("ensemble", "paretoflow", "paretoflow", "ParetoFlow (Yuan et al. 2025): flow matching guided by the "
            "surrogate (gamma 128) under simplex weight vectors with neighbour sharing",
            search_params={"guidance": 128.0}),
    compose("ensemble", "ddom-nsga2", "ddom-nsga2", "DDOM samples seed the initial population of NSGA-II on the "
            "surrogate"),
    compose("ensemble", "ddom-ga", "ddom-ga", "DDOM samples seed the initial population of a GA on the surrogate"),
    compose("ensemble", "paretoflow-nsga2", "paretoflow-nsga2",
            "ParetoFlow's Pareto set seeds the initial population of NSGA-II on the surrogate"),
    compose("ensemble", "paretoflow-ga", "paretoflow-ga",
            "ParetoFlow samples seed the initial population of a GA on the surrogate"),
    # Off-MOO-Bench's Bayesian-optimization baselines: a GP per objective + a BoTorch acquisition
    compose("gp", "qnehvi", "mobo-qnehvi", "Off-MOO-Bench MOBO: GPs + qLogNEHVI, proposals in greedy batches"),
    compose("gp", "parego", "mobo-parego", "Off-MOO-Bench MOBO-ParEGO: GPs + qLogNEI of a random scalarization"),
    compose("gp", "jes", "mobo-jes", "Off-MOO-Bench MOBO-JES: GPs + lower-bound joint entropy search"),
    # Off-MOO-Bench End-to-End: one network for all objectives, plain / + GradNorm / + PcGrad
    compose("e2e", "nsga2", "e2e-nsga2", "Off-MOO-Bench 'End-to-End' (one MLP, m outputs) + NSGA-II"),
    compose("e2e-gradnorm", "nsga2", "e2e-gradnorm-nsga2", "Off-MOO-Bench 'End-to-End + GradNorm' + NSGA-II",
            model=_OFFMOO),
    compose("e2e-pcgrad", "nsga2", "e2e-pcgrad-nsga2", "Off-MOO-Bench 'End-to-End + PcGrad' + NSGA-II",
            model=_OFFMOO),
]

METHODS: dict[str, MethodSpec] = {}
for _spec in _PRESETS:
    if _spec.name in METHODS:
        raise ValueError(f"method {_spec.name!r} is defined twice")
    METHODS[_spec.name] = _spec


def method_names() -> list[str]:
    return list(METHODS)

def get_method(name: str) -> MethodSpec:
    return _lookup(METHODS, name, "method", "methods")


def method_for(method: str | None, scheme: str | None = None, search: str | None = None) -> MethodSpec:
    """The method a trial names: a preset by name, or ``scheme`` + ``search`` composed (``method``
    is then its label). Unknown names and pairs that do not fit raise with the valid choices."""
    if scheme is None and search is None:
        if not method:
            raise ConfigError("name a method, or a scheme and a search")
        return get_method(method)
    if scheme is None or search is None:
        raise ConfigError(f"name both a scheme and a search (got scheme={scheme!r}, search={search!r}); "
                          f"schemes: none, {', '.join(SCHEMES)}; searches: {', '.join(SEARCHES)}")
    return compose(scheme, search, name=method or None)


def check_task_fit(spec: MethodSpec, kind: str, discrete: bool, task_name: str, n_obj: int | None = None) -> None:
    """Raise ``ConfigError`` when the method cannot run on a task of this kind (and this many
    objectives), naming what fits."""
    problem = None
    if n_obj is not None:
        check_objective_count(spec, n_obj, kind)
    if kind not in spec.objectives:
        problem = f"method {spec.name!r} supports {'/'.join(spec.objectives)} tasks; {task_name!r} is {kind}"
    elif discrete and not spec.discrete:
        problem = f"method {spec.name!r} does not support discrete designs ({task_name!r})"
    if problem is not None:
        fits = fitting_searches(spec.scheme, kind, discrete)
        hint = (f"; searches that fit scheme {spec.scheme or 'none'!r} on it: {', '.join(fits)}" if fits
                else f"; scheme {spec.scheme or 'none'!r} has no search for it")
        raise ConfigError(problem + hint)


class TooManyObjectivesError(ConfigError):
    """A method was asked for more objectives than it handles; the message lists those that fit."""


def check_objective_count(spec: MethodSpec, n_obj: int, kind: str = "moo") -> None:
    """Raise ``TooManyObjectivesError`` naming the methods that fit if ``spec`` cannot take ``n_obj``."""
    if spec.max_objectives is None or n_obj <= spec.max_objectives:
        return
    fit = [m.name for m in METHODS.values()
           if kind in m.objectives and (m.max_objectives is None or n_obj <= m.max_objectives)]
    raise TooManyObjectivesError(
        f"method {spec.name!r} handles at most {spec.max_objectives} objectives, got {n_obj}; "
        f"methods for {n_obj} objectives: {', '.join(fit)}"
    )

"""The Bayesian-optimization baselines of Off-MOO-Bench with BoTorch: MOBO (qNEHVI), MOBO-ParEGO
and MOBO-JES.

A GP per objective is a training scheme (``SCHEMES["gp"]``: fitted like an ensemble, its
objectives split over Ray actors when a trial asks for more than one); each acquisition with its
greedy batch optimization is a search (``SEARCHES["qnehvi"]``, ``["parego"]``, ``["jes"]``); ``METHODS`` pairs them, ``BUDGETS``
sets their cost per budget. BoTorch is imported only when a GP is fitted or searched.
"""

from __future__ import annotations

from dist_ombo.bo.acquisition import ACQUISITIONS, MAX_OBJECTIVES, BOSearchConfig, run_bo
from dist_ombo.bo.budgets import BUDGETS
from dist_ombo.bo.gp import GPConfig, GPSurrogate, fit_gp, merge_gp_states
from dist_ombo.methods import MethodSpec
from dist_ombo.models.registry import Scheme
from dist_ombo.search.registry import Searcher

__all__ = ["BUDGETS", "METHODS", "SCHEMES", "SEARCHES", "GPSurrogate"]

SCHEMES: dict[str, Scheme] = {
    "gp": Scheme("gp", GPConfig, fit_gp, GPSurrogate.from_state, merge=merge_gp_states, split_objectives=True,
                 description="one exact GP per objective (BoTorch SingleTaskGP) on the best designs by NDS"),
}

#: One search per acquisition (same config class), so a budget can size each on its own.
SEARCHES: dict[str, Searcher] = {
    name: Searcher(name, BOSearchConfig, run_bo, steps_field="steps") for name in ACQUISITIONS
}


def _method(name: str, acquisition: str, description: str) -> MethodSpec:
    return MethodSpec(name=name, description=description, objectives=("moo",), search=acquisition, discrete=False,
                      scheme="gp", search_params={"acquisition": acquisition}, kind="bayesian-optimization",
                      max_objectives=MAX_OBJECTIVES[acquisition])


METHODS: list[MethodSpec] = [
    _method("mobo-qnehvi", "qnehvi", "Off-MOO-Bench MOBO: GPs + qLogNEHVI, 256 proposals in greedy batches"),
    _method("mobo-parego", "parego", "Off-MOO-Bench MOBO-ParEGO: GPs + qLogNEI of random Chebyshev "
            "scalarizations, one weight vector per greedy step"),
    _method("mobo-jes", "jes", "Off-MOO-Bench MOBO-JES: GPs + lower-bound joint entropy search"),
]

"""GP and acquisition settings per budget, in the shape of ``dist_ombo.catalog.BUDGETS`` (merged into it there)
(``"model"`` applies to every surrogate scheme, keys a config lacks ignored; ``"qnehvi"``,
``"parego"``, ``"jes"`` to that acquisition's search).

``reference`` is Off-MOO-Bench's MOBO: GPs on the best 256 designs; 256 proposals one at a time
(q = 1, each conditioned on the earlier ones), 10 restarts, 256 raw samples, 128 MC samples, 200
L-BFGS-B iterations; JES samples 10 Pareto sets of 10 points by a 5000-point random search.

``cpu`` is our declared cost on a 2-core machine (measured in ``benchmarks/README.md``): GPs on the
best 128 designs; qNEHVI keeps the 16 best restarts of each q = 1 step (its joint q-batch cost grows
as 2^q), ParEGO optimizes q = 16 jointly and keeps the 2 best restarts (32 per step), JES q = 4
jointly, 2 best restarts, 10 iterations, 4 Pareto sets of 8 points (8 per step: its cost grows with
q and with the sampled Pareto sets it conditions on); fewer raw samples, MC samples and iterations.
``smoke`` is for tests.
"""

from __future__ import annotations

from typing import Any

_REFERENCE = {"q": 1, "restart_candidates": 1, "num_restarts": 10, "raw_samples": 256, "mc_samples": 128,
              "maxiter": 200, "batch_limit": 10}
_CPU = {"raw_samples": 64, "maxiter": 30}
_SMOKE = {"q": 4, "restart_candidates": 2, "num_restarts": 2, "raw_samples": 16, "mc_samples": 8,
          "maxiter": 5, "batch_limit": 2}

BUDGETS: dict[str, dict[str, dict[str, Any]]] = {
    "reference": {
        "model": {"train_size": 256},
        "qnehvi": dict(_REFERENCE),
        "parego": dict(_REFERENCE),
        "jes": {**_REFERENCE, "jes_pareto_samples": 10, "jes_pareto_points": 10, "jes_pop_size": 5000,
                "jes_max_tries": 50},
    },
    "cpu": {
        "model": {"train_size": 128},
        "qnehvi": {**_CPU, "q": 1, "num_restarts": 16, "restart_candidates": 16, "batch_limit": 16,
                   "mc_samples": 16},
        "parego": {**_CPU, "q": 16, "num_restarts": 2, "restart_candidates": 2, "batch_limit": 2,
                   "mc_samples": 32},
        # JES conditions the GPs on every sampled Pareto set: q = 16 jointly took > 100 min per trial
        "jes": {**_CPU, "q": 4, "num_restarts": 2, "restart_candidates": 2, "batch_limit": 2, "raw_samples": 32,
                "maxiter": 10, "jes_pareto_samples": 4, "jes_pareto_points": 8, "jes_pop_size": 1000,
                "jes_max_tries": 10},
    },
    "smoke": {
        "model": {"train_size": 32},
        "qnehvi": dict(_SMOKE),
        "parego": dict(_SMOKE),
        "jes": {**_SMOKE, "jes_pareto_samples": 2, "jes_pareto_points": 4, "jes_pop_size": 200,
                "jes_max_tries": 2},
    },
}

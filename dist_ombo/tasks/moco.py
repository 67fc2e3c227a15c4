"""Off-MOO-Bench's multi-objective combinatorial (MOCO) tasks: MO-TSP, MO-CVRP, MO-KP on permutations.

Tasks ``bi_tsp_{20,50,100,500}``, ``tri_tsp_{20,50,100}``, ``bi_cvrp_{20,50,100}``,
``bi_kp_{50,100,200}`` (Xue et al., ICML 2024; lamda-bbo/offline-moo). A design is a permutation
of ``0..dim-1`` (``design_kind == "permutation"``); all objectives are minimized.

**Instances.** The reference draws each instance once with ``torch.rand`` and ships it as a
``*.pt`` file (``off_moo_bench/problem/comb_opt/``, commit a960f6f1). We load those tensors once and
ship them as ``data/moco/<task>.npy`` (float32, unchanged values), each checked against its SHA-256
below when loaded, so the oracles score the very instances the published numbers come from. CVRP
is stored as ``(n + 1, 3)`` rows ``[x, y, demand]`` with the depot first (demand 0).

**Oracles** (written from the reference's ``mo_tsp.py``, ``mo_tsp_3obj.py``, ``mo_cvrp.py``,
``mo_kp.py``; float64 here, float32 there):

* MO-TSP: objective ``j`` is the length of the closed tour through the ``n`` cities in the
  order of the permutation, in the ``j``-th coordinate space (columns ``2j, 2j+1`` of the instance).
  tri_tsp as the reference computes it: its second objective slices columns ``2:`` (four of them),
  so it is the tour length in a 4-D space of columns 2-5, not columns 2-3. We keep that, so the
  reference's nadir/ideal points and published numbers apply (its ideal point, ~16.8 against ~5.9
  for the others on tri_tsp_50, shows the same).
* MO-CVRP: the permutation covers the depot 0 and the ``n`` customers (``dim = n + 1``). The
  reference inserts a return to the depot before position ``j`` when the remaining load (start 1)
  minus ``demand[j]`` would go negative, **with ``demand`` indexed by the position ``j``, not by the
  node visited there**, and does not subtract ``demand[j]`` after the reset; so the return
  positions are the same for every permutation. We reproduce it exactly (float32 arithmetic) for
  comparability. Objectives: total travel distance of the closed route sequence, and the longest
  single route ("makespan"), both as the reference's cumulative-distance construction gives them.
* MO-KP: items ``[weight, value_1, value_2]``, capacity 12.5 (50 items) or 25 (100, 200). Items
  are packed in permutation order until the first one that does not fit; packing stops there
  (no skipping). Objectives: ``-value_1``, ``-value_2`` of the packed items.

**Offline data** (reference ``data_generation/collect_data.py`` of the first commit, 2b5c6a1):
NSGA-II with population 500, random permutation sampling, order crossover, inversion mutation,
duplicate elimination and, for TSP and CVRP, the start-from-zero repair; the weakened survival
with ``p_worst`` 0 for TSP and CVRP (plain NSGA-II) and 0.15 for KP; generations per run: TSP 3200
/ 8000 / 16000 / 80000 for 20 / 50 / 100 / 500 cities (both TSP families), CVRP 1600 / 4000 / 8000,
KP 200 / 400 / 800. 100,000 designs are drawn uniformly from the recorded populations; the best 40%
by non-dominated sorting are hidden (CVRP: 55%, the reference's ``--filter-ratio 0.55``).

Choices the reference code leaves open (ours):

* Which generations are recorded. The reference records every ``collect_per_iter``-th one, 50 or
  10 for names starting ``motsp``/``mocvrp``/``mokp`` and 1 otherwise, while its task names are
  ``mo_tsp_20`` etc.; and its name checks for the permutation operators use the same prefixes. We
  use the permutation operators and record every ``record_every``-th generation with
  ``record_every = max(1, generations * pop_size // n_total)``: about ``n_total`` rows per run,
  evenly spread over the run (recording every generation of 3200 x 500 would hold 1.6 M rows for
  tsp_20 and 8 M x 100 for tsp_100 before the uniform subsample).
* Runs are seeded from the dataset seed (the reference reseeds with ``np.random.randint(100)``).
* The reference repeats runs until it has ``n_total`` rows; with the defaults one run suffices.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from dist_ombo.errors import ConfigError, TaskInputError
from dist_ombo.models.permutation_encoding import ENCODINGS
from dist_ombo.tasks.base import Task
from dist_ombo.tasks.protocols import split_best_by_nds

DATA_DIR = Path(__file__).parent / "data" / "moco"

#: SHA-256 of each shipped instance file (float32 .npy converted from the reference's .pt).
CHECKSUMS = {
    "bi_tsp_20": "fc38f202944149db3019b2ccb9661b4f358f6472b43cbaa9c78490e6a88f863c",
    "bi_tsp_50": "14a3f07f9f1a397ee09c54e0a0b286e329534282cfc1941f1e6b5cac0172c1a7",
    "bi_tsp_100": "6db4197635a1e62bbeb1c2d145d3345845d76f65aeb3549e9899a5409904865e",
    "bi_tsp_500": "aafc1900e993ff5daa1161495036d3e4648fc43733a160ffed72ad1fbac0ebcb",
    "tri_tsp_20": "ab2f9ba074faf0fec26e321dcb0fabdddaf628b509f80b096ae12ae7e55de9bc",
    "tri_tsp_50": "c995201b9fc347e331fac88303519dfbfee861cfc21b066a65a22bfc813cffd9",
    "tri_tsp_100": "75b59100259b2c760559aaf8e81f794498dce3a36d4d293826ec96492e49e048",
    "bi_cvrp_20": "8af352d197f15afe3cdfd3678db685da825d0386d2bc187a778428eb916f3619",
    "bi_cvrp_50": "23c6b778abb81118c844a5462da74cd9c6c5203750dcdeaaeb5dce9d02ffe97f",
    "bi_cvrp_100": "5b9d371e89b0458d5110d1c67128dc94362bf1ac002632326160004701c9370b",
    "bi_kp_50": "3072a48eb98c6cf08f2453e1784c27418754be1c4a32d89e8d3917e3b8ea7cdf",
    "bi_kp_100": "e3495aa1f41915c91a7d2b665056c73e99e8543d62985b8681382645c933e156",
    "bi_kp_200": "2f568680ab137ecc4d2946e128f33a2e279a95f036e91c7856e4cedac4b8829a",
}

#: Reference nadir / ideal points (``get_nadir_point`` / ``get_ideal_point`` of each class).
NADIR = {
    "bi_tsp_20": [12.23731232, 11.58497334], "bi_tsp_50": [24.1007843, 26.50193977],
    "bi_tsp_100": [48.83366013, 52.39511108], "bi_tsp_500": [236.25364685, 230.09597778],
    "tri_tsp_20": [11.38083839, 16.21029663, 10.02484703],
    "tri_tsp_50": [28.13719368, 39.39593506, 26.49636459],
    "tri_tsp_100": [51.48603821, 76.25702667, 50.1726265],
    "bi_cvrp_20": [12.5288353, 5.61969852], "bi_cvrp_50": [34.34570312, 8.17745972],
    "bi_cvrp_100": [46.15801239, 8.90400982],
    "bi_kp_50": [-3.46616459, -4.13344097], "bi_kp_100": [-9.92121315, -11.35636044],
    "bi_kp_200": [-11.99687481, -12.96243858],
}
IDEAL = {
    "bi_tsp_20": [4.0333252, 3.95475602], "bi_tsp_50": [5.74934673, 6.11038303],
    "bi_tsp_100": [8.31447029, 8.56387234], "bi_tsp_500": [46.97628403, 46.6463623],
    "tri_tsp_20": [3.94876862, 8.32251167, 3.68904114],
    "tri_tsp_50": [5.90725708, 16.76548958, 5.73812628],
    "tri_tsp_100": [9.24660873, 30.9209404, 10.63162804],
    "bi_cvrp_20": [5.33629513, 1.77503395], "bi_cvrp_50": [9.49677372, 1.9455843],
    "bi_cvrp_100": [15.86342144, 2.16334248],
    "bi_kp_50": [-17.50688744, -14.69023991], "bi_kp_100": [-42.59313202, -37.79801178],
    "bi_kp_200": [-53.51074982, -52.68140411],
}

#: Generations per collection run (reference ``env_name_n_gens``), keyed by family and size.
GENERATIONS = {
    "tsp": {20: 3200, 50: 8000, 100: 16000, 500: 80000},
    "cvrp": {20: 1600, 50: 4000, 100: 8000},
    "kp": {50: 200, 100: 400, 200: 800},
}
#: Weakened-survival probability per family (reference ``env_name_perturb_proba``).
P_WORST = {"tsp": 0.0, "cvrp": 0.0, "kp": 0.15}
#: Fraction hidden as the best part (reference ``--filter-ratio``: 0.4 default, 0.55 for CVRP).
HIDDEN_FRACTION = {"tsp": 0.4, "cvrp": 0.55, "kp": 0.4}
KP_CAPACITY = {50: 12.5, 100: 25.0, 200: 25.0}
#: Surrogate input per family, the better fit offline (benchmarks/bench_permutation_encoding.py):
#: tour lengths are linear in adjacency features; knapsack packing depends on positions.
SURROGATE_ENCODING = {"tsp": "adjacency", "cvrp": "adjacency", "kp": "position"}
COLLECT_POP_SIZE = 500


def load_instance(name: str) -> np.ndarray:
    """The shipped instance array of a MOCO task, its SHA-256 verified (float32)."""
    if name not in CHECKSUMS:
        raise ConfigError(f"no MOCO instance {name!r}; valid: {', '.join(CHECKSUMS)}")
    path = DATA_DIR / f"{name}.npy"
    blob = path.read_bytes()
    digest = hashlib.sha256(blob).hexdigest()
    if digest != CHECKSUMS[name]:
        raise ConfigError(f"{path}: SHA-256 {digest[:16]}... does not match the shipped instance "
                          f"({CHECKSUMS[name][:16]}...); the package data is damaged")
    return np.load(path, allow_pickle=False)


class MOCOTask(Task):
    """A MOCO task: permutation designs, a reference instance, Off-MOO-Bench's collection protocol.

    Parameters (keyword arguments of ``get_task``): ``n_total`` designs collected before the best
    part is hidden (100,000), ``generations`` per NSGA-II run and ``pop_size`` (defaults: the
    reference's), ``p_worst`` of the weakened survival. Tests pass small values. ``encoding``:
    how surrogates see a design, ``"adjacency"`` (TSP, CVRP default) or ``"position"`` one-hot (KP
    default); it does not change the data.
    """

    family = "moco"
    problem: str  # "tsp", "cvrp" or "kp"

    def __init__(
        self,
        name: str,
        size: int,
        n_obj: int,
        *,
        n_total: int = 100_000,
        generations: int | None = None,
        pop_size: int = COLLECT_POP_SIZE,
        p_worst: float | None = None,
        encoding: str | None = None,
    ) -> None:
        if n_total < 10:
            raise ConfigError(f"{name}: n_total must be at least 10, got {n_total}")
        if pop_size < 4:
            raise ConfigError(f"{name}: pop_size must be at least 4, got {pop_size}")
        self.name = name
        self.size = int(size)
        self.instance = load_instance(name).astype(np.float64)
        self.n_obj = int(n_obj)
        self.dim = self._dim()
        self.n_categories = self.dim
        self.lower = np.zeros(self.dim)
        self.upper = np.full(self.dim, float(self.dim - 1))
        self.nadir_point = np.array(NADIR[name], dtype=float)
        self.ideal_point = np.array(IDEAL[name], dtype=float)
        self.n_total = int(n_total)
        self.generations = int(generations if generations is not None else GENERATIONS[self.problem][self.size])
        if self.generations < 1:
            raise ConfigError(f"{name}: generations must be at least 1, got {self.generations}")
        self.pop_size = int(pop_size)
        self.p_worst = float(P_WORST[self.problem] if p_worst is None else p_worst)
        self.hidden_fraction = HIDDEN_FRACTION[self.problem]
        # How surrogates see a design (not part of the data, so not in ``params``): see docs/moco.md
        self.surrogate_encoding = SURROGATE_ENCODING[self.problem] if encoding is None else encoding
        if self.surrogate_encoding not in ENCODINGS:
            raise ConfigError(f"{name}: unknown encoding {encoding!r}; valid: {', '.join(ENCODINGS)}")
        self.params: dict[str, Any] = {
            "n_total": self.n_total, "generations": self.generations, "pop_size": self.pop_size,
            "p_worst": self.p_worst,
        }

    def _dim(self) -> int:
        return self.size

    @property
    def design_kind(self) -> str:
        return "permutation"

    @property
    def start_from_zero(self) -> bool:
        """Whether the collection canonicalizes rotations (routing tasks: tours are cyclic)."""
        return self.problem in ("tsp", "cvrp")

    def validate_designs(self, X: np.ndarray, name: str = "X") -> np.ndarray:
        """The base checks, then that every row is a permutation of ``0..dim-1``."""
        from dist_ombo.search.permutation import is_permutation

        X = super().validate_designs(X, name)
        bad = ~is_permutation(X)
        if bad.any():
            row = int(np.argmax(bad))
            raise TaskInputError(
                f"{self.name}: {name}[{row}] is not a permutation of 0..{self.dim - 1} "
                f"({int(bad.sum())} rows repeat or miss an element)"
            )
        return X

    # ------------------------------------------------------------------ dataset
    def record_every(self) -> int:
        """Record every this-many-th generation: about ``n_total`` rows per run (at least the last)."""
        return max(1, min(self.generations, self.generations * self.pop_size // self.n_total))

    def _n_train(self) -> int:
        return self.n_total - int(round(self.hidden_fraction * self.n_total))

    def _build_dataset(self, rng: np.random.Generator):
        # pymoo's algorithms and operators: loaded only to build data
        from dist_ombo.search.permutation import permutation_operators
        from dist_ombo.tasks.offmoo_collection import offmoo_collect

        X, Y = offmoo_collect(
            self._evaluate, self.lower, self.upper, self.n_obj, rng,
            n_total=self.n_total, generations=self.generations, p_worst=self.p_worst,
            pop_size=self.pop_size, record_every=self.record_every(),
            operators=permutation_operators(start_from_zero=self.start_from_zero, sampling=True),
        )
        X = np.rint(X).astype(np.int64)
        return split_best_by_nds(X, Y, self.hidden_fraction, rng)


class MOTSP(MOCOTask):
    """Multi-objective TSP: ``n_obj`` closed-tour lengths over the same city order."""

    problem = "tsp"

    def _evaluate(self, X: np.ndarray) -> np.ndarray:
        return np.stack([tour_length(X, self.instance[:, cols]) for cols in self.objective_columns()], axis=1)

    def objective_columns(self) -> list[slice]:
        """Coordinate columns of each objective (tri_tsp's second: the reference's ``[2:]``)."""
        if self.n_obj == 2:
            return [slice(0, 2), slice(2, 4)]
        return [slice(0, 2), slice(2, 6), slice(4, 6)]


class MOCVRP(MOCOTask):
    """Bi-objective CVRP: total distance and longest route (see the module docstring's quirk)."""

    problem = "cvrp"

    def __init__(self, name: str, size: int, n_obj: int, **kwargs: Any) -> None:
        super().__init__(name, size, n_obj, **kwargs)
        self.returns = depot_return_positions(self.instance[:, 2].astype(np.float32))

    def _dim(self) -> int:
        return self.size + 1

    def routes(self, X: np.ndarray) -> np.ndarray:
        """Node sequences with the depot returns inserted and a final return: ``(n, dim + r + 1)``."""
        X = np.asarray(X, dtype=np.int64)
        seq = np.insert(X, self.returns, 0, axis=1)
        return np.concatenate([seq, np.zeros((len(X), 1), dtype=np.int64)], axis=1)

    def _evaluate(self, X: np.ndarray) -> np.ndarray:
        seq = self.routes(X)
        P = self.instance[:, :2][seq]  # (n, T, 2)
        seg = np.linalg.norm(P - np.roll(P, -1, axis=1), axis=2)
        travel = seg.sum(axis=1)
        # Reference: cumulative distance kept where the next stop is the depot, sorted; the
        # largest gap between consecutive kept values is the longest route.
        cum = np.cumsum(seg, axis=1)
        cum = np.where(np.roll(seq, -1, axis=1) == 0, cum, 0.0)
        cum = np.sort(cum, axis=1)
        gaps = np.clip(cum - np.roll(cum, 1, axis=1), 0.0, None)
        return np.stack([travel, gaps.max(axis=1)], axis=1)


class MOKP(MOCOTask):
    """Bi-objective knapsack: pack items in permutation order until one does not fit."""

    problem = "kp"

    @property
    def capacity(self) -> float:
        return KP_CAPACITY[self.size]

    def packed(self, X: np.ndarray) -> np.ndarray:
        """Boolean ``(n, size)``: item ``i`` packed (indexed by item, not by position)."""
        X = np.asarray(X, dtype=np.int64)
        fits = np.cumsum(self.instance[X, 0], axis=1) <= self.capacity  # a prefix: weights > 0
        out = np.zeros(X.shape, dtype=bool)
        np.put_along_axis(out, X, fits, axis=1)
        return out

    def _evaluate(self, X: np.ndarray) -> np.ndarray:
        packed = self.packed(X).astype(float)
        return -(packed @ self.instance[:, 1:3])


def tour_length(X: np.ndarray, coords: np.ndarray) -> np.ndarray:
    """Length of the closed tour visiting ``coords`` rows in the order of each row of ``X``."""
    P = coords[np.asarray(X, dtype=np.int64)]  # (n, L, k)
    return np.linalg.norm(P - np.roll(P, -1, axis=1), axis=2).sum(axis=1)


def depot_return_positions(demand: np.ndarray) -> np.ndarray:
    """Positions before which the reference inserts a depot return (float32, as it computes).

    ``demand[j]`` is that of node ``j`` (depot first, demand 0), read at *position* ``j``.
    """
    load = np.float32(1.0)
    positions = []
    for j, d in enumerate(np.asarray(demand, dtype=np.float32)):
        if load - d < 0:
            positions.append(j)
            load = np.float32(1.0)  # the reference does not subtract demand[j] after the reset
        else:
            load = np.float32(load - d)
    return np.asarray(positions, dtype=np.int64)


def _factory(cls: type[MOCOTask], name: str, size: int, n_obj: int):
    def make(**kwargs: Any) -> MOCOTask:
        return cls(name, size, n_obj, **kwargs)

    make.__name__ = name
    return make


TASKS = {
    **{f"bi_tsp_{n}": _factory(MOTSP, f"bi_tsp_{n}", n, 2) for n in (20, 50, 100, 500)},
    **{f"tri_tsp_{n}": _factory(MOTSP, f"tri_tsp_{n}", n, 3) for n in (20, 50, 100)},
    **{f"bi_cvrp_{n}": _factory(MOCVRP, f"bi_cvrp_{n}", n, 2) for n in (20, 50, 100)},
    **{f"bi_kp_{n}": _factory(MOKP, f"bi_kp_{n}", n, 2) for n in (50, 100, 200)},
}

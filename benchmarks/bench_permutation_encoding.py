"""Which permutation encoding fits better offline: position one-hot or adjacency one-hot.

    python -m benchmarks.bench_permutation_encoding [--n-train 20000] [--steps 1500]

Per task (seed-0 dataset, collected as in ``bench_moco.COMPARE_TASKS``), two held-out sets are cut
from the training data: a uniform 10% ("random") and the best 10% by non-dominated sorting ("best",
the extrapolation offline search needs). On the rest (subsampled to ``--n-train``), two regressors
are fitted per encoding: the MLP ensemble (3 members, 256x256, ``--steps`` Adam steps) and ridge
regression (a linear probe). Scores per objective: MSE in min-max normalized y units and Spearman's
rho. Writes ``benchmarks/results/permutation_encoding.json``.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from scipy.stats import spearmanr

from benchmarks.bench_moco import COMPARE_TASKS
from benchmarks.common import write_results
from dist_ombo.metrics import rank_by_nds
from dist_ombo.models.ensemble import EnsembleConfig, EnsembleSurrogate
from dist_ombo.models.normalize import MinMaxNormalizer
from dist_ombo.models.permutation_encoding import ENCODINGS, PermutationEncoder
from dist_ombo.tasks import get_task


def _ridge(F: np.ndarray, Y: np.ndarray, alpha: float = 1e-3):
    A = np.hstack([F, np.ones((len(F), 1))]).astype(np.float64)
    coef = np.linalg.solve(A.T @ A + alpha * np.eye(A.shape[1]), A.T @ Y)
    return lambda G: np.hstack([G, np.ones((len(G), 1))]) @ coef


def _scores(pred: np.ndarray, Y: np.ndarray, norm: MinMaxNormalizer) -> dict[str, list[float]]:
    err = norm.transform(pred) - norm.transform(Y)
    return {"mse": [float(v) for v in (err ** 2).mean(axis=0)],
            "spearman": [float(spearmanr(pred[:, j], Y[:, j]).statistic) for j in range(Y.shape[1])]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=20_000)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--tasks", nargs="+", default=list(COMPARE_TASKS))
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    rows = []
    for name in args.tasks:
        task = get_task(name, **COMPARE_TASKS[name])
        data = task.dataset(0)
        rng = np.random.default_rng(0)
        n = len(data.X)
        best = rank_by_nds(data.Y, n // 10)
        rest = np.setdiff1d(np.arange(n), best)
        rest = rng.permutation(rest)
        random_held = rest[: n // 10]
        train = rest[n // 10:][: args.n_train]
        Xtr, Ytr = data.X[train], data.Y[train]
        norm = MinMaxNormalizer.fit(Ytr)
        for kind in ENCODINGS:
            enc = PermutationEncoder(task.dim, kind)
            Ftr = enc.transform(Xtr)
            held = {"random": random_held, "best": best}
            t = time.perf_counter()
            cfg = EnsembleConfig(n_members=3, hidden=(256, 256), epochs=100, max_steps=args.steps)
            model = EnsembleSurrogate(cfg).fit(Ftr, Ytr, np.zeros(enc.n_features), np.ones(enc.n_features), seed=0)
            fit_s = time.perf_counter() - t
            ridge = _ridge(Ftr, Ytr)
            for model_name, predict in (("ensemble", lambda F: model.predict(F)[0]), ("ridge", ridge)):
                for split, idx in held.items():
                    row = {"task": name, "encoding": kind, "n_features": enc.n_features, "model": model_name,
                           "held_out": split, "n_train": len(train), "n_held_out": len(idx),
                           **_scores(predict(enc.transform(data.X[idx])), data.Y[idx], norm)}
                    if model_name == "ensemble":
                        row["fit_s"] = round(fit_s, 1)
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    print("wrote", write_results("permutation_encoding", {"steps": args.steps, "rows": rows}))


if __name__ == "__main__":
    main()

"""Rerun committed trials from their ``config.json`` and compare the headline metric with the
committed ``metrics.json`` and, with ``--baseline REV``, with the package as it was at a git
revision rerun on this machine: a refactor that keeps methods' meaning reproduces the baseline
exactly on CPU. (torch's CPU kernels differ between processor models, so a trial that trains a
network is bit-exact only on the machine that ran it; the baseline rerun separates that from a
change of code.)

Trials run with one torch thread (as a sweep's one-CPU trial does), each in a fresh interpreter.

    python -m benchmarks.rerun_trials --baseline a5fea9d results/compare/trials/zdt1__ensemble-nsga2__seed0
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.bench_cli import export
from benchmarks.common import write_results

ROOT = Path(__file__).resolve().parents[1]
TOLERANCE = 1e-9
_RUN = """
import json, sys, torch
torch.set_num_threads(1)
from dist_ombo.runner import TrialConfig, run_trial
m = run_trial(TrialConfig.from_dict(json.load(open(sys.argv[1])))).metrics
print(json.dumps({k: m[k] for k in ("hv", "score_100th", "time_total_s") if k in m}))
"""


def rerun(tree: Path, config: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, "-c", _RUN, str(config.resolve())], env=env, capture_output=True,
                         text=True, check=True, cwd=tempfile.gettempdir())
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trials", nargs="+", type=Path, help="committed trial folders (config.json + metrics.json)")
    parser.add_argument("--baseline", metavar="REV", help="also rerun with the package at this git revision")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        base = export(args.baseline, Path(tmp)) if args.baseline else None
        for folder in args.trials:
            committed = json.loads((folder / "metrics.json").read_text())
            metric = "hv" if "hv" in committed else "score_100th"
            now = rerun(ROOT, folder / "config.json")
            row = {"trial": folder.name, "metric": metric, "committed": committed[metric], "rerun": now[metric],
                   "rerun_vs_committed": abs(now[metric] - committed[metric]), "rerun_s": now["time_total_s"]}
            line = f"{folder.name:<32} {metric} committed {committed[metric]:.12f}  this tree {now[metric]:.12f}"
            if base is not None:
                old = rerun(base, folder / "config.json")
                row.update(baseline=old[metric], rerun_vs_baseline=abs(now[metric] - old[metric]))
                line += (f"  {args.baseline} {old[metric]:.12f}  |this - {args.baseline}| "
                         f"{row['rerun_vs_baseline']:.1e} ({'same' if row['rerun_vs_baseline'] <= TOLERANCE else 'DIFFERENT'})")
            line += f"  |this - committed| {row['rerun_vs_committed']:.1e}"
            print(line, flush=True)
            rows.append(row)
    print(f"wrote {write_results('rerun_trials', {'tolerance': TOLERANCE, 'baseline': args.baseline, 'trials': rows})}")


if __name__ == "__main__":
    main()

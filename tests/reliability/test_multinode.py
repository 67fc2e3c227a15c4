"""Several nodes, one lost: Ray's multi-node test cluster (a head and two worker nodes on this
machine, one with logical GPUs) runs real sweeps; see ``multinode_sweep.py`` for the scenario.
It runs in its own process because it owns its Ray cluster (the test session's Ray is separate)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.mark.slow
def test_trials_follow_resources_and_a_lost_node_loses_nothing(tmp_path):
    env = {**os.environ, "DIST_OMBO_CACHE": str(tmp_path / "cache"), "RAY_USAGE_STATS_ENABLED": "0",
           "PYTHONPATH": os.pathsep.join([str(HERE.parents[1]), *sys.path])}
    env.pop("RAY_ADDRESS", None)
    proc = subprocess.run([sys.executable, str(HERE / "multinode_sweep.py"), str(tmp_path)], env=env,
                          capture_output=True, text=True, timeout=420)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("MULTINODE ")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:]
    report = json.loads(lines[-1][len("MULTINODE "):])
    nodes = report["nodes"]

    gpu = report["gpu"]  # GPU bundles: the trial and both its training actors on the GPU node
    assert gpu["status"] == ["ok"]
    assert gpu["trial_nodes"] == [nodes["gpu"]] and gpu["actor_nodes"] == [nodes["gpu"]]

    lost = report["lose_node"]  # the CPU node was removed after the first trial finished
    assert lost["finished_before_loss"] is not None and 1 <= lost["finished_before_loss"] < 4, lost
    assert lost["training_on_lost_node"]  # the node went while a trial's training actors ran on it
    assert lost["status"] == ["ok"] * 4, lost  # every trial finished, the lost ones on the other node
    assert len(set(lost["trial_ids"])) == 4 and lost["metrics_files"] == 4 and lost["intact"] == 4
    assert lost["failed_attempts"] >= 1  # a trial (and its training actors) was on the lost node: retried
    assert nodes["gpu"] in lost["trial_nodes"]  # the retried trials ran on the node set free
    assert set(lost["trial_nodes"]) <= {nodes["cpu"], nodes["gpu"]}  # the head has no CPUs for trials
    assert nodes["head"] not in gpu["trial_nodes"]
    print(json.dumps(lost))

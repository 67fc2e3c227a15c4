"""Driver of the multi-node test (run in its own process: it owns a Ray cluster of three nodes).

Ray's own test cluster (``ray.cluster_utils.Cluster``) on this machine: a head that runs no work
(0 CPUs), a CPU worker node and a worker node with two logical GPUs. Part 1 sweeps GPU trials
(their bundles ask for GPUs) and checks that every trial and training actor ran on the GPU node.
Part 2 sweeps four CPU trials, two at a time, while a placement group holds all of the GPU node,
so every trial starts on the CPU node and the third always trains there after the first has
finished. The CPU node is lost at that moment and the GPU node is set free (as a busy node would
be); the sweep must finish every trial (the lost ones rerun on the GPU node), with one row per
trial. (With both nodes free, whether any trial still trained on the CPU node after the first
finished depended on where Tune placed the trials, and the loss sometimes never came.) Prints one
JSON line with what it saw.
"""

import glob
import json
import os
import sys
import threading
import time
from pathlib import Path

import ray
from ray.cluster_utils import Cluster
from ray.util.placement_group import placement_group, remove_placement_group

from dist_ombo.distributed.sweep import run_sweep
from dist_ombo.distributed.sweep_config import SweepConfig

FAST_HEALTH = {"health_check_initial_delay_ms": 0, "health_check_period_ms": 500,
               "health_check_failure_threshold": 4}
TASK = {"name": "ackley", "params": {"dim": 3, "n_total": 200}, "label": "ack"}


def tune_records(out: Path) -> list[dict]:
    """The last result Tune recorded for each trial attempt (``result.json`` lines)."""
    rows = []
    for path in glob.glob(str(out / "tune" / "*" / "*" / "result.json")):
        lines = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
        rows.extend(lines[-1:])
    return rows


def main(root: str) -> None:
    root_path = Path(root)
    cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 0, "include_dashboard": False, "_system_config": FAST_HEALTH})
    cpu_node = cluster.add_node(num_cpus=2, num_gpus=0)
    gpu_node = cluster.add_node(num_cpus=2, num_gpus=2)
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, log_to_driver=False)
    head_id, cpu_id, gpu_id = cluster.head_node.node_id, cpu_node.node_id, gpu_node.node_id
    report = {"nodes": {"head": head_id, "cpu": cpu_id, "gpu": gpu_id}}
    try:
        # Part 1: GPU trials with two training actors each land on the GPU node only.
        gpu_cfg = SweepConfig(name="gpu", tasks=(TASK,), methods=("ensemble-ga",), seeds=(0,),
                              budget="smoke", n_proposals=8,
                              resources={"train_actors": 2, "cpus_per_actor": 0.5, "gpus_per_actor": 0.5})
        table = run_sweep(gpu_cfg, root_path / "gpu", verbose=0)
        records = tune_records(root_path / "gpu")
        report["gpu"] = {
            "status": table["status"].tolist(),
            "trial_nodes": sorted(r["trial_node"] for r in records if "trial_node" in r),
            "actor_nodes": sorted(n for r in records for n in r["actor_nodes"].split(",") if n),
        }
        # Part 2: CPU trials on the CPU node (the GPU node is held); it is lost once one has finished.
        hold_gpu_node = placement_group([{"CPU": 2, "GPU": 2}])
        ray.get(hold_gpu_node.ready(), timeout=60)
        cpu_cfg = SweepConfig(name="lose-node", tasks=(TASK,), methods=("ensemble-ga",), seeds=tuple(range(4)),
                              budget="smoke", n_proposals=8, retries=6, model={"epochs": 20, "max_steps": 100},
                              resources={"train_actors": 2, "cpus_per_actor": 0.5})
        # Six retries: until the cluster has marked the lost node dead (about 2 s with FAST_HEALTH),
        # a retried trial can be placed on it again and fail at once; each such try counts.
        out = root_path / "lose-node"
        removed = {}

        def training_on_cpu_node() -> bool:
            """A live training actor on the CPU node: a trial is mid-training there. (A placement
            group on the node is not enough: Tune stages groups before their trials start and may
            keep a finished trial's group for reuse, so losing the node could then fail nothing.)
            Training actors are killed once their models are back, so a live one is busy."""
            from ray._private.state import actors  # the GCS actor table; the state API needs a dashboard

            return any(a["State"] == "ALIVE" and a["ActorClassName"] == "ModelTrainer"
                       and a["Address"].get("NodeID") == cpu_id for a in actors().values())

        def lose_cpu_node() -> None:
            """Once a trial has finished and another is training on the CPU node, lose that node
            and set the GPU node free for the trials that must rerun."""
            deadline = time.time() + 240
            while time.time() < deadline and not (list((out / "trials").glob("*/metrics.json"))
                                                  and training_on_cpu_node()):
                time.sleep(0.05)
            removed["training_seen"] = training_on_cpu_node()
            removed["finished_before"] = len(list((out / "trials").glob("*/metrics.json")))
            cluster.remove_node(cpu_node, allow_graceful=False)
            remove_placement_group(hold_gpu_node)

        killer = threading.Thread(target=lose_cpu_node, daemon=True)
        killer.start()
        started = time.time()
        table = run_sweep(cpu_cfg, out, verbose=0)
        killer.join(timeout=30)
        records = tune_records(out)
        report["lose_node"] = {
            "status": table["status"].tolist(),
            "trial_ids": table["trial_id"].tolist(),
            "seconds": round(time.time() - started, 1),
            "finished_before_loss": removed.get("finished_before"),
            "training_on_lost_node": removed.get("training_seen"),
            "attempts_recorded": len(records),
            "trial_nodes": [r["trial_node"] for r in records if "trial_node" in r],  # a retry that found the result intact reports no node
            "metrics_files": len(list((out / "trials").glob("*/metrics.json"))),
            "failed_attempts": len(glob.glob(str(out / "tune" / "*" / "*" / "error.txt"))),
        }
        from dist_ombo.distributed.trial_files import result_problem

        report["lose_node"]["errors"] = [e for e in table["error"].tolist() if isinstance(e, str)]

        def intact(folder: Path) -> bool:
            """A trial that did not finish has no config.json to check its result against."""
            config = folder / "config.json"
            return config.exists() and result_problem(folder, json.loads(config.read_text())) is None

        report["lose_node"]["intact"] = sum(intact(out / "trials" / p) for p in table["trial_id"])
    finally:
        ray.shutdown()
        cluster.shutdown()
    print("MULTINODE " + json.dumps(report), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])

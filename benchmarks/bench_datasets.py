"""Time to build every task's offline dataset from scratch (seed 0, no cache), single process.

    python benchmarks/bench_datasets.py     # writes benchmarks/results/datasets.json
"""

from __future__ import annotations

import os
import time

from benchmarks.common import write_results
from dist_ombo.tasks import get_task, task_names


def main() -> None:
    rows = []
    for name in task_names():
        task = get_task(name)
        if name == "tfbind8" and not os.environ.get("DIST_OMBO_TFBIND8_DIR"):
            continue
        if task.family == "moco":  # reference builds take minutes to days here: benchmarks/bench_moco.py
            continue
        t = time.perf_counter()
        data = task.dataset(0, cache=False)
        seconds = time.perf_counter() - t
        rows.append({"task": name, "n_train": len(data), "n_hidden": data.n_hidden, "seconds": seconds})
        print(f"{name:<16} {len(data):>7} train + {data.n_hidden:>6} hidden  {seconds:6.2f} s", flush=True)
    total = sum(r["seconds"] for r in rows)
    print(f"all {len(rows)} datasets: {total:.1f} s")
    print("wrote", write_results("datasets", {"total_s": total, "rows": rows}))


if __name__ == "__main__":
    main()

"""Nothing compiles inside a trial, and a stale compile lock left by a killed build cannot hang one:
qLogNEHVI is built in a fresh process whose torch extensions cache holds a leftover ``lock``."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""
    import numpy as np
    from torch.utils.cpp_extension import _get_build_directory
    build = _get_build_directory("logei_fused_ext", verbose=False)
    lock = __import__("os").path.join(build, "lock")
    assert __import__("os").path.exists(lock), lock  # the stale lock is where a compile would wait
    from dist_ombo.bo.acquisition import BOSearchConfig, propose_batch
    from dist_ombo.bo.gp import GPConfig, fit_gp
    from dist_ombo.problem import OfflineProblem
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(30, 2))
    Y = np.stack([X[:, 0], 1 - X[:, 0] + X[:, 1] ** 2], axis=1)
    gp = fit_gp(OfflineProblem(X, Y, np.zeros(2), np.ones(2)), GPConfig(train_size=20), seed=0)
    cfg = BOSearchConfig("qnehvi", q=1, num_restarts=1, raw_samples=8, mc_samples=8, maxiter=5, batch_limit=1)
    result = propose_batch(gp, cfg, n=2, seed=0)
    from botorch.acquisition.multi_objective import logei
    assert logei._C is None and logei._load_attempted
    print("proposed", len(result.X_unit))
""")


def test_stale_compile_lock_does_not_hang_qlognehvi(tmp_path):
    env = {**os.environ, "TORCH_EXTENSIONS_DIR": str(tmp_path / "ext"),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    # leave a lock where torch's loader would look for it (with and without its py/cu subfolder)
    for sub in ("", f"py{sys.version_info.major}{sys.version_info.minor}_cpu"):
        build = tmp_path / "ext" / sub / "logei_fused_ext"
        build.mkdir(parents=True, exist_ok=True)
        (build / "lock").write_text("")
    done = subprocess.run([sys.executable, "-W", "ignore", "-c", SCRIPT], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "proposed 2" in done.stdout
    built = [p.name for p in (tmp_path / "ext").rglob("*") if p.is_file() and p.name != "lock"]
    assert built == []  # no compile was started

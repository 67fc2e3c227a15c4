"""Shared fixtures: one dataset cache per checkout and one local Ray per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("DIST_OMBO_CACHE", str(ROOT / ".cache" / "dist_ombo-test"))
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("TQDM_DISABLE", "1")


@pytest.fixture(scope="session")
def ray_session():
    """Ray started once per test session with 2 CPUs (per-test init costs ~6 s each)."""
    import ray

    if not ray.is_initialized():
        # two logical GPUs let tests check GPU scheduling on CPU-only machines
        ray.init(num_cpus=2, num_gpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture
def one_torch_thread():
    """Tiny models run fastest on one thread, and it keeps them immune to a busy machine's
    oversubscription (spinning worker threads slow tiny ops down tenfold)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

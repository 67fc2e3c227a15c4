"""Every sweep config shipped in benchmarks/ and examples/ names real tasks and methods."""

from pathlib import Path

import pytest

from dist_ombo.distributed.sweep_config import SweepConfig, expand_grid

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "benchmarks" / "configs").glob("*.yaml")) + sorted((ROOT / "examples").glob("*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_shipped_sweep_config_expands(path):
    config = SweepConfig.from_yaml(path)
    points, _ = expand_grid(config)
    assert points and len({p.trial_id for p in points}) == len(points)


def test_quick_config_stays_small():
    points, _ = expand_grid(SweepConfig.from_yaml(ROOT / "benchmarks" / "configs" / "quick.yaml"))
    assert len(points) <= 40 and {p.trial.budget for p in points} == {"cpu"}


STAGES = sorted((ROOT / "benchmarks" / "configs").glob("published_*.yaml"))


@pytest.mark.parametrize("path", STAGES, ids=lambda p: p.name)
def test_each_stage_of_the_whole_comparison_is_part_of_it(path):
    """A stage's finished trials are reused by published.yaml only if each is the same trial there."""
    whole = {p.trial_id: p.trial.to_dict() for p in expand_grid(
        SweepConfig.from_yaml(ROOT / "benchmarks" / "configs" / "published.yaml"))[0]}
    stage = {p.trial_id: p.trial.to_dict() for p in expand_grid(SweepConfig.from_yaml(path))[0]}
    assert stage and all(whole.get(trial_id) == trial for trial_id, trial in stage.items())

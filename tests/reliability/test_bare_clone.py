"""The bare-clone probe: nothing the package, its tests or CI need lives outside the repository
(TF-Bind-8's measurements ship inside the package, checksummed)."""

from pathlib import Path

import numpy as np

from dist_ombo.tasks import get_task
from dist_ombo.tasks.tfbind8 import ENV_VAR

ROOT = Path(__file__).resolve().parents[2]


def test_build_test_and_ci_files_name_no_folder_outside_the_repository():
    for name in ["Makefile", ".ci/run", "tests/conftest.py", "pyproject.toml"]:
        text = (ROOT / name).read_text()
        assert "../shared" not in text and "shared/data" not in text, name
        assert "parent / \"shared\"" not in text and "ROOT.parent" not in text, name


def test_tfbind8_works_without_any_environment_variable(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    task = get_task("tfbind8")
    assert np.isfinite(task.oracle(np.zeros((1, 8), dtype=int))).all()
    assert len(task.dataset(0, cache=False)) == 32_898

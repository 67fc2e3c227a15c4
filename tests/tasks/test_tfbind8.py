import os
import shutil

import numpy as np
import pytest

from dist_ombo import metrics as M
from dist_ombo.errors import DataError, TaskInputError
from dist_ombo.tasks import get_task
from dist_ombo.tasks.tfbind8 import ENV_VAR, FILES, PACKAGED_DIR, _sha256, locate

DATA = str(PACKAGED_DIR)  # the copy shipped with the package


def test_the_package_ships_the_data_and_uses_it_by_default(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert locate() == PACKAGED_DIR
    for name, expected in FILES.values():
        assert _sha256(PACKAGED_DIR / name) == expected


def test_oracle_is_the_measured_table():
    task = get_task("tfbind8")
    X = np.load(os.path.join(DATA, FILES["x"][0])).astype(np.int64)
    y = np.load(os.path.join(DATA, FILES["y"][0]))[:, 0]
    idx = np.random.default_rng(0).choice(len(X), 500, replace=False)
    np.testing.assert_allclose(-task.oracle(X[idx])[:, 0], y[idx], atol=1e-7)
    assert task.is_discrete and task.n_categories == 4 and task.dim == 8
    # the best measured sequence scores 1.0 (oracle -1.0)
    np.testing.assert_allclose(task.oracle(X[[np.argmax(y)]])[0, 0], -1.0)


def test_dataset_is_the_lower_half_with_dbest_0439():
    task = get_task("tfbind8")
    data = task.dataset(seed=0)
    assert data.X.shape == (32_898, 8) and data.X.dtype == np.int64
    binding = -data.Y[:, 0]
    assert binding.max() == pytest.approx(0.43929616, abs=1e-6)
    assert data.n_hidden == 65_792 - 32_898
    lo, hi = float(data.y_min_full[0]), float(data.y_max_full[0])
    assert (lo, hi) == (pytest.approx(-1.0), pytest.approx(0.0))
    dbest = M.normalized_score(np.array([data.Y[:, 0].min()]), lo, hi)[0]
    assert round(dbest, 3) == 0.439
    again = task.dataset(seed=5)
    np.testing.assert_array_equal(again.X, data.X)  # Design-Bench's split does not depend on the seed


def test_missing_and_corrupt_data_say_what_and_where(tmp_path, monkeypatch):
    with pytest.raises(DataError, match=r"missing tf_bind_8-SIX6_REF_R1-x-0.npy.*"):
        get_task("tfbind8", data_dir=tmp_path).oracle(np.zeros((1, 8)))
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "nowhere"))
    with pytest.raises(DataError, match=rf"\${ENV_VAR}=.*nowhere.*missing"):
        get_task("tfbind8").dataset(seed=0, cache=False)
    monkeypatch.delenv(ENV_VAR)
    for name, _ in FILES.values():
        shutil.copy(os.path.join(DATA, name), tmp_path / name)
    y = np.load(tmp_path / FILES["y"][0])
    y[0] = 0.5
    np.save(tmp_path / FILES["y"][0], y)
    with pytest.raises(DataError, match="sha256"):
        get_task("tfbind8", data_dir=tmp_path).oracle(np.zeros((1, 8)))


def test_oracle_rejects_bad_tokens():
    task = get_task("tfbind8")
    with pytest.raises(TaskInputError, match="outside the bounds"):
        task.oracle(np.full((1, 8), 4))
    with pytest.raises(TaskInputError, match="not an integer"):
        task.oracle(np.full((1, 8), 1.5))

"""The Ray path: a GP's objectives fitted on separate actors, merged into the model one process fits."""

import numpy as np
import pytest

from dist_ombo.bo.gp import GPConfig
from dist_ombo.distributed.actors import n_training_pieces, ray_train, split_by_objective
from dist_ombo.pipeline import TrainJob
from dist_ombo.problem import OfflineProblem

from .conftest import LOWER, UPPER


def gp_job(box_data, **config):
    X, Y = box_data
    return TrainJob(OfflineProblem(X, Y, LOWER, UPPER), scheme="gp", config=GPConfig(train_size=48, **config), seed=0)


def test_objectives_split_into_actor_groups(box_data):
    job = gp_job(box_data)
    assert [j.config.objectives for j in split_by_objective(job, 2)] == [(0,), (1,)]
    assert [j.config.objectives for j in split_by_objective(job, 8)] == [(0,), (1,)]
    assert split_by_objective(job, 1) == [job]
    assert n_training_pieces("gp", None, 2) == 2


@pytest.mark.ray
def test_gp_objectives_fit_on_two_actors_match_one_process(ray_session, box_data, box_gp):
    (model,) = ray_train([gp_job(box_data)], train_actors=2, cpus_per_actor=1)
    assert model.objectives == [0, 1]
    X, _ = box_data
    np.testing.assert_allclose(model.predict(X[:20])[0], box_gp.predict(X[:20])[0], rtol=1e-9)

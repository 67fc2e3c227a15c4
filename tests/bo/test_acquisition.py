"""Each acquisition's defining property on a tiny GP: qNEHVI raises the predicted hypervolume
over the data's front, ParEGO changes its scalarization across the batch, JES proposes where its
information gain is high; plus determinism, bounds and the objective-count check."""

import numpy as np
import pytest
import torch

from dist_ombo.bo.acquisition import BOSearchConfig, propose_batch
from dist_ombo.catalog import TooManyObjectivesError, check_objective_count, get_method
from dist_ombo.errors import ConfigError
from dist_ombo.metrics import hypervolume

FAST = {"num_restarts": 2, "raw_samples": 32, "mc_samples": 16, "maxiter": 20, "batch_limit": 2}


def predicted_hv(gp, X_unit):
    """Hypervolume of the GP's posterior mean at ``X_unit`` (model units are maximized: negate)."""
    with torch.no_grad():
        mean = gp.model.posterior(X_unit).mean.numpy()
    return hypervolume(-mean, -gp.ref_point())


def test_qnehvi_proposals_raise_the_predicted_hypervolume(box_gp):
    result = propose_batch(box_gp, BOSearchConfig("qnehvi", q=1, restart_candidates=2, **FAST), n=6, seed=0)
    assert result.X_unit.shape == (6, 3)
    base = box_gp.train_inputs()
    before = predicted_hv(box_gp, base)
    after = predicted_hv(box_gp, torch.cat([base, result.X_unit]))
    assert after > before * 1.001


def test_parego_scalarizations_vary_across_the_batch(box_gp):
    result = propose_batch(box_gp, BOSearchConfig("parego", q=2, **FAST), n=8, seed=0)
    W = np.stack(result.weights)
    assert W.shape == (4, 2)  # one weight vector per greedy step of q=2
    np.testing.assert_allclose(W.sum(axis=1), 1.0)
    assert len(np.unique(W.round(6), axis=0)) == 4


def test_jes_proposes_where_information_gain_is_high(box_gp):
    cfg = BOSearchConfig("jes", q=1, jes_pareto_samples=4, jes_pareto_points=5, jes_pop_size=300,
                         jes_max_tries=3, **FAST)
    result = propose_batch(box_gp, cfg, n=2, seed=0)
    jes = result.first_acquisition  # the lower-bound information gain of the first step
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        at_proposal = jes(result.X_unit[:1][None]).item()
        at_random = jes(torch.rand(200, 1, 3, dtype=torch.float64, generator=gen))
    assert at_proposal > torch.quantile(at_random, 0.9).item()


@pytest.mark.parametrize("acquisition", ["qnehvi", "parego", "jes"])
def test_same_seed_same_proposals_inside_the_box(box_gp, acquisition):
    cfg = BOSearchConfig(acquisition, q=2, jes_pareto_samples=2, jes_pareto_points=4, jes_pop_size=200,
                         jes_max_tries=2, **FAST)
    a = propose_batch(box_gp, cfg, n=4, seed=5).X_unit
    b = propose_batch(box_gp, cfg, n=4, seed=5).X_unit
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert a.min() >= 0 and a.max() <= 1
    assert len(torch.unique(a, dim=0)) == 4


def test_config_and_objective_count_checks():
    with pytest.raises(ConfigError, match="valid: qnehvi, parego, jes"):
        BOSearchConfig("ehvi")
    with pytest.raises(ConfigError, match="restart_candidates"):
        BOSearchConfig(num_restarts=2, restart_candidates=3)
    check_objective_count(get_method("mobo-qnehvi"), 4)
    with pytest.raises(TooManyObjectivesError) as info:
        check_objective_count(get_method("mobo-qnehvi"), 5)
    message = str(info.value)
    assert "at most 4 objectives" in message and "ensemble-nsga2" in message
    assert "mobo-parego" not in message.split(";")[1] and "mobo-qnehvi" not in message.split(";")[1]

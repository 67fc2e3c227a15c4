"""ICT and Tri-mentoring: the label mechanics (majority consensus, co-teaching exchange, sample
reweighting) and the fine-tuning they drive."""

from __future__ import annotations

import itertools

import numpy as np
import torch

from dist_ombo.models.batched_mlp import BatchedMLP
from dist_ombo.models.robust.base import prepare
from dist_ombo.models.robust.coteach import (
    ICTConfig, TriMentoringConfig, _pretrain, consensus_labels, coteach_indices, fit_ict, fit_tri_mentoring,
    mentoring_loss, pair_index, pairwise_votes, reweight,
)
from dist_ombo.models.robust.training import adam, mse_terms, train_loop
from dist_ombo.problem import OfflineProblem

LOWER, UPPER = np.zeros(4), np.ones(4)
FAST = dict(hidden=(32, 32), epochs=10, batch_size=64, lr=3e-3)


def test_consensus_is_the_majority_of_pairwise_votes():
    preds = torch.randn(3, 5, 7, generator=torch.Generator().manual_seed(0))  # 3 models, 5 groups, K=7
    pairs = pair_index(7)
    labels = consensus_labels(preds, pairs)
    for g, (p, (a, b)) in itertools.product(range(5), enumerate(pairs.T.tolist())):
        votes = [float(preds[j, g, a] < preds[j, g, b]) for j in range(3)]
        assert labels[g, p] == float(sum(votes) >= 2)
    by_sum = consensus_labels(preds, pairs, majority_voting=False)
    assert torch.equal(by_sum, pairwise_votes(preds.sum(0), pairs))


def test_mentoring_moves_each_model_toward_the_consensus():
    """SGD on the pairwise loss over the pairs a model disagrees on lowers its disagreement."""
    g = torch.Generator().manual_seed(1)
    net = BatchedMLP(3, 1, (16,), 3, generator=g)
    x = torch.rand(4, 6, 3, generator=g)  # 4 candidates x 6 neighbours
    pairs = pair_index(6)

    def state():
        preds = net(x.reshape(-1, 3))[..., 0].reshape(3, 4, 6)
        votes = pairwise_votes(preds.detach(), pairs)
        return preds, votes

    preds, votes = state()
    consensus = consensus_labels(preds.detach(), pairs)
    mask = (votes != consensus).float().reshape(3, -1)
    labels = consensus.unsqueeze(0).expand(3, -1, -1).reshape(3, -1)
    before = mask.sum()
    opt = torch.optim.SGD(net.parameters(), lr=0.5)
    for _ in range(50):
        preds, _ = state()
        opt.zero_grad()
        mentoring_loss(preds, pairs, labels, mask).sum().backward()
        opt.step()
    _, votes = state()
    assert before > 0 and ((votes != consensus).float().reshape(3, -1) * mask).sum() < 0.5 * before


def test_coteaching_hands_each_student_its_peers_small_loss_samples():
    losses = torch.tensor([[[9.0, 9, 9, 9]], [[0.1, 5, 0.2, 7]], [[3.0, 0.0, 8, 0.5]]])  # (3 models, 1 obj, 4)
    idx = coteach_indices(losses, 2, teacher=0)
    assert sorted(idx[1, 0].tolist()) == [1, 3]  # student 1 trains on student 2's picks
    assert sorted(idx[2, 0].tolist()) == [0, 2]  # and vice versa


def test_reweighting_raises_helpful_samples_and_stays_in_range():
    w = torch.ones(1, 4)
    grad = torch.tensor([[-1.0, 1.0, 0.0, 0.0]])  # sample 0 lowers the validation loss
    new = reweight(grad, w, lr=0.3, clip=0.2)
    assert new[0, 0] > 1 > new[0, 1] and new[0, 2] == 1
    assert torch.all(reweight(torch.tensor([[-50.0, 50, 0, 0]]), torch.full((1, 4), 1.99), 10.0, 0.2) <= 2.0)


def test_ict_and_tri_mentoring_train_three_models_per_objective(wavy):
    X, Y = wavy
    Y2 = np.hstack([Y, -Y])
    ict = fit_ict(OfflineProblem(X, Y2, LOWER, UPPER), ICTConfig(**FAST, finetune_steps=10, n_neighbors=32), seed=0)
    tri = fit_tri_mentoring(OfflineProblem(X, Y2, LOWER, UPPER),
                            TriMentoringConfig(**FAST, finetune_steps=10, n_candidates=8), seed=0)
    for model, key in ((ict, "mean_sample_weight"), (tri, "disagreement_rate")):
        assert model.n_members == 3 and model.net.n_nets == 6
        assert np.isfinite(model.history[-1][key]) and np.isfinite(model.history[-1]["val_loss"])
        assert model.predict(X[:4])[0].shape == (4, 2)
    assert 0 <= ict.history[-1]["mean_sample_weight"] <= 2


def test_pretraining_through_mse_step_equals_the_autograd_step_bit_for_bit(wavy):
    """``_pretrain`` steps by ``MSEStep``; the autograd step it replaced gives the same weights."""
    X, Y = wavy
    cfg = TriMentoringConfig(**{**FAST, "epochs": 3})
    prep = lambda: prepare(X, np.hstack([Y, -Y]), LOWER, UPPER, None, cfg, seed=0, n_members=3)  # noqa: E731
    net, history = _pretrain(prep(), cfg, None)

    p = prep()
    ref = p.new_net()
    opt = adam(ref.parameters(), cfg)

    def step(idx):
        mse = mse_terms(ref(p.x_tr[idx]), p.targets(idx))
        opt.zero_grad(set_to_none=True)
        mse.sum().backward()
        opt.step()
        return mse.detach().sum(), {}

    ref_history = train_loop(p, cfg, ref, opt, step, None)
    assert history == ref_history and history[-1]["steps"] > 1
    assert all(torch.equal(a, b) for a, b in zip(net.parameters(), ref.parameters()))

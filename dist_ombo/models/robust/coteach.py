"""Three-model schemes that fine-tune each model with what the others say near the designs being
searched: ICT (importance-aware co-teaching; Yuan et al., NeurIPS 2023) and Tri-mentoring
(parallel mentoring; Chen et al., NeurIPS 2023). Off-MOO-Bench applies both per objective
("Multiple Models + ICT / + Tri-Mentoring"): for each objective, three nets (different
initializations, same data) are pretrained by MSE, then fine-tuned while candidate designs (that
objective's best training designs) descend the three nets' mean prediction. The result is an
ensemble of the three fine-tuned nets (``EnsembleSurrogate``, ``n_members=3``, ``head="multiple"``).

**ICT**, each fine-tuning step: the candidates take one Adam step; ``n_neighbors`` designs are
drawn around them (Gaussian noise); each model labels them. In three rounds each model in turn is
the teacher: its labels are the pseudo-labels of the other two, each of which keeps its
``n_coteach`` smallest-loss samples and hands them to its peer (co-teaching). The peer weighs the
samples it receives by meta-learned weights: one virtual SGD step on the weighted loss, the
gradient of the loss on the best ``n_val`` training designs with respect to the weights,
normalized (L1) and clipped to +/-``weight_clip``, a step of ``reweight_lr``, weights clamped to
[0, 2]; then the real Adam step on the reweighted loss (the teacher is not updated).

**Tri-mentoring**, each step: ``n_neighbors`` designs around every candidate; each model ranks them;
each pair's consensus label is the majority of the three models' pairwise votes; each model is
fine-tuned (SGD, pairwise logistic loss) on the pairs where its vote differs from the consensus,
with soft labels: starting from the consensus, one virtual SGD step on the pairwise loss, the
gradient of the resulting MSE on a training minibatch with respect to the labels, a
``label_lr`` step, clamped to [0, 1]. Then the candidates take one Adam step.

The papers maximize; here a design is better when its minimized prediction is lower, so neighbour
``a`` beats ``b`` when ``f(a) < f(b)`` and candidates descend.

Defaults: Off-MOO-Bench ``configs/algorithm/MultipleModels-ICT.yaml`` and ``-TriMentoring.yaml``
(lamda-bbo/offline-moo): pretraining Adam lr 1e-3; ICT 100 steps, 1 candidate, candidate lr 0.1,
128 neighbours with noise 0.1, 8 co-taught samples, Adam lr 1e-3, weight step 0.3, clip 0.2,
128 validation designs; Tri-mentoring 200 steps, 128 candidates, candidate lr 1e-3, 10 neighbours
with noise 0.1, SGD lr 1e-3, label step 0.1, soft labels and majority voting on. Candidate step
sizes and noise are in z-scored design units there (converted, see ``base``). Differences from
the reference code: Tri-mentoring moves all candidates together (the reference loops over them one
after another, 200 steps each); the virtual step of ICT's reweighting is plain SGD (the reference
differentiates through Adam); the soft-label outer loss uses a training minibatch (the reference
uses all the data); ICT's validation designs are each objective's best (the reference's MOO port
takes the worst 128 under minimization) and its neighbours get independent noise per dimension
(the reference draws one scalar per neighbour).

Cost (restructured, bitwise the same weights as before): pretraining steps through the ensemble's
``MSEStep``; Tri-mentoring forwards each step's neighbours once for the votes, the soft labels'
inner step and the mentoring step (the weights do not change in between); ICT's first co-teaching
round reuses the pseudo-label forward.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.nn import functional as F

from dist_ombo.errors import ConfigError
from dist_ombo.models.batched_mlp import MSEStep
from dist_ombo.models.ensemble import EnsembleSurrogate
from dist_ombo.models.robust.base import Prepared, RobustConfig, prepare
from dist_ombo.models.robust.training import MaskedAdam, Progress, adam, forward_with, mse_terms, train_loop
from dist_ombo.problem import OfflineProblem
from dist_ombo.validation import require_count, require_positive

N_MODELS = 3


@dataclass(frozen=True)
class ICTConfig(RobustConfig):
    """ICT settings (see module docstring). Always three models per objective."""

    lr: float = 1e-3
    finetune_steps: int = 100
    n_candidates: int = 1
    candidate_lr: float = 0.1
    n_neighbors: int = 128
    noise: float = 0.1
    n_coteach: int = 8
    teach_lr: float = 1e-3
    reweight_lr: float = 0.3
    weight_clip: float = 0.2
    n_val: int = 128

    def __post_init__(self) -> None:
        super().__post_init__()
        require_count(self, "finetune_steps", "n_candidates", "n_neighbors", "n_coteach", "n_val")
        require_positive(self, "candidate_lr", "teach_lr", "reweight_lr", "weight_clip")
        require_positive(self, "noise", allow_zero=True)


@dataclass(frozen=True)
class TriMentoringConfig(RobustConfig):
    """Tri-mentoring settings (see module docstring). Always three models per objective."""

    lr: float = 1e-3
    finetune_steps: int = 200
    n_candidates: int = 128
    candidate_lr: float = 1e-3
    n_neighbors: int = 10
    noise: float = 0.1
    mentor_lr: float = 1e-3
    label_lr: float = 0.1
    soft_label: bool = True
    majority_voting: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        require_count(self, "finetune_steps", "n_candidates", "n_neighbors")
        require_positive(self, "candidate_lr", "mentor_lr", "label_lr")
        require_positive(self, "noise", allow_zero=True)
        if self.n_neighbors < 2:
            raise ConfigError("TriMentoringConfig.n_neighbors must be >= 2 (pairs of neighbours are ranked)")


# ---------------------------------------------------------------------- shared pieces


def _pretrain(prep: Prepared, cfg, progress: Progress | None):
    """MSE pretraining of every net, stepped by ``MSEStep`` (the ensemble's hand-written forward
    and backward into reused buffers; bitwise the autograd step)."""
    net = prep.new_net()
    mse_step = MSEStep(net, adam(net.parameters(), cfg))

    def step(idx):
        return mse_step(prep.x_tr[idx], prep.targets(idx)), {}

    return net, train_loop(prep, cfg, net, mse_step.optimizer, step, progress)


class _Candidates:
    """Per objective, the best training designs as search variables ``(m, C, F)`` descending the
    three models' mean prediction with Adam."""

    def __init__(self, prep: Prepared, net, n: int, lr: float) -> None:
        m = prep.n_obj
        rows = prep.top_rows(n)[:m]  # nets 0..m-1 are member 0 of each objective
        self.prep, self.net, self.space = prep, net, prep.space
        self.z = prep.space.to_z(prep.x_tr[rows]).requires_grad_(True)
        self.scale = prep.space.scale(prep.space.to_z(prep.x_tr))
        self.opt = torch.optim.Adam([self.z], lr=lr * self.scale)

    def per_net(self, t: torch.Tensor) -> torch.Tensor:
        """``(m, ...)`` -> ``(n_nets, ...)``: each net gets its objective's slice."""
        return t[self.prep.net_objective()]

    def step(self) -> None:
        pred = self.net(self.space.features(self.per_net(self.z)))  # (n_nets, C, 1)
        self.z.grad, = torch.autograd.grad(pred.sum() / N_MODELS, self.z)  # the nets' weights get none
        self.opt.step()
        self.space.project_(self.z)

    def neighbours(self, k: int, noise: float, generator: torch.Generator) -> torch.Tensor:
        """``k`` Gaussian neighbours of every candidate: ``(m, C, k, F)`` (search variables)."""
        z = self.z.detach()
        eps = torch.randn((*z.shape[:2], k, z.shape[-1]), generator=generator).to(z.device)
        nb = z[:, :, None, :] + noise * self.scale * eps
        return self.space.project_(nb)


def _params(net) -> list[torch.Tensor]:
    return [*net.weights, *net.biases]


def _virtual(params: list[torch.Tensor], grads, lr: float) -> list[torch.Tensor]:
    return [p - lr * g for p, g in zip(params, grads)]


def _fwd(params: list[torch.Tensor], x: torch.Tensor, slope: float) -> torch.Tensor:
    n = len(params) // 2
    return forward_with(params[:n], params[n:], x, slope)


# ---------------------------------------------------------------------- ICT


def coteach_indices(losses: torch.Tensor, n_keep: int, teacher: int) -> torch.Tensor:
    """Co-teaching exchange for one round: ``losses`` ``(3, m, N)`` of every model against the
    teacher's pseudo-labels. Each student keeps its ``n_keep`` smallest-loss samples and hands them
    to the other student: returns the sample indices each model trains on, ``(3, m, n_keep)``
    (the teacher's row is unused)."""
    keep = torch.argsort(losses, dim=-1, stable=True)[..., :n_keep]
    s1, s2 = [j for j in range(N_MODELS) if j != teacher]
    out = keep.clone()
    out[s1], out[s2] = keep[s2], keep[s1]
    return out


def reweight(grad: torch.Tensor, weights: torch.Tensor, lr: float, clip: float) -> torch.Tensor:
    """ICT's sample-weight update: the validation-loss gradient ``(n_nets, k)`` normalized (L1) per
    net, clipped to +/-``clip``; a step of ``lr``; weights clamped to [0, 2]."""
    g = F.normalize(grad, p=1, dim=-1).clamp(-clip, clip)
    return (weights - lr * g).clamp(0.0, 2.0)


def fit_ict(problem: OfflineProblem, config: ICTConfig, seed: int,
            progress: Progress | None = None) -> EnsembleSurrogate:
    X, Y, lower, upper, n_categories = problem.arrays()
    prep = prepare(X, Y, lower, upper, n_categories, config, seed, n_members=N_MODELS)
    net, history = _pretrain(prep, config, progress)
    m, n_nets, space = prep.n_obj, prep.n_nets, prep.space
    slope = net.negative_slope
    cands = _Candidates(prep, net, config.n_candidates, config.candidate_lr)
    val_rows = prep.top_rows(config.n_val)
    x_val, y_val = prep.x_tr[val_rows], prep.targets(val_rows)  # each net: its objective's best
    params = _params(net)
    teach_opt = MaskedAdam(params, lr=config.teach_lr)
    member = torch.arange(n_nets, device=prep.device) // m
    g_noise = prep.generators[2]
    nc = min(config.n_coteach, config.n_candidates * config.n_neighbors)
    ar = torch.arange(n_nets, device=prep.device)[:, None]
    mean_w = []
    for _ in range(config.finetune_steps):
        cands.step()
        nb = cands.neighbours(config.n_neighbors, config.noise, g_noise).flatten(1, 2)  # (m, N, F)
        x_nb = space.features(cands.per_net(nb))  # (n_nets, N, F)
        with torch.no_grad():
            labels = net(x_nb)[..., 0].reshape(N_MODELS, m, -1)  # every model's pseudo-labels
        current = labels  # the models' predictions now (recomputed after each round's step)
        for teacher in reversed(range(N_MODELS)):
            students = member != teacher
            target = labels[teacher]  # (m, N)
            if current is None:
                with torch.no_grad():
                    current = net(x_nb)[..., 0].reshape(N_MODELS, m, -1)
            losses = (current - target).square()
            idx = coteach_indices(losses, nc, teacher).reshape(n_nets, nc)
            x_tr, y_tr = x_nb[ar, idx], cands.per_net(target)[ar, idx]  # (n_nets, nc, F), (n_nets, nc)
            w = torch.ones(n_nets, nc, device=prep.device, requires_grad=True)

            def weighted_loss(ps, weights, x_tr=x_tr, y_tr=y_tr, students=students):
                per = (_fwd(ps, x_tr, slope)[..., 0] - y_tr).square()
                return ((weights * per).sum(dim=1) / nc * students).sum()

            inner = torch.autograd.grad(weighted_loss(params, w), params, create_graph=True)
            virtual = _virtual(params, inner, config.teach_lr)
            val = mse_terms(_fwd(virtual, x_val, slope), y_val)
            g_w, = torch.autograd.grad((val * students).sum(), w)
            w = reweight(g_w, w.detach(), config.reweight_lr, config.weight_clip)
            grads = torch.autograd.grad(weighted_loss(params, w), params)
            teach_opt.step(grads, students)
            current = None
            mean_w.append(float(w[students].mean()))
    history.append({**history[-1], "finetune_steps": config.finetune_steps, "val_loss": prep.val_mse(net),
                    "mean_sample_weight": sum(mean_w) / max(len(mean_w), 1)})
    return prep.finish(net, history)


# ---------------------------------------------------------------------- Tri-mentoring


def pair_index(k: int, device=None) -> torch.Tensor:
    """All pairs ``a < b`` of ``k`` neighbours: ``(2, k (k - 1) / 2)``."""
    return torch.triu_indices(k, k, offset=1, device=device)


def pairwise_votes(preds: torch.Tensor, pairs: torch.Tensor) -> torch.Tensor:
    """Each model's vote on each pair: 1 when neighbour ``a`` is predicted better (lower) than
    ``b``. ``preds`` ``(..., K)`` -> ``(..., n_pairs)``."""
    return (preds[..., pairs[0]] < preds[..., pairs[1]]).float()


def consensus_labels(preds: torch.Tensor, pairs: torch.Tensor, majority_voting: bool = True) -> torch.Tensor:
    """Tri-mentoring's consensus on each pair from three models' predictions ``(3, ..., K)``: the
    majority of the three votes, or (``majority_voting=False``) the order of the summed
    predictions. Returns ``(..., n_pairs)`` in {0, 1}."""
    if majority_voting:
        return (pairwise_votes(preds, pairs).sum(dim=0) >= 2).float()
    return pairwise_votes(preds.sum(dim=0), pairs)


def mentoring_loss(preds: torch.Tensor, pairs: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Pairwise logistic loss of each net on the pairs it is mentored on: ``preds`` ``(n_nets, C, K)``
    (minimized predictions of ``K`` neighbours of ``C`` candidates), ``labels`` and ``mask``
    ``(n_nets, C * n_pairs)`` (label 1: neighbour ``a`` better; mask 1: the net disagreed with the
    consensus). ``P(a better) = sigmoid(f(b) - f(a))``. Returns ``(n_nets,)``, mean over masked pairs."""
    n_nets = preds.shape[0]
    logit = (preds[..., pairs[1]] - preds[..., pairs[0]]).reshape(n_nets, -1)
    ce = F.binary_cross_entropy_with_logits(logit, labels, reduction="none")
    return (ce * mask).sum(dim=1) / mask.sum(dim=1).clamp_min(1.0)


def fit_tri_mentoring(problem: OfflineProblem, config: TriMentoringConfig, seed: int,
                      progress: Progress | None = None) -> EnsembleSurrogate:
    X, Y, lower, upper, n_categories = problem.arrays()
    prep = prepare(X, Y, lower, upper, n_categories, config, seed, n_members=N_MODELS)
    net, history = _pretrain(prep, config, progress)
    m, n_nets, space = prep.n_obj, prep.n_nets, prep.space
    slope = net.negative_slope
    cands = _Candidates(prep, net, config.n_candidates, config.candidate_lr)
    pairs = pair_index(config.n_neighbors, prep.device)
    params = _params(net)
    g_noise, g_batch = prep.generators[2], prep.generators[3]
    n_train, bs = len(prep.x_tr), min(config.batch_size, len(prep.x_tr))
    disagreements = []
    for _ in range(config.finetune_steps):
        nb = cands.neighbours(config.n_neighbors, config.noise, g_noise)  # (m, C, K, F)
        C, K = nb.shape[1], nb.shape[2]
        x_nb = space.features(cands.per_net(nb.flatten(1, 2)))  # (n_nets, C*K, F)
        # One forward serves the votes, the soft labels' inner step and the mentoring step: the
        # weights do not change in between, so a second forward would repeat the same products.
        out = _fwd(params, x_nb, slope)[..., 0].reshape(n_nets, C, K)
        preds = out.detach().reshape(N_MODELS, m, C, K)
        votes = pairwise_votes(preds, pairs)  # (3, m, C, P)
        consensus = consensus_labels(preds, pairs, config.majority_voting)  # (m, C, P)
        mask = (votes != consensus).float().reshape(n_nets, -1)  # pairs each model disagrees on
        disagreements.append(float(mask.mean()))
        if not bool(mask.any()):
            cands.step()
            continue
        labels = consensus.unsqueeze(0).expand(N_MODELS, -1, -1, -1).reshape(n_nets, -1).clone()
        if config.soft_label:
            labels.requires_grad_(True)
            inner = torch.autograd.grad(mentoring_loss(out, pairs, labels, mask).sum(), params, create_graph=True)
            virtual = _virtual(params, inner, config.mentor_lr)
            rows = torch.randint(0, n_train, (n_nets, bs), generator=g_batch).to(prep.device)
            outer = mse_terms(_fwd(virtual, prep.x_tr[rows], slope), prep.targets(rows)).sum()
            g_lab, = torch.autograd.grad(outer, labels)
            labels = (labels.detach() - config.label_lr * g_lab).clamp(0.0, 1.0)
        grads = torch.autograd.grad(mentoring_loss(out, pairs, labels, mask).sum(), params)
        with torch.no_grad():
            for p, g in zip(params, grads):
                p.sub_(config.mentor_lr * g)
        cands.step()
    history.append({**history[-1], "finetune_steps": config.finetune_steps, "val_loss": prep.val_mse(net),
                    "disagreement_rate": sum(disagreements) / max(len(disagreements), 1)})
    return prep.finish(net, history)



"""Generative models of designs (CbAS / conditional VAE, DDOM diffusion, ParetoFlow flow matching)
and the searches that sample them.

Each generator is a training scheme (fitted in its own Ray actor, beside the surrogate) and a
search (run after both are trained, with the surrogate scoring or guiding the samples); the
catalog (``dist_ombo.catalog``) names them and their budgets. Nothing is imported here, so naming
a method never loads torch.
"""

"""The field's robust surrogate training schemes (COMs, RoMA, IOM, ICT, Tri-mentoring, learning to
rank, GradNorm, PcGrad, end-to-end) and RoMA's adaptive search.

Every scheme trains an ``EnsembleSurrogate`` (IOM: a subclass with a representation stage), so every
search that takes an ensemble takes these too; a method is a scheme plus a search. For MOO the
schemes follow Off-MOO-Bench: one model per objective ("multiple models" + scheme) trained on the
best 20% of the data, searched by NSGA-II; GradNorm and PcGrad train multi-head ensembles,
the end-to-end schemes one net with an output per objective (plain, + GradNorm, + PcGrad). SOO
methods search by gradient descent from the best designs (Design-Bench "Grad"), RoMA by its own
adaptive search. The catalog (``dist_ombo.catalog``) names the schemes, their presets and budgets.
"""

"""The Bayesian-optimization baselines of Off-MOO-Bench with BoTorch: MOBO (qNEHVI), MOBO-ParEGO
and MOBO-JES.

A GP per objective is a training scheme (``gp`` in ``dist_ombo.catalog``: fitted like an
ensemble, its objectives split over Ray actors when a trial asks for more than one); each
acquisition with its greedy batch optimization is a search (``qnehvi``, ``parego``, ``jes``); the
catalog's presets ``mobo-*`` pair them and ``bo.budgets`` sets their cost per budget. BoTorch is
imported only when a GP is fitted or searched.
"""

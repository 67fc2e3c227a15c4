"""GP fits on Ray actors, objectives in parallel: a scheme with ``split_objectives`` (the GPs of
``dist_ombo.bo``) has its objectives split into at most ``train_actors`` groups, one
``ModelTrainer`` actor each, like an ensemble's member groups; the scheme's ``merge`` joins the
fitted groups. Every group fits on the same subset with the same seed, so the merged model equals
one fitted in a single process.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from dist_ombo.distributed.actors import member_groups
from dist_ombo.runner import TrainJob


def split_by_objective(job: TrainJob, train_actors: int) -> list[TrainJob]:
    """One job per group of objectives (at most ``train_actors`` groups, one objective each when
    there are enough actors); a single group keeps the job whole."""
    n_obj = int(np.asarray(job.Y).shape[1])
    sizes = member_groups(n_obj, train_actors)
    if len(sizes) <= 1:
        return [job]
    jobs, start = [], 0
    for size in sizes:
        objectives = tuple(range(start, start + size))
        jobs.append(dataclasses.replace(job, config=dataclasses.replace(job.config, objectives=objectives)))
        start += size
    return jobs

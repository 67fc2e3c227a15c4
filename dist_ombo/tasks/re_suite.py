"""The RE suite: real-world multi-objective engineering problems (Tanabe & Ishibuchi, 2020).

R. Tanabe and H. Ishibuchi, "An easy-to-use real-world multi-objective optimization problem
suite", Applied Soft Computing 89:106078 (2020); formulas as in the paper's supplementary file and
the authors' reference code (``ryojitanabe/reproblems``, bug fixes up to 2021-05-29 included:
RE21 ``2/x1`` and ``E = 2e5``, RE25 ``G = 11.5e6``, RE42 ``DWT <= 500000``).

Every objective is minimized. Constraints are folded into the *last* objective as the sum of
violations ``sum_j max(-g_j, 0)`` (constraints written ``g_j >= 0``), as the reformulation does for
RE22-RE25, RE31-RE33, RE35, RE36, RE41, RE42 and RE61; RE21, RE34 and RE37 have none. Discrete
variables are mapped from the continuous box inside the oracle (rounding or nearest catalogue
value), so every design space stays a continuous box.

Per task: ``nadir_point`` is the hard-coded Off-MOO-Bench point whose 2.2x normalized value is the
HV reference (``shared/docs/protocols.md``); ``ideal_point`` and ``pf_nadir_point`` are the ideal
and nadir points of Tanabe & Ishibuchi's approximated Pareto front (their ``ideal_nadir_points``
data). The offline data follow Off-MOO-Bench: weakened NSGA-II, 30 generations, ``p_worst`` 0.45;
RE34 is collected with NSGA-III for 100 generations, as Off-MOO-Bench does.

RE24 comes twice: ``re24`` is Tanabe & Ishibuchi's function; ``re24_offmoo`` is the one
Off-MOO-Bench's code computes (buckling stress ``E * x1 * x2 / 100`` instead of ``E * x1**2 / 100``),
from which its published RE24 numbers come (``docs/headroom.md``).

Degenerate designs give non-finite values, as in the reference: RE22 at ``x2 = 0`` (infinite
violation) and RE33 at ``x1 == x2`` (0/0). Both have measure zero in the box; the metrics drop
non-finite rows.
"""

from __future__ import annotations

from typing import Callable

from dist_ombo.tasks.base import Task
from dist_ombo.tasks.re_base import RETask
from dist_ombo.tasks.re_many_objectives import RE31, RE32, RE33, RE34, RE35, RE36, RE37, RE41, RE42, RE61
from dist_ombo.tasks.re_two_objectives import RE21, RE22, RE23, RE24, RE24OffMOO, RE25

_CLASSES: tuple[type[RETask], ...] = (
    RE21, RE22, RE23, RE24, RE24OffMOO, RE25, RE31, RE32, RE33, RE34, RE35, RE36, RE37, RE41, RE42, RE61,
)

TASKS: dict[str, Callable[..., Task]] = {cls.name: cls for cls in _CLASSES}

__all__ = ["RETask", "TASKS", *(cls.__name__ for cls in _CLASSES)]

"""Ctrl-C during a sweep: stop the Tune experiment cleanly and know that it was stopped.

Tune's own SIGINT handler stops the run too, but then returns as if the run had ended, ends the
trials it stopped as TERMINATED (so nothing tells the caller), and hints at the Python
``Tuner.restore(...)``, which is not how a sweep resumes. In its place, the first Ctrl-C makes this
stopper end every trial and the experiment (Tune's ``Stopper.stop_all``), the finished trial
folders stay, and the caller sees ``pressed``; a second Ctrl-C raises ``KeyboardInterrupt`` at once.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from ray import tune

DISABLE_TUNE_HANDLER = "TUNE_DISABLE_SIGINT_HANDLER"


class StopOnCtrlC(tune.Stopper):
    """``with StopOnCtrlC() as stopper:`` around ``Tuner.fit``, with ``RunConfig(stop=stopper)``.

    Outside the main thread no handler can be installed; Ctrl-C then raises as usual."""

    def __init__(self) -> None:
        self.pressed = False
        self._previous: Any = None
        self._installed = False
        self._saved_env: str | None = None

    def __call__(self, trial_id: str, result: dict) -> bool:
        return False  # no trial is stopped for its results

    def stop_all(self) -> bool:
        return self.pressed

    def press(self, signum: int | None = None, frame: Any = None) -> None:
        """What Ctrl-C does: stop the experiment, and let a second Ctrl-C interrupt at once (Python's
        own handler; the one found on entry may be a stale one an earlier Tune run left behind)."""
        self.pressed = True
        if self._installed:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        print("\nstopping the running trials (Ctrl-C again to stop at once)...", file=sys.stderr, flush=True)

    def __enter__(self) -> "StopOnCtrlC":
        self._saved_env = os.environ.get(DISABLE_TUNE_HANDLER)
        os.environ[DISABLE_TUNE_HANDLER] = "1"
        try:
            self._previous = signal.signal(signal.SIGINT, self.press)
            self._installed = True
        except ValueError:  # not the main thread
            self._installed = False
        return self

    def __exit__(self, *exc: Any) -> None:
        self._restore_handler()
        if self._saved_env is None:
            os.environ.pop(DISABLE_TUNE_HANDLER, None)
        else:
            os.environ[DISABLE_TUNE_HANDLER] = self._saved_env

    def _restore_handler(self) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)
            self._installed = False

    def __getstate__(self) -> dict[str, Any]:
        """Tune pickles its run config: the signal handler stays with this process."""
        return {"pressed": self.pressed, "_previous": None, "_installed": False, "_saved_env": None}

"""What a sweep prints while it runs: one status line and one line per finished or failed trial.

Tune's own tables, config boxes and hints are for ``--verbose``; by default a user sees how far the
sweep is (done / running / failed / ETA) and, as each trial ends, its headline score against the
data's best. ``SweepPrinter`` holds the counts and the wording and knows nothing of Ray, so it is
tested with plain calls; ``TuneProgress`` is the Tune callback that feeds it.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Mapping, TextIO

from ray import tune

from dist_ombo.reporting.headline import of_metrics

CLEAR_LINE = "\r\x1b[K"


def format_duration(seconds: float) -> str:
    """``75`` -> ``1m 15s``; ``3700`` -> ``1h 01m``."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"


def trial_line(label: str, metrics: Mapping[str, Any]) -> str:
    """One finished trial: ``zdt1 / ensemble-nsga2 / seed 0: HV 0.8123 = 1.042 x D(best), 41.2s``."""
    try:
        h = of_metrics(metrics)
    except KeyError:
        return f"{label}: finished (no headline metric in its result)"
    score, dbest = metrics[h.metric], metrics.get(h.dbest)
    ratio = f" = {score / dbest:.3f} x D(best)" if dbest else ""
    seconds = metrics.get("time_total_s")
    took = f", {seconds:.1f}s" if isinstance(seconds, (int, float)) else ""
    reused = " (reused an earlier result)" if metrics.get("reused") is True else ""
    return f"{label}: {h.short} {score:.4f}{ratio}{took}{reused}"


class SweepPrinter:
    """Counts trials as they start, finish and fail, and prints what a user follows.

    On a terminal (``live``) the status line is redrawn in place; otherwise (a log file, CI) it is
    printed as a plain line at most every ``interval_s`` seconds. The ETA is the mean wall time of
    the trials that finished here x the trials left / the most trials seen running at once.
    """

    def __init__(self, total: int, labels: Mapping[str, str] | None = None, stream: TextIO | None = None,
                 live: bool | None = None, interval_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.total = total
        self.labels = dict(labels or {})
        # None: sys.stdout, looked up when writing (Tune pickles its callbacks; a captured stdout
        # may not pickle)
        self._stream = stream
        self.live = self.stream.isatty() if live is None else live
        self.interval_s = interval_s
        self.clock = clock
        self.started_at: dict[str, float] = {}
        self.durations: list[float] = []
        self.done = 0
        self.failed = 0
        self.peak_running = 0
        self._last_status = clock()
        self._status_shown = False
        self._drawn = ""

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stdout

    @property
    def running(self) -> int:
        return len(self.started_at)

    def label(self, trial_id: str) -> str:
        return self.labels.get(trial_id, trial_id)

    def eta_s(self) -> float | None:
        """Seconds left, or ``None`` before the first trial finished here."""
        if not self.durations:
            return None
        left = self.total - self.done - self.failed
        return sum(self.durations) / len(self.durations) * left / max(1, self.peak_running)

    def status_line(self) -> str:
        eta = self.eta_s()
        when = "ETA after the first trial" if eta is None else f"ETA {format_duration(eta)}"
        if self.done + self.failed == self.total:
            when = "all ended"
        return (f"[sweep] {self.done}/{self.total} done, {self.running} running, {self.failed} failed, {when}")

    def started(self, trial_id: str) -> None:
        self.started_at[trial_id] = self.clock()
        self.peak_running = max(self.peak_running, self.running)
        self._redraw()

    def finished(self, trial_id: str, metrics: Mapping[str, Any]) -> None:
        self._end(trial_id)
        self.done += 1
        self._print(trial_line(self.label(trial_id), metrics))

    def failed_for_good(self, trial_id: str, reason: str) -> None:
        self._end(trial_id)
        self.failed += 1
        self._print(f"FAILED {self.label(trial_id)}: {reason}")

    def retrying(self, trial_id: str, reason: str) -> None:
        self.started_at.pop(trial_id, None)
        self._print(f"retrying {self.label(trial_id)} after: {reason}")

    def tick(self) -> None:
        """Called often (every step of Tune's loop): a live line is redrawn when its text changed;
        a plain status line goes out every ``interval_s``."""
        now = self.clock()
        if self.live and self.status_line() != self._drawn:
            self._redraw()
        elif not self.live and now - self._last_status >= self.interval_s:
            self._last_status = now
            self._write(self.status_line() + "\n")

    def close(self) -> None:
        """Leave the last status on its own line (a live one) so what follows starts clean."""
        if self.live and self._status_shown:
            self._write(CLEAR_LINE + self.status_line() + "\n")
            self._status_shown = False

    def _end(self, trial_id: str) -> None:
        start = self.started_at.pop(trial_id, None)
        if start is not None:
            self.durations.append(self.clock() - start)

    def _print(self, line: str) -> None:
        self._write((CLEAR_LINE if self.live and self._status_shown else "") + line + "\n")
        self._status_shown = False
        self._redraw()

    def _redraw(self) -> None:
        if self.live:
            self._drawn = self.status_line()
            self._status_shown = True
            self._write(CLEAR_LINE + self._drawn)

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


def trial_reason(trial_dir: Path, fallback: Any = None) -> str:
    """The one-line reason a trial failed: the error its own ``error.json`` recorded (the
    traceback stays in that file), else the last line of what Tune holds."""
    try:
        text = str(json.loads((trial_dir / "error.json").read_text())["error"])
    except (OSError, ValueError, KeyError, TypeError):
        text = str(fallback or "no error recorded")
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    line = lines[-1] if lines else "no error recorded"
    return line if len(line) <= 300 else line[:297] + "..."


class TuneProgress(tune.Callback):
    """Feeds Tune's trial events to a ``SweepPrinter``."""

    def __init__(self, printer: SweepPrinter, trials_dir: Path) -> None:
        self.printer = printer
        self.trials_dir = Path(trials_dir)

    @staticmethod
    def _id(trial: Any) -> str:
        return trial.config["point"]["trial_id"]

    def _reason(self, trial: Any) -> str:
        try:
            fallback = trial.get_error()
        except Exception:  # noqa: BLE001 - a missing or unreadable error file: say so, do not fail the sweep
            fallback = None
        return trial_reason(self.trials_dir / self._id(trial), fallback)

    def on_step_begin(self, iteration: int, trials: list, **info: Any) -> None:
        self.printer.tick()

    def on_trial_start(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self.printer.started(self._id(trial))

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self.printer.finished(self._id(trial), trial.last_result or {})

    def on_trial_recover(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self.printer.retrying(self._id(trial), self._reason(trial))

    def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self.printer.failed_for_good(self._id(trial), self._reason(trial))

    def on_experiment_end(self, trials: list, **info: Any) -> None:
        self.printer.close()


class _DropRecords:
    """A logging filter dropping the records whose message starts with one of ``prefixes``."""

    def __init__(self, prefixes: tuple[str, ...]) -> None:
        self.prefixes = prefixes

    def filter(self, record: Any) -> bool:
        return not str(record.msg).startswith(self.prefixes)


# Tune's driver-side records that the quiet output says better: a failed trial's traceback (the
# printer gives its one-line reason; the trial's error.json keeps the traceback) and the list of
# unfinished trials (the sweep summary lists them).
QUIET_DROPS = {
    "ray.tune.execution.tune_controller": ("Trial task failed",),
    "ray.tune.tune": ("Trials did not complete",),
}


class quiet_tune:
    """``with quiet_tune(enabled):`` around ``Tuner.fit``: Tune's legacy output engine at
    verbosity 0 prints no tables, config boxes or TensorBoard hints (the new engine, Ray's
    default, still prints the experiment box and hints at verbosity 0), and the records of
    ``QUIET_DROPS`` are dropped. Restores the environment and the loggers afterwards."""

    ENV = "RAY_AIR_NEW_OUTPUT"

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.filters: list[tuple[Any, _DropRecords]] = []
        self.saved_env: str | None = None

    def __enter__(self) -> "quiet_tune":
        if not self.enabled:
            return self
        self.saved_env = os.environ.get(self.ENV)
        os.environ[self.ENV] = "0"
        for name, prefixes in QUIET_DROPS.items():
            logger, drop = logging.getLogger(name), _DropRecords(prefixes)
            logger.addFilter(drop)
            self.filters.append((logger, drop))
        return self

    def __exit__(self, *exc: Any) -> None:
        if not self.enabled:
            return
        for logger, drop in self.filters:
            logger.removeFilter(drop)
        self.filters = []
        if self.saved_env is None:
            os.environ.pop(self.ENV, None)
        else:
            os.environ[self.ENV] = self.saved_env

"""Starting or joining Ray the same way on a laptop and on a cluster.

An embedded Ray that fails to start (on a loaded machine: "node timed out during startup") is
retried once, then reported in one line that names the way around it. Its processes are recorded
so that a run after a SIGKILLed one ends what that run left behind (``session_cleanup``), and it is
shut down when the program exits, on SIGINT and SIGTERM too (Ray turns SIGTERM into ``sys.exit``).
"""

from __future__ import annotations

import atexit
import logging
import os
import sys

import ray

from dist_ombo.errors import DistOmboError

NO_RAY_HINT = "a single trial runs without Ray: dist-ombo run ... --no-ray"


class RayStartError(DistOmboError):
    """Ray could not be started or joined."""


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}"


def init_ray(num_cpus: int | None = None, num_gpus: int | None = None, no_ray_hint: str = NO_RAY_HINT,
             quiet: bool = False) -> None:
    """Join the cluster named by ``RAY_ADDRESS`` (a Ray Job or ``ray submit`` on the head), or
    start an embedded local Ray (passing ``num_cpus`` when connecting to a cluster would raise).

    ``quiet``: Ray's own log lines at warning level and above only, and the workers' output stays
    in Ray's session logs instead of the terminal (a sweep prints each trial's result or failure
    reason itself)."""
    if ray.is_initialized():
        return
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    logs = {"log_to_driver": not quiet, "logging_level": logging.WARNING if quiet else logging.INFO}
    if os.environ.get("RAY_ADDRESS"):
        try:
            ray.init(**logs)
        except Exception as exc:  # noqa: BLE001 - any failure to connect becomes one clear line
            raise RayStartError(f"could not join the Ray cluster at RAY_ADDRESS={os.environ['RAY_ADDRESS']} "
                                f"({_one_line(exc)}); is it running? {no_ray_hint}") from exc
        return
    from dist_ombo.distributed.session_cleanup import clean_stale_sessions, record_session

    _choose_token_auth()
    ended = clean_stale_sessions()
    if ended:
        print(f"note: ended {ended} Ray process(es) left behind by an earlier run that was killed", file=sys.stderr)
    for attempt in (1, 2):
        try:  # address="local": a new embedded instance, never a cluster someone started with `ray start`
            ray.init(address="local", num_cpus=num_cpus, num_gpus=num_gpus, include_dashboard=False, **logs)
            break
        except Exception as exc:  # noqa: BLE001 - see below
            ray.shutdown()  # whatever half started
            if attempt == 2:
                raise RayStartError(
                    f"Ray did not start, twice ({_one_line(exc)}); the machine may be overloaded or short of "
                    f"memory or /tmp space: try again when it is quieter, or {no_ray_hint}") from exc
            print(f"note: Ray did not start ({_one_line(exc)}); trying once more", file=sys.stderr)
    try:
        session_dir = ray._private.worker._global_node.get_session_dir_path()  # noqa: SLF001 (Ray pinned)
    except AttributeError:
        session_dir = None
    record_session(session_dir)
    atexit.register(shutdown_ray)


def _choose_token_auth() -> None:
    """A new local Ray turns token authentication on when ``RAY_AUTH_MODE`` is unset, and warns
    that it did on every start. Make the same (secure) choice explicitly, the way Ray's default does
    it (set the variable, then reload Ray's cached config: Ray reads it once, at import), so the
    cluster is the same and the warning is gone. A user's own ``RAY_AUTH_MODE`` wins."""
    if "RAY_AUTH_MODE" in os.environ:
        return
    try:  # private helper of Ray 2.60 (pinned in pyproject.toml)
        from ray._private.authentication.authentication_token_setup import _enable_token_auth
    except ImportError:  # another Ray: its default applies, with its warning
        return
    _enable_token_auth()


def shutdown_ray() -> None:
    """Stop the Ray this process started or joined, and forget its process record."""
    from dist_ombo.distributed.session_cleanup import forget_session

    if ray.is_initialized():
        ray.shutdown()
    forget_session()

"""Ray processes a killed driver leaves behind, found and ended by the next run.

When a driver that started an embedded Ray dies by SIGKILL, Ray's own processes mostly follow it,
but ``ray::DashboardAgent`` and ``ray::RuntimeEnvAgent`` stay (orphaned, and they ignore SIGTERM).
So after Ray starts, the driver records the processes it spawned (PID and kernel start time, so a
reused PID is never mistaken for ours) in ``<cache>/ray-sessions/``; the record is removed on a
clean exit. The next run ends the processes of every record whose driver is gone. Only processes
this package's own drivers started are ever touched. Linux only (``/proc``); elsewhere a no-op.
"""

from __future__ import annotations

import json
import os
import signal
import socket
from pathlib import Path
from typing import Any

from dist_ombo.io import write_text_atomic

PROC = Path("/proc")


def records_dir() -> Path:
    from dist_ombo.tasks.base import _default_cache_dir

    return _default_cache_dir() / "ray-sessions"


def start_time(pid: int) -> int | None:
    """The kernel start time of ``pid`` (clock ticks since boot), or ``None`` if it is gone."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "; comm may hold spaces
    if fields[0] == "Z":  # a zombie has already ended
        return None
    return int(fields[19])


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in PROC.glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def descendants(pid: int) -> list[int]:
    tree, out, todo = _children(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _record_path(pid: int) -> Path:
    return records_dir() / f"{socket.gethostname()}-{pid}.json"


def record_session(session_dir: str | None = None) -> Path | None:
    """Record this driver and the processes it has spawned (call right after Ray started)."""
    me = os.getpid()
    if not PROC.exists() or start_time(me) is None:
        return None
    procs = [[p, t] for p in descendants(me) if (t := start_time(p)) is not None]
    record = {"driver": [me, start_time(me)], "host": socket.gethostname(), "session_dir": session_dir,
              "processes": procs}
    return write_text_atomic(_record_path(me), json.dumps(record))


def forget_session() -> None:
    """Remove this driver's record (on a clean shutdown)."""
    _record_path(os.getpid()).unlink(missing_ok=True)


def _alive(pid_and_start: list[Any]) -> bool:
    pid, started = pid_and_start
    return start_time(int(pid)) == started


def clean_stale_sessions() -> int:
    """End the recorded processes of drivers on this host that are gone; returns how many."""
    folder = records_dir()
    if not PROC.exists() or not folder.is_dir():
        return 0
    ended = 0
    for path in folder.glob(f"{socket.gethostname()}-*.json"):
        try:
            record = json.loads(path.read_text())
            driver, processes = record["driver"], record["processes"]
        except (OSError, ValueError, KeyError, TypeError):
            path.unlink(missing_ok=True)  # unreadable: it can name no process safely
            continue
        if _alive(driver):
            continue  # a running sweep or trial: not ours to touch
        for proc in processes:
            if _alive(proc):
                try:
                    os.kill(int(proc[0]), signal.SIGKILL)  # the agents ignore SIGTERM
                    ended += 1
                except (ProcessLookupError, PermissionError):
                    pass
        path.unlink(missing_ok=True)
    return ended

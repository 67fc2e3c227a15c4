"""One sweep per directory: an exclusive lock on ``<out>/.sweep.lock``.

Two sweeps started into one directory would train the same trials twice into the same folders.
The lock is an ``flock`` on the file, so the kernel frees it when its holder dies, however it dies
(SIGKILL included): a lock left by a dead process is simply taken over, with a note naming it. The
file records the holder's PID, host and start time, which a second sweep reports.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from dist_ombo.errors import DistOmboError

LOCK_NAME = ".sweep.lock"


class SweepLockedError(DistOmboError):
    """Another running sweep holds the directory."""


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text() or "{}")
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


class SweepLock:
    """``with SweepLock(out_dir): ...`` holds ``out_dir`` for one sweep (not re-entrant)."""

    def __init__(self, out_dir: str | Path) -> None:
        self.path = Path(out_dir) / LOCK_NAME
        self._fd: int | None = None
        self.took_over: dict[str, Any] | None = None  # the dead holder's record, when one was left

    def acquire(self) -> "SweepLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(5):  # retried only when another process replaced the file under us
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise SweepLockedError(self._held_message()) from None
            try:
                same_file = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:  # the previous holder removed it as we opened it
                same_file = False
            if not same_file:
                os.close(fd)
                continue
            left = _read(self.path)
            if left.get("pid") is not None and left.get("pid") != os.getpid():
                self.took_over = left  # unlocked yet still recorded: its holder died without cleaning up
            record = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(record).encode(), 0)
            os.fsync(fd)
            self._fd = fd
            return self
        raise SweepLockedError(f"could not lock {self.path}: it keeps being replaced by another process")

    def _held_message(self) -> str:
        holder = _read(self.path)
        since = holder.get("started")
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(since)) if isinstance(since, (int, float)) else "?"
        return (f"{self.path.parent} is in use by another sweep (PID {holder.get('pid', '?')} on host "
                f"{holder.get('host', '?')}, since {when}); wait for it to finish, stop it, or choose another --out")

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)  # while still locked: no one else can hold this inode now
        finally:
            os.close(self._fd)  # closing frees the flock
            self._fd = None

    def __enter__(self) -> "SweepLock":
        return self.acquire()

    def __exit__(self, *exc: Any) -> None:
        self.release()

"""Replays the process probes: a Ray that will not start is retried once and then reported in one
line naming ``--no-ray``; a driver stopped by SIGTERM leaves no Ray process behind; the processes
that a SIGKILLed driver leaves are ended by the next run; one sweep per directory."""

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest
import yaml

import dist_ombo.distributed.cluster as cluster
from dist_ombo.cli import main
from dist_ombo.distributed import session_cleanup
from dist_ombo.distributed.sweep_lock import SweepLock, SweepLockedError


@pytest.fixture
def fake_ray_start(monkeypatch):
    """ray.init replaced by a stub that fails a given number of times (the real Ray untouched)."""
    calls = {"n": 0, "fail": 0}

    def init(**kwargs):
        calls["n"] += 1
        if calls["n"] <= calls["fail"]:
            raise RuntimeError("The current node timed out during startup. This could happen because ...")

    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.setattr(cluster.ray, "is_initialized", lambda: False)
    monkeypatch.setattr(cluster.ray, "init", init)
    monkeypatch.setattr(cluster.ray, "shutdown", lambda: None)
    monkeypatch.setattr(cluster.atexit, "register", lambda fn: None)
    monkeypatch.setattr(session_cleanup, "record_session", lambda *a: None)
    monkeypatch.setattr(session_cleanup, "clean_stale_sessions", lambda: 0)
    return calls


def test_ray_start_is_retried_once(fake_ray_start, capsys):
    fake_ray_start["fail"] = 1
    cluster.init_ray()
    assert fake_ray_start["n"] == 2 and "trying once more" in capsys.readouterr().err


def test_ray_that_never_starts_gets_one_clear_line_naming_no_ray(fake_ray_start, capsys, tmp_path):
    fake_ray_start["fail"] = 2
    argv = ["run", "--task", "ackley-3", "--method", "ensemble-ga", "--budget", "smoke", "--out", str(tmp_path / "t")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert fake_ray_start["n"] == 2
    assert err[-1].startswith("error: Ray did not start, twice") and "--no-ray" in err[-1]
    assert "timed out during startup" in err[-1] and not any("Traceback" in line for line in err)


# A driver started from a terminal has Python's Ctrl-C handler. One started under a shell's
# background job (`cmd &` without job control, as some CI runners start their tests) inherits
# SIGINT ignored, and Python then installs no handler: it would never see the SIGINT sent here.
DRIVER = textwrap.dedent("""
    import signal
    import time
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from dist_ombo.distributed.cluster import init_ray
    init_ray(num_cpus=1)
    print("up", flush=True)
    time.sleep(300)
""")


def _start_driver(tmp_path):
    env = {**os.environ, "DIST_OMBO_CACHE": str(tmp_path / "cache"), "RAY_USAGE_STATS_ENABLED": "0",
           "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-c", DRIVER], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    assert proc.stdout.readline().strip() == "up"
    record = tmp_path / "cache" / "ray-sessions" / f"{socket.gethostname()}-{proc.pid}.json"
    processes = json.loads(record.read_text())["processes"]
    assert len(processes) >= 3  # gcs, raylet, agents...
    return proc, record, processes


def _alive(processes):
    return [p for p, t in processes if session_cleanup.start_time(p) == t]


def _wait_gone(processes, timeout=30.0):
    deadline = time.time() + timeout
    while _alive(processes) and time.time() < deadline:
        time.sleep(0.5)
    return _alive(processes)


@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir("/proc"), reason="process records need /proc")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_or_sigint_leaves_no_ray_process(tmp_path, signum):
    proc, record, processes = _start_driver(tmp_path)
    try:
        proc.send_signal(signum)
        proc.wait(timeout=180)  # a loaded 2-core machine has taken over a minute to stop Ray
        assert _wait_gone(processes) == []
        assert not record.exists()  # a clean exit forgets its record
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir("/proc"), reason="process records need /proc")
def test_processes_left_by_a_sigkill_are_ended_by_the_next_run(tmp_path, monkeypatch):
    proc, record, processes = _start_driver(tmp_path)
    proc.kill()
    proc.wait(timeout=30)
    time.sleep(3)  # Ray's own fate sharing takes most processes down; the agents stay
    survivors = _alive(processes)
    monkeypatch.setenv("DIST_OMBO_CACHE", str(tmp_path / "cache"))
    ended = session_cleanup.clean_stale_sessions()  # what the next init_ray does first
    assert ended <= len(survivors) and _wait_gone(processes, 15) == []
    assert not record.exists()
    print(f"left behind by SIGKILL: {len(survivors)} of {len(processes)} processes; ended: {ended}")


def test_cleanup_never_touches_a_live_driver_or_a_reused_pid(tmp_path, monkeypatch):
    monkeypatch.setenv("DIST_OMBO_CACHE", str(tmp_path))
    folder = session_cleanup.records_dir()
    folder.mkdir(parents=True)
    me = [os.getpid(), session_cleanup.start_time(os.getpid())]
    live = folder / f"{socket.gethostname()}-{me[0]}.json"
    live.write_text(json.dumps({"driver": me, "processes": [me]}))
    dead = folder / f"{socket.gethostname()}-1.json"  # a driver gone; its "process" is us under a reused PID
    dead.write_text(json.dumps({"driver": [1, -1], "processes": [[os.getpid(), me[1] + 1]]}))
    assert session_cleanup.clean_stale_sessions() == 0
    assert live.exists() and not dead.exists()


HOLDER = textwrap.dedent("""
    import sys, time
    from dist_ombo.distributed.sweep_lock import SweepLock
    with SweepLock(sys.argv[1]):
        print("held", flush=True)
        time.sleep(120)
""")


def test_a_second_sweep_into_a_held_directory_stops_naming_the_holder(tmp_path, capsys):
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(out)], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        cfg = tmp_path / "sweep.yaml"
        cfg.write_text(yaml.safe_dump({"tasks": ["ackley-3"], "methods": ["ensemble-ga"], "seeds": [0],
                                       "budget": "smoke"}))
        assert main(["sweep", str(cfg), "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert f"PID {holder.pid} on host {socket.gethostname()}" in err and "in use by another sweep" in err
        assert not (out / "sweep.json").exists()
    finally:
        holder.kill()
        holder.wait()
    with SweepLock(out) as lock:  # the holder died (SIGKILL): its lock is taken over
        assert lock.took_over["pid"] == holder.pid
    assert not (out / ".sweep.lock").exists()


def test_a_lock_is_exclusive_within_one_process_too(tmp_path):
    with SweepLock(tmp_path):
        with pytest.raises(SweepLockedError, match=f"PID {os.getpid()}"):
            SweepLock(tmp_path).acquire()

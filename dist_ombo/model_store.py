"""A content-addressed store of trained models, so a sweep trains each distinct model once and
every method that shares it searches from the stored weights.

A model's key is the sha256 of what decides its weights: the dataset (task, task parameters,
data seed, protocol version and a fingerprint of the arrays it learns from), the scheme and role,
the resolved model config, the training seed, how training was split over actors, and the
package's ``code_version``. ``<key>.npz`` holds the model's ``state()`` (numpy arrays plus a JSON
tree, read with ``allow_pickle=False``: loading a store never runs code, unlike ``torch.load`` of
a pickled object); ``<key>.json`` beside it says which trial trained it, when, where, the file's
sha256 and the key's parts.

Safe under resume, retries and concurrent trials: a model is written to a temp file in the store,
fsynced and renamed into place (``os.replace``), so a reader sees a whole file or none; a per-key
lock file (``O_CREAT | O_EXCL``) makes one trial train while others wait for it, bounded by
``wait_s``, after which a waiter trains itself without publishing. A lock left by a dead process
on this host is taken over. An entry that does not load or whose bytes disagree with its manifest
is set aside (renamed) with a one-line note and trained again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import socket
import threading
import time
import uuid
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from dist_ombo.catalog import get_scheme
from dist_ombo.errors import DistOmboError

#: Bump when the file layout or the key's parts change: old entries then simply stop matching.
STORE_FORMAT = 1
#: Seconds a trial waits for another trial that holds a model's lock before training it itself.
WAIT_S = float(os.environ.get("DIST_OMBO_MODEL_WAIT_S", 3600))
CORRUPT_SUFFIX = ".corrupt"

_PACKAGE = Path(__file__).resolve().parent
_held_tokens: set[str] = set()  # lock tokens this process holds (threads of one process share a PID)
_held_lock = threading.Lock()


class StoreError(DistOmboError):
    """A model cannot be stored exactly (its state holds something the store's format cannot keep)."""


@lru_cache(maxsize=1)
def code_version() -> str:
    """A short hash of the package's source files (paths and bytes), computed once per process:
    a model trained by other code never matches."""
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*.py")):
        digest.update(path.relative_to(_PACKAGE).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def data_fingerprint(problem: Any) -> str:
    """sha256 of the arrays a model learns from (designs, objectives, bounds, design kind)."""
    digest = hashlib.sha256()
    for arr in (problem.X, problem.Y, problem.lower, problem.upper):
        arr = np.ascontiguousarray(arr)
        digest.update(f"{arr.dtype.str}{arr.shape}".encode())
        digest.update(arr.tobytes())
    digest.update(f"{problem.n_categories}|{problem.permutation}".encode())
    return digest.hexdigest()


def key_parts(job: Any, dataset: Mapping[str, Any], train_actors: int = 1, gpu: bool = False) -> dict[str, Any]:
    """What decides a ``pipeline.TrainJob``'s weights, as plain data. ``train_actors``: how many
    actors the trainer splits a splittable ensemble over (member groups get their own seeds);
    ``gpu``: whether it trains on a GPU (other kernels, other floats)."""
    groups = training_groups(job.scheme, job.config, train_actors)
    return jsonable({
        "store_format": STORE_FORMAT, "code_version": code_version(), "dataset": dict(dataset),
        "data": data_fingerprint(job.problem), "scheme": job.scheme, "role": job.role,
        "config": dataclasses.asdict(job.config), "seed": int(job.seed),
        "training": {"groups": groups, "gpu": bool(gpu)},
    })


def training_groups(scheme: str, config: Any, train_actors: int) -> int:
    """Member groups a trainer with ``train_actors`` actors trains a model in (each group has its
    own seed, so it changes the weights); 1 for schemes trained whole or split exactly (GPs)."""
    if get_scheme(scheme).splittable and train_actors > 1:
        return min(int(train_actors), int(config.n_members))
    return 1


def canonical_sha256(parts: Mapping[str, Any]) -> str:
    """sha256 of plain data as canonical JSON (sorted keys): equal parts, equal digest."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def model_key(parts: Mapping[str, Any]) -> str:
    """The store key of a model: the canonical sha256 of its key parts."""
    return canonical_sha256(parts)


def jsonable(obj: Any) -> Any:
    """``obj`` as JSON writes and reads it back: numpy scalars and arrays as Python values, tuples
    as lists, mapping keys as strings (so a tree compares equal to its JSON file's)."""
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return obj


# ----------------------------------------------------------------------------- state <-> bytes


def encode_state(state: Mapping[str, Any]) -> bytes:
    """A model's ``state()`` as ``.npz`` bytes (arrays as arrays, the rest as a JSON tree that keeps
    tuples, numpy scalars and dtypes). Raises ``StoreError`` unless decoding gives back exactly
    the same state."""
    arrays: dict[str, np.ndarray] = {}

    def enc(obj: Any) -> Any:
        if obj is None or isinstance(obj, (bool, int, float, str)) and type(obj) in (bool, int, float, str):
            return obj
        if isinstance(obj, np.ndarray) or isinstance(obj, np.generic):
            arr = np.asarray(obj)
            if arr.dtype.hasobject:
                raise StoreError("a state array holds Python objects")
            name = f"a{len(arrays)}"
            arrays[name] = arr
            return {"s" if isinstance(obj, np.generic) else "a": name}
        if type(obj) in (list, tuple):
            return {"l" if type(obj) is list else "t": [enc(v) for v in obj]}
        if type(obj) is dict:
            if not all(isinstance(k, str) for k in obj):
                raise StoreError("a state dict has a key that is not a string")
            return {"d": {k: enc(v) for k, v in obj.items()}}
        raise StoreError(f"a state holds a {type(obj).__name__}, which the model store cannot keep")

    tree = enc(dict(state))
    buf = io.BytesIO()
    np.savez(buf, __tree__=np.array(json.dumps(tree)), **arrays)
    data = buf.getvalue()
    if not _same(decode_state(data), dict(state)):
        raise StoreError("the model's state does not survive the store's format unchanged")
    return data


def decode_state(data: bytes) -> dict[str, Any]:
    """Inverse of ``encode_state`` (no pickle)."""
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    tree = json.loads(str(arrays.pop("__tree__")))

    def dec(node: Any) -> Any:
        if not isinstance(node, dict):
            return node
        (tag, value), = node.items()
        if tag == "a":
            return arrays[value]
        if tag == "s":
            return arrays[value][()]
        if tag in ("l", "t"):
            items = [dec(v) for v in value]
            return items if tag == "l" else tuple(items)
        if tag == "d":
            return {k: dec(v) for k, v in value.items()}
        raise ValueError(f"unknown node {tag!r} in a stored state")

    return dec(tree)


def _same(a: Any, b: Any) -> bool:
    """Equal values of equal types (arrays: dtype, shape and bytes, so NaNs compare equal)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (np.ndarray, np.generic)):
        a, b = np.asarray(a), np.asarray(b)
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and a != a:
        return b != b
    return a == b


def _cpu_state(state: Mapping[str, Any]) -> dict[str, Any]:
    """Stored weights load on CPU, like weights that travel back from a training actor."""
    state = dict(state)
    if isinstance(state.get("config"), dict) and "device" in state["config"]:
        state["config"] = {**state["config"], "device": "cpu"}
    return state


# ----------------------------------------------------------------------------- the store


class ModelStore:
    """A folder of trained models by key (usually ``<sweep dir>/models/``)."""

    def __init__(self, root: str | Path, wait_s: float = WAIT_S, poll_s: float = 0.2,
                 note: Callable[[str], None] = print) -> None:
        self.root = Path(root)
        self.wait_s = float(wait_s)
        self.poll_s = float(poll_s)
        self.note = note

    def check(self) -> "ModelStore":
        """Create the folder; ``ConfigError`` (one line) when it cannot hold models, before any work."""
        from dist_ombo.errors import ConfigError

        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"model store {self.root} cannot be created ({exc.strerror or exc})") from exc
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise ConfigError(f"model store {self.root} is not writable")
        return self

    def model_path(self, key: str) -> Path:
        return self.root / f"{key}.npz"

    def manifest_path(self, key: str) -> Path:
        return self.root / f"{key}.json"

    def lock_path(self, key: str) -> Path:
        return self.root / f"{key}.lock"

    # -- reading

    def load(self, key: str, scheme: str) -> Any | None:
        """The stored model, or ``None`` when there is none. An entry that fails to load, or whose
        bytes disagree with its manifest, is set aside with a one-line note and counts as none."""
        path = self.model_path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            manifest = json.loads(self.manifest_path(key).read_text())
            if manifest.get("sha256") != hashlib.sha256(data).hexdigest():
                raise ValueError("its bytes differ from the sha256 in its manifest")
            if manifest.get("key") != key or manifest.get("parts", {}).get("scheme") != scheme:
                raise ValueError("its manifest belongs to another key or scheme")
            return get_scheme(scheme).from_state(decode_state(data))
        except Exception as exc:  # noqa: BLE001 - a damaged entry fails in many ways; none may stop a sweep
            why = " ".join(f"{type(exc).__name__}: {exc}".split())[:160]
            moved = self._set_aside(key)
            self.note(f"note: stored model {key[:12]} is unreadable ({why}); set aside as {moved} and trained again")
            return None

    def _set_aside(self, key: str) -> str:
        stamp = f"{CORRUPT_SUFFIX}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
        for path in (self.model_path(key), self.manifest_path(key)):
            try:
                path.replace(path.with_name(path.name + stamp))
            except FileNotFoundError:
                pass
        return self.model_path(key).name + stamp

    # -- writing

    def publish(self, key: str, model: Any, parts: Mapping[str, Any], trained_by: str,
                train_s: float | None = None) -> Path:
        """Store ``model`` under ``key``: manifest first, then the model file, each written to a temp
        file in the store, fsynced and renamed into place. Raises ``StoreError`` when its state
        cannot be stored exactly."""
        data = encode_state(_cpu_state(model.state()))
        manifest = {
            "key": key, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data), "trained_by": trained_by,
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "host": socket.gethostname(),
            "pid": os.getpid(), "train_s": train_s, "parts": dict(parts),
        }
        self.root.mkdir(parents=True, exist_ok=True)
        _write_synced(self.manifest_path(key), json.dumps(manifest, indent=2, sort_keys=True).encode())
        return _write_synced(self.model_path(key), data)

    # -- locking

    def try_lock(self, key: str, holder: str) -> str | None:
        """Take ``key``'s lock; returns its token, or ``None`` while another live holder has it (a
        lock whose holder died on this host is taken over)."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.lock_path(key)
        token = uuid.uuid4().hex
        body = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "token": token,
                           "holder": holder, "time": time.time()}).encode()
        with _held_lock:  # held before the file exists: a thread of this process reading it
            _held_tokens.add(token)  # in between must not take the lock for a stale one
        for _ in range(2):
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                if not self._stale(path):
                    break
                path.unlink(missing_ok=True)  # its holder is gone: take over
                continue
            with os.fdopen(fd, "wb") as f:
                f.write(body)
            return token
        with _held_lock:
            _held_tokens.discard(token)
        return None

    def release(self, key: str, token: str) -> None:
        """Drop the lock if this token still holds it."""
        path = self.lock_path(key)
        try:
            if json.loads(path.read_text()).get("token") == token:
                path.unlink(missing_ok=True)
        except (OSError, ValueError):
            pass
        with _held_lock:
            _held_tokens.discard(token)

    def _stale(self, path: Path) -> bool:
        try:
            info = json.loads(path.read_text())
        except FileNotFoundError:
            return False  # released meanwhile: the next try takes it
        except (OSError, ValueError):  # half-written by a holder that is writing it right now, or died
            return time.time() - _mtime(path) > 10.0
        if info.get("host") != socket.gethostname():
            return False  # cannot see another host's processes: wait, bounded by wait_s
        pid = int(info.get("pid", -1))
        if pid == os.getpid():
            with _held_lock:
                return info.get("token") not in _held_tokens  # left by an earlier trial in this worker
        return not _alive(pid)

    def wait_for(self, key: str, scheme: str, holder: str, deadline: float) -> tuple[Any | None, str | None]:
        """Wait until ``key``'s model is published (returns it) or its lock comes free (returns the
        lock's token: the caller trains and publishes); ``(None, None)`` at ``deadline``."""
        while True:
            model = self.load(key, scheme)
            if model is not None:
                return model, None
            token = self.try_lock(key, holder)
            if token is not None:
                model = self.load(key, scheme)  # published between the two looks
                if model is not None:
                    self.release(key, token)
                    return model, None
                return None, token
            if time.monotonic() >= deadline:
                return None, None
            time.sleep(self.poll_s)


def _write_synced(path: Path, data: bytes) -> Path:
    from dist_ombo.io import write_atomic

    def write(tmp: str) -> None:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())

    write_atomic(path, write)
    try:  # the rename itself survives a crash once the folder is synced
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass
    return path


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return time.time()


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ----------------------------------------------------------------------------- training through a store


@dataclasses.dataclass
class StoredModel:
    """How one job's model was obtained: its key, whether it came from the store, and whether this
    trial published it."""

    key: str
    reused: bool
    published: bool = False


def train_through_store(jobs: Sequence[Any], train: Callable[[list[Any]], list[Any]], store: ModelStore,
                        parts: Sequence[Mapping[str, Any]], trained_by: str) -> tuple[list[Any], list[StoredModel]]:
    """Models for ``jobs`` (same order): loaded from ``store`` when their key is there, trained
    with ``train(jobs)`` otherwise. Jobs whose lock this trial takes train together and are
    published; jobs locked by another trial are waited for (up to ``store.wait_s``) and, if still
    missing, trained here without publishing."""
    keys = [model_key(p) for p in parts]
    models: list[Any] = [None] * len(jobs)
    info = [StoredModel(k, False) for k in keys]
    tokens: dict[int, str] = {}
    try:
        waiting = []
        for i, (job, key) in enumerate(zip(jobs, keys)):
            models[i] = store.load(key, job.scheme)
            if models[i] is not None:
                info[i].reused = True
                continue
            token = store.try_lock(key, trained_by)
            if token is None:
                waiting.append(i)
                continue
            tokens[i] = token
            models[i] = store.load(key, job.scheme)  # published between the two looks
            if models[i] is not None:
                info[i].reused = True
                store.release(key, tokens.pop(i))
        _train_and_publish(sorted(tokens), jobs, train, store, parts, keys, trained_by, models, info)
        for i in list(tokens):
            store.release(keys[i], tokens.pop(i))
        deadline = time.monotonic() + store.wait_s
        alone = []
        for i in waiting:
            models[i], token = store.wait_for(keys[i], jobs[i].scheme, trained_by, deadline)
            if models[i] is not None:
                info[i].reused = True
            elif token is not None:
                tokens[i] = token
            else:
                store.note(f"note: waited {store.wait_s:.0f} s for stored model {keys[i][:12]} "
                           f"({jobs[i].scheme}); training it here without publishing")
                alone.append(i)
        _train_and_publish(sorted(tokens), jobs, train, store, parts, keys, trained_by, models, info)
        for i, model in zip(alone, train([jobs[i] for i in alone]) if alone else []):
            models[i] = model
    finally:
        for i, token in tokens.items():
            store.release(keys[i], token)
    return models, info


def _train_and_publish(idx: list[int], jobs, train, store, parts, keys, trained_by, models, info) -> None:
    if not idx:
        return
    t = time.perf_counter()
    trained = train([jobs[i] for i in idx])
    seconds = time.perf_counter() - t
    for i, model in zip(idx, trained):
        models[i] = model
        try:
            store.publish(keys[i], model, parts[i], trained_by, train_s=seconds)
            info[i].published = True
        except (StoreError, OSError) as exc:  # the trial has its model; only later trials lose the reuse
            store.note(f"note: model {keys[i][:12]} ({jobs[i].scheme}) is not stored: {type(exc).__name__}: {exc}")

"""The ``dist-ombo`` command line: a thin layer over the library.

Commands import what they use inside their function, so listing tasks or methods and ``--help``
load neither torch nor ray.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from dist_ombo.errors import ConfigError, DistOmboError

if TYPE_CHECKING:
    from dist_ombo.distributed.sweep_config import SweepConfig


def _parse_params(items: list[str] | None) -> dict[str, Any]:
    """``["dim=10", "n_total=2000"]`` -> ``{"dim": 10, "n_total": 2000}`` (YAML scalars)."""
    import yaml

    params: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise ConfigError(f"--param expects KEY=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        try:
            params[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{item!r}: the value of {key.strip()!r} is not a YAML scalar or list "
                              f"({' '.join(str(exc).split())})") from exc
    return params


def _check_out_dir(path: str | None, flag: str = "--out") -> None:
    """An output directory must be a directory (or not exist yet): checked before any work."""
    import os

    if path is not None and os.path.exists(path) and not os.path.isdir(path):
        raise ConfigError(f"{flag} {path} is an existing file, not a directory; choose another path")


def _print_table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    print("  ".join("-" * widths[c] for c in columns))
    for r in rows:
        print("  ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns))


def cmd_tasks(args: argparse.Namespace) -> int:
    from dist_ombo.tasks import get_task, task_names

    rows = [get_task(name).spec() for name in task_names()]
    if args.format == "json":
        print(json.dumps(rows, indent=2))
    else:
        for r in rows:
            r["kind"] = r["kind"] + (" (discrete)" if r["discrete"] else "")
        _print_table(rows, ["name", "family", "kind", "dim", "n_obj", "n_samples"])
    return 0


def cmd_dataset(args: argparse.Namespace) -> int:
    import pandas as pd

    from dist_ombo.tasks import get_task
    from dist_ombo.tasks.cache import write_parquet_atomic

    task = get_task(args.task, **_parse_params(args.param))
    data = task.dataset(args.seed)
    frame = pd.DataFrame(data.X, columns=[f"x{i}" for i in range(task.dim)])
    for j in range(task.n_obj):
        frame[f"f{j}"] = data.Y[:, j]
    write_parquet_atomic(frame, args.out)
    print(
        f"{task.name} seed {args.seed}: {len(frame)} designs x {task.dim} dims, {task.n_obj} objective(s) "
        f"(minimized) -> {args.out}"
    )
    print("objective range in the data: " + ", ".join(
        f"f{j} [{lo:.4g}, {hi:.4g}]" for j, (lo, hi) in enumerate(zip(data.Y.min(0), data.Y.max(0)))
    ))
    return 0


def cmd_methods(args: argparse.Namespace) -> int:
    from dist_ombo.catalog import METHODS, SCHEMES, SEARCHES

    rows = [spec.public() for spec in METHODS.values()]
    if args.format == "json":
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        r["objectives"] = "/".join(r["objectives"])
        r["scheme"] = r["scheme"] or "none"
    _print_table(rows, ["name", "objectives", "scheme", "search", "discrete", "description"])
    print("\ntraining schemes (pair any with a search that fits: --scheme S --search N):")
    _print_table([{"scheme": s.name, "trains": s.role, "objectives": "/".join(s.objectives),
                   "description": s.description} for s in SCHEMES.values()],
                 ["scheme", "trains", "objectives", "description"])
    print("\nsearches:")
    _print_table([{"search": s.name, "objectives": "/".join(s.objectives), "discrete": s.discrete,
                   "needs": (s.model or "no model") + (f" + {s.generator} generator" if s.generator else ""),
                   "description": s.description} for s in SEARCHES.values()],
                 ["search", "objectives", "discrete", "needs", "description"])
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from dist_ombo.runner import TrialConfig, check_trial, run_trial

    _check_out_dir(args.out)
    _check_out_dir(args.model_store, "--model-store")
    names = [item for item in args.search or [] if "=" not in item]
    overrides = [item for item in args.search or [] if "=" in item]
    if len(names) > 1:
        raise ConfigError(f"--search names one search, got {names}")
    if (args.method is None) == (args.scheme is None and not names):
        raise ConfigError("name a method (--method) or a scheme and a search (--scheme S --search NAME), not both")
    config = TrialConfig.from_dict({
        "task": args.task, "method": args.method or "", "seed": args.seed, "budget": args.budget,
        "scheme": args.scheme, "searcher": names[0] if names else None,
        "task_params": _parse_params(args.param), "model": _parse_params(args.model),
        "search": _parse_params(overrides), "n_proposals": args.n_proposals,
        "train_actors": args.train_actors, "cpus_per_actor": args.cpus_per_actor,
        "gpus_per_actor": args.gpus_per_actor,
    })
    check_trial(config)  # a bad pair fails here, before Ray starts
    if args.no_ray:
        result = run_trial(config, out_dir=args.out, progress=True, model_store=args.model_store)
    else:
        from dist_ombo.distributed.actors import ray_trainer
        from dist_ombo.distributed.cluster import init_ray

        init_ray(no_ray_hint="add --no-ray to train in this process")
        trainer = ray_trainer(config.train_actors, config.cpus_per_actor, config.gpus_per_actor)
        result = run_trial(config, out_dir=args.out, trainer=trainer, progress=True, model_store=args.model_store)
    from dist_ombo.reporting.headline import format_trial

    print(format_trial(result.metrics))
    if args.out:
        print(f"wrote {args.out}/proposals.parquet and {args.out}/metrics.json")
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from dist_ombo.distributed.sweep import SweepInterrupted, run_sweep
    from dist_ombo.distributed.sweep_config import SweepConfig, default_sweep_config
    from dist_ombo.reporting.leaderboard import sweep_summary

    _check_out_dir(args.out)
    if args.costs_from and not args.plan:
        raise ConfigError("--costs-from only serves --plan")
    config = SweepConfig.from_yaml(args.config) if args.config else default_sweep_config()
    if args.plan:
        return _print_sweep_plan(config, args)
    if not args.config:
        pairs = "; ".join(f"{t['name']} x {', '.join(t['methods'])}" for t in config.tasks)
        print(f"no config given: running the default sweep ({pairs}; seeds {list(config.seeds)}, "
              f"'{config.budget}' budget)")
    try:
        table = run_sweep(config, args.out, verbose=args.verbose)
    except SweepInterrupted as stop:
        print(f"\ninterrupted: {stop.finished} of {stop.total} trials finished and are kept in {stop.out_dir} "
              f"(results.parquet holds them); resume with:\n  {resume_command(args)}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:  # before the sweep directory was locked: nothing was run yet
        print(f"\ninterrupted before any trial ran; start again with:\n  {resume_command(args)}", file=sys.stderr)
        return 130
    print(sweep_summary(table, args.out))
    return 0 if (table["status"] == "ok").all() else 1


def _print_sweep_plan(config: SweepConfig, args: argparse.Namespace) -> int:
    """``sweep --plan``: what is left of the sweep in ``--out`` and its measured cost; reads only."""
    from pathlib import Path

    from dist_ombo.distributed.config_checks import checked_grid
    from dist_ombo.distributed.sweep_config import expand_grid
    from dist_ombo.distributed.sweep_plan import format_plan, plan_sweep
    from dist_ombo.distributed.trial_files import TRIALS_DIR

    costs_from = [Path(d) for d in args.costs_from or []]
    for d in costs_from:
        if not (d / TRIALS_DIR).is_dir():
            raise ValueError(f"--costs-from {d}: not a sweep directory (it has no trials/ folder)")
    points, _ = checked_grid(config, expand_grid(config))
    if config.selection is not None:
        print("note: offline selection runs first and may change trial settings; the plan counts the grid as "
              "written")
    print(format_plan(plan_sweep(config, points, Path(args.out), costs_from)))
    return 0


def resume_command(args: argparse.Namespace, argv0: str | None = None) -> str:
    """The shell command that reruns (and so resumes) this sweep: the arguments the user gave,
    quoted for the shell. The program is ``dist-ombo`` when that is what the shell finds, else the
    path it was started by (``.venv/bin/dist-ombo`` after ``make demo``)."""
    import os
    import shlex
    import shutil

    argv0 = argv0 if argv0 is not None else sys.argv[0]
    program = "dist-ombo"
    if os.path.basename(argv0) == "dist-ombo" and shutil.which("dist-ombo") != os.path.abspath(argv0):
        program = argv0
    words = [program, "sweep", *([args.config] if args.config else []), "--out", args.out]
    if args.verbose:
        words.append("-" + "v" * min(args.verbose, 3))
    return shlex.join(words)


def cmd_report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from dist_ombo.reporting.leaderboard import format_leaderboard, leaderboard
    from dist_ombo.reporting.plots import write_plots
    from dist_ombo.reporting.results import load_sweeps, select_rows, unreadable_files

    dirs = [Path(d) for d in args.dirs]
    for option in ("markdown", "html"):  # refused before any loading or plotting
        target = getattr(args, option)
        if target and Path(target).is_dir():
            raise ValueError(f"--{option} {target} is a directory; give a file name")
        if target and any(p.exists() and not p.is_dir() for p in Path(target).parents):
            raise ValueError(f"--{option} {target}: a part of that path is a file, not a folder")
    if args.notes and not Path(args.notes).is_file():
        raise ValueError(f"--notes {args.notes}: no such file")
    table = load_sweeps(dirs)  # rebuilt in memory from trial folders: picks up trials finished since
    table = select_rows(table, _names(args.tasks), _names(args.methods))
    print(format_leaderboard(*leaderboard(table)))
    unreadable = unreadable_files(table)
    if unreadable:
        print(f"\n{len(unreadable)} trial file(s) could not be read (counted as failed):", file=sys.stderr)
        for message in unreadable:
            print(f"  {message}", file=sys.stderr)
    if args.markdown:
        from dist_ombo.reporting.markdown import write_markdown

        notes = Path(args.notes) if args.notes else None
        print(f"\nwrote {write_markdown(table, dirs, Path(args.markdown), notes)}")
    if args.html:
        from dist_ombo.reporting.html_report import write_html

        print(f"\nwrote {write_html(table, dirs, Path(args.html))}")
    if not (args.markdown or args.html or args.no_plots):
        plots = write_plots(table, dirs[0], dirs[0] / "plots")
        print("\nplots: " + ", ".join(str(p) for p in plots))
    return 0


def cmd_rescore(args: argparse.Namespace) -> int:
    """Recompute the scores of finished trials (no training; ``dist_ombo.rescore``)."""
    from pathlib import Path

    from dist_ombo.rescore import rescore

    done = rescore([Path(d) for d in args.dirs], write=not args.dry_run)
    rescored = [r for r in done if r.status == "rescored"]
    for r in done:
        if r.status == "skipped":
            if args.verbose:
                print(f"skipped {r.trial}: {r.detail}")
        elif r.detail:
            print(f"note {r.trial}: {r.detail}")
    verb = "would rescore" if args.dry_run else "rescored"
    print(f"{verb} {len(rescored)} trial(s), skipped {len(done) - len(rescored)} (unreadable "
          f"or incomplete; -v lists them)")
    return 0


def _names(text: str | None) -> list[str] | None:
    return None if text is None else [n.strip() for n in text.split(",") if n.strip()]


def cmd_propose(args: argparse.Namespace) -> int:
    from dist_ombo.propose import propose
    from dist_ombo.runner import local_trainer

    trainer = local_trainer
    if args.ray:
        from dist_ombo.distributed.actors import ray_trainer
        from dist_ombo.distributed.cluster import init_ray

        init_ray(no_ray_hint="without --ray, propose trains in this process")
        trainer = ray_trainer(args.train_actors)
    result = propose(
        args.data, args.objectives, args.inputs, bounds=args.bounds, margin=args.margin, kinds=args.kinds,
        n=args.n, method=args.method, seed=args.seed, budget=args.budget, drop_missing=args.drop_missing,
        out=args.out, plot=not args.no_plot, trainer=trainer, progress=sys.stderr.isatty(),
    )
    print(result.summary)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from dist_ombo import __version__

    parser = argparse.ArgumentParser(prog="dist-ombo", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("tasks", help="list every task")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=cmd_tasks)

    p = sub.add_parser("dataset", help="build a task's offline dataset and write it as Parquet")
    p.add_argument("task")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True)
    p.add_argument("--param", action="append", metavar="KEY=VALUE", help="task parameter (repeatable)")
    p.set_defaults(func=cmd_dataset)

    p = sub.add_parser("methods", help="list every method")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=cmd_methods)

    p = sub.add_parser("run", help="one trial: dataset -> train (Ray actors) -> search -> score")
    p.add_argument("--task", required=True)
    p.add_argument("--method", default=None, help="a preset method (see `dist-ombo methods`)")
    p.add_argument("--scheme", default=None,
                   help="instead of --method: a training scheme ('none': no model), paired with --search NAME")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--budget", default="cpu", help="reference | cpu | smoke (default: cpu)")
    p.add_argument("--out", default=None, help="directory for proposals.parquet and metrics.json")
    p.add_argument("--param", action="append", metavar="KEY=VALUE", help="task parameter")
    p.add_argument("--model", action="append", metavar="KEY=VALUE", help="surrogate config override")
    p.add_argument("--search", action="append", metavar="NAME|KEY=VALUE",
                   help="with --scheme: the search's name; KEY=VALUE: search config override")
    p.add_argument("--n-proposals", type=int, default=None)
    p.add_argument("--train-actors", type=int, default=1)
    p.add_argument("--cpus-per-actor", type=float, default=1.0)
    p.add_argument("--gpus-per-actor", type=float, default=0.0)
    p.add_argument("--no-ray", action="store_true", help="train in this process instead of Ray actors")
    p.add_argument("--model-store", default=None, metavar="DIR",
                   help="load the model from DIR when one with the same key is stored there; store it otherwise "
                        "(a sweep's is <sweep dir>/models)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("propose", help="propose new designs from your own measured data (CSV/Parquet)")
    p.add_argument("--data", required=True, help="measured designs and objectives: .csv or .parquet")
    p.add_argument("--objectives", required=True, metavar="COL:SENSE,...",
                   help='objective columns with min/max, e.g. "yield:max,cost:min"')
    p.add_argument("--inputs", default=None, metavar="COLS",
                   help="design columns, comma-separated (default: every non-objective column)")
    p.add_argument("--kinds", default=None, metavar="COL:KIND,...",
                   help='force column kinds (float, integer, categorical), e.g. "batch:categorical"')
    p.add_argument("--bounds", default=None, metavar="FILE.yaml", help="YAML {column: [lo, hi]} for numeric inputs")
    p.add_argument("--margin", type=float, default=0.0,
                   help="widen data-range bounds by this fraction of each range (default 0)")
    p.add_argument("--n", type=int, default=64, help="number of proposals (default 64)")
    p.add_argument("--method", default=None, help="default: ensemble-nsga2 (ensemble-ga for one objective)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--budget", default="cpu", help="reference | cpu | smoke (default: cpu)")
    p.add_argument("--drop-missing", action="store_true",
                   help="drop rows with missing/non-finite objective or input values (reported)")
    p.add_argument("--out", required=True, help="proposals file (.csv or .parquet); the PNG goes beside it")
    p.add_argument("--no-plot", action="store_true", help="skip the Pareto-front PNG")
    p.add_argument("--ray", action="store_true", help="train on Ray actors instead of in this process")
    p.add_argument("--train-actors", type=int, default=1, help="with --ray: actors sharing the ensemble")
    p.set_defaults(func=cmd_propose)

    p = sub.add_parser("sweep", help="methods x tasks x seeds as a resumable Ray Tune experiment")
    p.add_argument("config", nargs="?", help="sweep YAML (omit for the default sweep)")
    p.add_argument("--out", default="runs/sweep", help="sweep directory (re-run to resume)")
    p.add_argument("-v", "--verbose", action="count", default=0,
                   help="without it: a status line and one line per trial; -v also shows Ray Tune's progress "
                        "tables, Ray's info lines, the trial workers' output and each skipped incompatible "
                        "task-method pair; -vv and -vvv raise Tune's verbosity")
    p.add_argument("--plan", action="store_true",
                   help="run nothing: print the trials left per method and their estimated cost from the "
                        "measured times of finished trials (reads files only; no Ray)")
    p.add_argument("--costs-from", action="append", metavar="DIR",
                   help="with --plan: another sweep directory whose finished trials count as measurements "
                        "(repeatable)")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("report", help="leaderboard and plots of one sweep directory or several merged")
    p.add_argument("dirs", nargs="+", metavar="DIR", help="sweep directories (or results.parquet files)")
    p.add_argument("--no-plots", action="store_true")
    p.add_argument("--markdown", metavar="FILE", help="also write a Markdown report (plots beside it)")
    p.add_argument("--notes", metavar="FILE", help="Markdown appended to the report (discussion)")
    p.add_argument("--html", metavar="FILE", help="also write one self-contained HTML page (images embedded)")
    p.add_argument("--tasks", metavar="A,B", help="report only these task labels (comma-separated)")
    p.add_argument("--methods", metavar="A,B", help="report only these method labels (comma-separated)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("rescore", help="recompute the scores of finished trials (headroom, robust HV, IGD+) without training")
    p.add_argument("dirs", nargs="+", metavar="DIR", help="sweep folders (their trials/*) or trial folders")
    p.add_argument("--dry-run", action="store_true", help="compute, but leave metrics.json as it is")
    p.add_argument("-v", "--verbose", action="store_true", help="list the skipped trials and why")
    p.set_defaults(func=cmd_rescore)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command. Errors become one ``error: ...`` line on stderr, never a traceback
    (``DIST_OMBO_DEBUG=1`` shows the traceback of an unexpected one)."""
    import os

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except DistOmboError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a path that is missing, unreadable, a file where a folder is meant, a full disk
        where = f": {exc.filename}" if exc.filename else ""
        print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; finished work is kept (rerun the same command to resume a sweep)", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence against a traceback
        if os.environ.get("DIST_OMBO_DEBUG"):
            raise
        print(f"error: unexpected {type(exc).__name__}: {exc} (set DIST_OMBO_DEBUG=1 for the traceback)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

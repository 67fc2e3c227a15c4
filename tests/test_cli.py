import json

import pandas as pd
import pytest

from dist_ombo.cli import main


def test_tasks_json_lists_every_task(capsys):
    assert main(["tasks", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    by_name = {r["name"]: r for r in rows}
    assert by_name["zdt1"]["n_samples"] == 60_000 and by_name["zdt1"]["dim"] == 30
    assert by_name["re61"]["n_obj"] == 6 and by_name["tfbind8"]["n_samples"] == 32_898
    assert by_name["ehrlich"]["kind"] == "soo" and by_name["ehrlich"]["discrete"]
    assert {"name", "kind", "dim", "n_obj", "n_samples"} <= set(rows[0])


def test_version_names_the_package_version(capsys):
    import dist_ombo

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"dist-ombo {dist_ombo.__version__}"


def test_methods_json(capsys):
    assert main(["methods", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    names = {r["name"] for r in rows}
    assert {"ensemble-nsga2", "ensemble-grad", "ensemble-cmaes"} <= names
    assert all({"name", "kind", "objectives"} <= set(r) for r in rows)


def test_dataset_command_writes_parquet(tmp_path, capsys):
    out = tmp_path / "d.parquet"
    assert main(["dataset", "ackley", "--seed", "1", "--out", str(out), "--param", "dim=3",
                 "--param", "n_total=100"]) == 0
    frame = pd.read_parquet(out)
    assert list(frame.columns) == ["x0", "x1", "x2", "f0"] and len(frame) == 50


def test_run_command_without_ray(tmp_path, capsys):
    code = main(["run", "--task", "ackley", "--method", "ensemble-ga", "--budget", "smoke", "--no-ray",
                 "--param", "dim=3", "--param", "n_total=200", "--out", str(tmp_path)])
    assert code == 0
    assert "D(best)" in capsys.readouterr().out
    assert (tmp_path / "metrics.json").exists() and (tmp_path / "proposals.parquet").exists()


@pytest.mark.parametrize("argv,needle", [
    (["dataset", "nope", "--out", "x.parquet"], "unknown task 'nope'"),
    (["run", "--task", "zdt1", "--method", "nope", "--no-ray"], "unknown method 'nope'"),
    (["run", "--task", "zdt1", "--method", "ensemble-grad", "--no-ray"], "supports soo"),
    (["dataset", "zdt1", "--out", "x.parquet", "--param", "n_total"], "KEY=VALUE"),
    (["run", "--task", "zdt1", "--scheme", "coms", "--search", "grad", "--no-ray"],
     "searches that fit scheme 'coms' on it: nsga2, nsga3, moead, smsemoa, pgs"),
    (["run", "--task", "zdt1", "--scheme", "ddom", "--search", "nsga2"], "pair a surrogate scheme"),
    (["run", "--task", "zdt1", "--method", "pgs", "--scheme", "coms", "--search", "nsga3"], "not both"),
])
def test_bad_input_exits_2_with_a_clear_message(argv, needle, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and needle in err
    assert not (tmp_path / "x.parquet").exists()


def test_run_pairs_a_scheme_with_a_search(tmp_path, capsys):
    code = main(["run", "--task", "ackley", "--scheme", "rank", "--search", "ga", "--search", "n_gen=2",
                 "--budget", "smoke", "--no-ray", "--param", "dim=3", "--param", "n_total=200", "--out", str(tmp_path)])
    assert code == 0
    assert "ackley / rank-ga / seed 0" in capsys.readouterr().out
    config = json.loads((tmp_path / "config.json").read_text())
    assert (config["scheme"], config["searcher"], config["search"]) == ("rank", "ga", {"n_gen": 2})


def test_report_on_part_of_a_sweep(tmp_path, capsys):
    rows = [dict(task=t, method=m, seed=s, status="ok", score_100th=v + s / 10, score_dbest=0.5)
            for t in ("a", "b") for m, v in (("good", 0.9), ("bad", 0.2)) for s in (0, 1)]
    pd.DataFrame(rows).to_parquet(tmp_path / "results.parquet")
    assert main(["report", str(tmp_path), "--no-plots", "--tasks", "b", "--methods", "good"]) == 0
    out = capsys.readouterr().out
    assert "good" in out and "bad" not in out
    assert "\nb  [" in out and "\na  [" not in out
    assert main(["report", str(tmp_path), "--no-plots", "--methods", "good,cbas"]) == 2
    assert "no method 'cbas'" in capsys.readouterr().err


def test_resume_command_repeats_the_users_arguments_quoted(monkeypatch):
    from dist_ombo.cli import build_parser, resume_command

    args = build_parser().parse_args(["sweep", "my configs/a.yaml", "--out", "runs/x y"])
    monkeypatch.setattr("shutil.which", lambda name: "/usr/bin/dist-ombo")
    assert resume_command(args, "/usr/bin/dist-ombo") == "dist-ombo sweep 'my configs/a.yaml' --out 'runs/x y'"
    assert resume_command(args, "/x/dist_ombo/cli.py").startswith("dist-ombo sweep")  # python -m dist_ombo.cli
    default = build_parser().parse_args(["sweep", "--verbose"])
    assert default.verbose == 1
    # after `make demo` the program is .venv/bin/dist-ombo, which the shell may not find by name
    monkeypatch.setattr("shutil.which", lambda name: None)
    assert resume_command(default, ".venv/bin/dist-ombo") == ".venv/bin/dist-ombo sweep --out runs/sweep -v"


@pytest.mark.parametrize("stop", ["interrupted", "early"])
def test_ctrl_c_in_a_sweep_prints_the_command_that_resumes(stop, tmp_path, capsys, monkeypatch):
    import dist_ombo.distributed.sweep as sweep

    def interrupted(config, out, verbose):
        if stop == "early":
            raise KeyboardInterrupt
        raise sweep.SweepInterrupted(tmp_path, 3, 27)

    monkeypatch.setattr(sweep, "run_sweep", interrupted)
    monkeypatch.setattr("shutil.which", lambda name: None)
    assert main(["sweep", "--out", str(tmp_path)]) == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip().splitlines()[-1] == f"  dist-ombo sweep --out {tmp_path}"
    if stop == "interrupted":
        assert f"3 of 27 trials finished and are kept in {tmp_path}" in err

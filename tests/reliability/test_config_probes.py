"""Replays the faulty-input probes of the hardening issue: each bad sweep config or command line
fails with one ``error:`` line naming the key, before Ray starts and before any file is written."""

import pytest
import yaml

from dist_ombo.cli import main

BASE = {"tasks": [{"name": "ackley", "params": {"dim": 3, "n_total": 100}}], "methods": ["ensemble-ga"],
        "seeds": [0], "budget": "smoke"}


def _sweep(tmp_path, capsys, **changes):
    cfg = tmp_path / "sweep.yaml"
    cfg.write_text(yaml.safe_dump({**BASE, **changes}))
    code = main(["sweep", str(cfg), "--out", str(tmp_path / "out")])
    return code, capsys.readouterr().err


@pytest.fixture(autouse=True)
def no_ray(monkeypatch):
    """Every probe here must fail before Ray starts: starting it is an error of the test."""
    import dist_ombo.distributed.cluster as cluster

    monkeypatch.setattr(cluster, "init_ray", lambda *a, **k: pytest.fail("Ray started on a bad config"))
    import dist_ombo.distributed.sweep as sweep

    monkeypatch.setattr(sweep, "init_ray", lambda *a, **k: pytest.fail("Ray started on a bad config"))


@pytest.mark.parametrize("changes,needles", [
    ({"seeds": 3}, ["seeds: must be a list"]),
    ({"seeds": "a"}, ["seeds: must be a list"]),
    ({"seeds": [0, 0]}, ["seed 0 is listed twice"]),
    ({"seeds": [0.7]}, ["seeds[0]: must be an integer >= 0, got 0.7"]),
    ({"seeds": [-1]}, ["seeds[0]: must be an integer >= 0, got -1"]),
    ({"seeds": [True]}, ["seeds[0]"]),
    ({"retries": "x"}, ["retries: must be an integer >= 0, got 'x'"]),
    ({"max_concurrent": -2}, ["max_concurrent: must be an integer >= 1, got -2"]),
    ({"max_concurrent": 0}, ["max_concurrent"]),
    ({"n_proposals": 0}, ["n_proposals: must be an integer >= 1"]),
    ({"budget": "smok"}, ["budget: unknown budget 'smok'", "smoke"]),
    ({"resources": {"train_actors": "two"}}, ["resources.train_actors: must be an integer >= 1, got 'two'"]),
    ({"resources": {"cpus_per_actor": 0}}, ["resources.cpus_per_actor"]),
    ({"resources": {"gpu": 1}}, ["resources: unknown key(s) ['gpu']"]),
    ({"tasks": "zdt1"}, ["tasks: must be a list"]),
    ({"methods": "ensemble-ga"}, ["methods: must be a list"]),
    ({"tasks": [{"params": {"dim": 3}}]}, ["tasks[0]: must be a name or a mapping with a 'name'"]),
    ({"model": [1]}, ["model: must be a mapping"]),
    ({"model": {"hiden": [8]}}, ["ackley x ensemble-ga", "hiden"]),
    ({"model": {"epochs": -1}}, ["ackley x ensemble-ga", "epochs"]),
    ({"search": {"pop_sise": 8}}, ["ackley x ensemble-ga", "pop_sise"]),
    ({"methods": [{"name": "ensemble-ga", "search": {"n_gen": "many"}}]}, ["n_gen"]),
    ({"tasks": [{"name": "ackley", "params": {"dim": "abc"}}]}, ["'ackley'", "dim='abc'"]),
    ({"selection": {"space": {"hiden": [[8]]}}}, ["selection.space", "hiden"]),
])
def test_bad_sweep_configs_fail_before_ray_naming_the_key(tmp_path, capsys, changes, needles):
    code, err = _sweep(tmp_path, capsys, **changes)
    assert code == 2
    assert err.startswith("error: ") and "Traceback" not in err
    for needle in needles:
        assert needle in err
    assert not (tmp_path / "out" / "sweep.json").exists() and not (tmp_path / "out" / "tune").exists()


def test_every_problem_is_listed_at_once(tmp_path, capsys):
    code, err = _sweep(tmp_path, capsys, seeds=[0, 0, -1], budget="smok", max_concurrent=-2)
    assert code == 2 and "4 problems" in err
    lines = err.splitlines()[1:]
    assert len(lines) == 4 and all(line.startswith("  ") for line in lines)


def test_yaml_syntax_error_names_the_file_and_line(tmp_path, capsys):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("tasks: [zdt1\nmethods: [ensemble-nsga2]\n")
    assert main(["sweep", str(cfg), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "bad.yaml is not valid YAML" in err and "line" in err
    assert len(err.strip().splitlines()) == 1


def test_config_that_is_a_folder_or_unreadable(tmp_path, capsys):
    assert main(["sweep", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.startswith("error: ")


@pytest.mark.parametrize("argv_tail", [["sweep", "CFG", "--out", "FILE"], ["run", "--task", "ackley-3",
                          "--method", "ensemble-ga", "--budget", "smoke", "--no-ray", "--out", "FILE"]])
def test_out_naming_an_existing_file(tmp_path, capsys, argv_tail):
    (tmp_path / "cfg.yaml").write_text(yaml.safe_dump(BASE))
    taken = tmp_path / "taken"
    taken.write_text("mine")
    argv = [str(tmp_path / "cfg.yaml") if a == "CFG" else str(taken) if a == "FILE" else a for a in argv_tail]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "is an existing file" in err and "Traceback" not in err
    assert taken.read_text() == "mine"


@pytest.mark.parametrize("argv,needle", [
    (["run", "--task", "ackley-3", "--method", "ensemble-ga", "--no-ray", "--n-proposals", "-5"],
     "n_proposals: must be an integer >= 1, got -5"),
    (["run", "--task", "ackley-3", "--method", "ensemble-ga", "--no-ray", "--seed", "-1"], "seed: must be"),
    (["run", "--task", "ackley-3", "--method", "ensemble-ga", "--no-ray", "--budget", "smok"], "unknown budget"),
    (["run", "--task", "ackley-3", "--method", "ensemble-ga", "--train-actors", "0"], "train_actors"),
    (["dataset", "ackley", "--param", "dim=abc", "--out", "x.parquet"], "dim='abc'"),
    (["dataset", "ackley", "--param", "dim=[", "--out", "x.parquet"], "'dim'"),
])
def test_bad_command_lines(tmp_path, capsys, monkeypatch, argv, needle):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and needle in err
    assert not (tmp_path / "x.parquet").exists()

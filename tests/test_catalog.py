"""The catalog: every method, scheme, search and budget as data; methods composed from a scheme and
a search; no import cycle in the package; listing methods loads neither torch nor ray."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dist_ombo import catalog
from dist_ombo.catalog import METHODS, SCHEMES, SEARCHES, compose, fitting_searches, method_for
from dist_ombo.errors import ConfigError, UnknownNameError
from dist_ombo.runner import TrialConfig, run_trial

PACKAGE = Path(__file__).resolve().parents[1] / "dist_ombo"

#: Every method name in catalog order: those of committed results keep their names and meaning; new ones come last.
NAMES = [
    "ensemble-nsga2", "ensemble-nsga3", "ensemble-moead", "ensemble-smsemoa", "multihead-nsga2", "ensemble-ga",
    "ensemble-cmaes", "ensemble-grad", "multihead-gradnorm-nsga2", "multihead-pcgrad-nsga2", "coms-nsga2",
    "roma-nsga2", "iom-nsga2", "ict-nsga2", "tri-mentoring-nsga2", "rank-nsga2", "coms-grad", "roma-grad",
    "iom-grad", "ict-grad", "tri-mentoring-grad", "rank-grad", "coms-ga", "rank-ga", "pgs", "model-free-ga",
    "cbas", "cvae", "ddom", "paretoflow", "ddom-nsga2", "ddom-ga", "paretoflow-nsga2", "paretoflow-ga",
    "mobo-qnehvi", "mobo-parego", "mobo-jes",
    "e2e-nsga2", "e2e-gradnorm-nsga2", "e2e-pcgrad-nsga2",
]


def module_graph(package: Path) -> dict[str, set[str]]:
    """Edges module -> dist_ombo module it imports, from every import statement (inside functions
    too); ``from pkg import name`` points at ``pkg.name`` when that is a module, else at ``pkg``."""
    modules: dict[str, Path] = {}
    for path in package.rglob("*.py"):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path

    def known(name: str) -> str:
        while name not in modules:
            name = name.rpartition(".")[0]
        return name

    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                graph[name] |= {known(a.name) for a in node.names if a.name.split(".")[0] == "dist_ombo"}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                    base = ".".join(here[: len(here) - node.level + 1] + ([base] if base else []))
                if base.split(".")[0] != "dist_ombo":
                    continue
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    graph[name].add(full if full in modules else known(base))
        graph[name].discard(name)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path of modules, or ``None``."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_package_has_no_import_cycle():
    graph = module_graph(PACKAGE)
    assert len(graph) > 50 and "dist_ombo.catalog" in graph
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_sees_lazy_imports(tmp_path):
    pkg = tmp_path / "dist_ombo"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from dist_ombo.sub import b\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "b.py").write_text("def f():\n    from dist_ombo import a\n")
    assert find_cycle(module_graph(pkg)) == ["dist_ombo.a", "dist_ombo.sub.b", "dist_ombo.a"]


def test_specs_and_catalog_import_nothing_of_the_families():
    graph = module_graph(PACKAGE)
    assert graph["dist_ombo.specs"] <= {"dist_ombo.config", "dist_ombo.errors"}
    # the BO searches' budget settings are plain data kept beside their code
    assert graph["dist_ombo.catalog"] <= {"dist_ombo.specs", "dist_ombo.errors", "dist_ombo.bo.budgets"}
    assert graph["dist_ombo.bo.budgets"] == set() and graph["dist_ombo.bo"] == set()


def test_every_method_keeps_its_name_and_every_reference_resolves():
    assert list(METHODS) == NAMES
    for scheme in SCHEMES.values():
        assert callable(scheme.fit) and callable(scheme.from_state) and isinstance(scheme.config_cls, type)
    for search in SEARCHES.values():
        assert callable(search.run) and isinstance(search.config_cls, type)
        assert search.budget_section in catalog.BUDGETS["smoke"]
    for spec in METHODS.values():
        assert spec.search in SEARCHES and (spec.scheme is None or spec.scheme in SCHEMES)


def test_listing_loads_neither_torch_nor_ray():
    code = ("import sys; from dist_ombo.cli import main; main(['methods']); main(['tasks']); "
            "print(sorted(m for m in ('torch', 'ray') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
    assert "ensemble-nsga2" in out.stdout and "zdt1" in out.stdout


def test_compose_any_scheme_with_a_search_that_fits():
    spec = compose("coms", "nsga3")
    assert (spec.name, spec.scheme, spec.search, spec.objectives, spec.kind) == (
        "coms-nsga3", "coms", "nsga3", ("moo",), "surrogate")
    assert compose("rank", "smsemoa", name="rank-sms").name == "rank-sms"
    assert compose("none", "model-free-ga").scheme is None
    assert compose("ensemble", "ddom-nsga2").generator == "ddom"
    assert "nsga3" in fitting_searches("coms", "moo") and "grad" not in fitting_searches("coms", "moo")
    assert "cmaes" not in fitting_searches("ensemble", "soo", discrete=True)


@pytest.mark.parametrize("scheme,search,message", [
    ("ddom", "nsga2", "trains a generator.*'ensemble'\\) with ddom, ddom-nsga2, ddom-ga$"),
    ("coms", "model-free-ga", "uses no model"),
    ("none", "nsga2", "needs a surrogate; scheme 'none' trains none; searches that fit scheme 'none': model-free-ga$"),
    ("gradnorm", "grad", "gradnorm.*moo tasks.*searches that fit scheme 'gradnorm': nsga2, nsga3"),
])
def test_a_pair_that_does_not_fit_lists_what_fits(scheme, search, message):
    with pytest.raises(ConfigError, match=message):
        compose(scheme, search)


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(UnknownNameError, match="valid searches: nsga2, nsga3"):
        compose("coms", "nsga4")
    with pytest.raises(UnknownNameError, match="valid schemes: ensemble"):
        method_for(None, "comz", "nsga2")
    with pytest.raises(ConfigError, match="name both"):
        method_for(None, "coms", None)


def test_trial_names_scheme_and_search_directly(tmp_path):
    config = TrialConfig.from_dict({"task": "zdt1", "scheme": "ensemble", "search": "nsga3", "budget": "smoke",
                                    "task_params": {"n_total": 400}, "search_params": {"n_gen": 2}})
    assert (config.method, config.searcher, config.search) == ("ensemble-nsga3", "nsga3", {"n_gen": 2})
    composed = run_trial(config, out_dir=tmp_path)
    preset = run_trial(TrialConfig(task="zdt1", method="ensemble-nsga3", budget="smoke",
                                   task_params={"n_total": 400}, search={"n_gen": 2}))
    assert composed.metrics["method"] == "ensemble-nsga3"
    assert composed.metrics["hv"] == preset.metrics["hv"]  # same pair, same seed: same proposals
    np.testing.assert_array_equal(composed.proposals.to_numpy(), preset.proposals.to_numpy())
    assert TrialConfig.from_dict(config.to_dict()) == config
    assert "scheme" not in TrialConfig(task="zdt1", method="pgs").to_dict()  # preset records read as before


def test_a_task_the_method_does_not_fit_names_the_searches_that_do():
    from dist_ombo.runner import check_compatible
    from dist_ombo.tasks import get_task

    with pytest.raises(ConfigError, match="searches that fit scheme 'coms' on it: ga, cmaes, grad, roma, pgs, cbas"):
        check_compatible(get_task("ackley"), compose("coms", "nsga3"))

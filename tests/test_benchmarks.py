"""The benchmark harness: a registry of scripts, `name: value` lines, budgets that fail a run."""

import importlib.util
import sys
from types import ModuleType

import pytest

from .conftest import TEMPLATE_ROOT


def load_runner() -> ModuleType:
    # run.py imports its sibling modules (_report) the way `python benchmarks/run.py` does.
    sys.path.insert(0, str(TEMPLATE_ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location(
        "bench_run", TEMPLATE_ROOT / "benchmarks" / "run.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module  # dataclasses need the module registered
    spec.loader.exec_module(module)
    return module


runner = load_runner()


def test_every_benchmark_has_a_script_and_a_unique_name() -> None:
    names = [benchmark.name for benchmark in runner.BENCHMARKS]
    assert len(names) == len(set(names))
    for benchmark in runner.BENCHMARKS:
        assert benchmark.script.is_file(), benchmark.name


def test_s3_stream_must_stay_below_the_object_size() -> None:
    (s3_stream,) = runner.select(["s3_stream"])
    assert s3_stream.budgets == {"s3_stream_rss_growth_mib": 64}


def test_metric_lines_are_parsed_and_other_output_ignored() -> None:
    output = "# a comment\ns3_stream_rss_growth_mib: 12.5\nnoise: here\nother_metric: -3\n"
    assert runner.parse_metrics(output) == {"s3_stream_rss_growth_mib": 12.5, "other_metric": -3.0}


def test_budgets_fail_when_reached_or_not_reported() -> None:
    budgets = {"a": 64, "b": 10}
    assert runner.over_budget({"a": 63.9, "b": 1}, budgets) == []
    assert runner.over_budget({"a": 64, "b": 1}, budgets) == ["a: 64 is not below 64"]
    assert runner.over_budget({"a": 1}, budgets) == ["b: not reported"]


def test_no_name_selects_every_benchmark() -> None:
    assert runner.select([]) == list(runner.BENCHMARKS)


def test_unknown_name_is_refused_with_the_choices() -> None:
    with pytest.raises(SystemExit, match="unknown benchmark nope; choose from s3_stream"):
        runner.select(["nope"])


def test_list_prints_one_line_per_benchmark(capsys: pytest.CaptureFixture[str]) -> None:
    assert runner.main(["--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [b.name for b in runner.BENCHMARKS]

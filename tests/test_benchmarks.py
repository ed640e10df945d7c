"""The benchmark harness: a registry of scripts, `name: value` lines, budgets that fail a run."""

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from xml.etree import ElementTree

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
report = sys.modules["_report"]


def test_every_benchmark_has_a_script_and_a_unique_name() -> None:
    names = [benchmark.name for benchmark in runner.BENCHMARKS]
    assert len(names) == len(set(names))
    for benchmark in runner.BENCHMARKS:
        assert benchmark.script.is_file(), benchmark.name


def test_s3_stream_must_stay_below_the_object_size() -> None:
    (s3_stream,) = runner.select(["s3_stream"])
    assert s3_stream.budgets == {"s3_stream_rss_growth_mib": 64}


def test_a_burst_of_s3_uploads_stays_within_the_upload_budget() -> None:
    (burst,) = runner.select(["s3_upload_memory"])
    # s3.upload_buffer_bytes (64 MiB by default) plus the slack test_reliability_s3 allows.
    assert burst.budgets == {"s3_upload_memory_rss_growth_mib": 64 + 32}


def test_example_api_streams_in_flat_memory_and_copies_keep_up() -> None:
    example_stream, files_copy = runner.select(["example_stream", "files_copy"])
    assert example_stream.budgets == {"example_stream_rss_growth_mib": 64}
    assert files_copy.floors == {"files_copy_ratio": 0.7}


def test_metric_lines_are_parsed_and_other_output_ignored() -> None:
    output = "# a comment\ns3_stream_rss_growth_mib: 12.5\nnoise: here\nother_metric: -3\n"
    assert runner.parse_metrics(output) == {"s3_stream_rss_growth_mib": 12.5, "other_metric": -3.0}


def test_budgets_fail_when_reached_or_not_reported() -> None:
    budgets = {"a": 64, "b": 10}
    assert runner.over_budget({"a": 63.9, "b": 1}, budgets) == []
    assert runner.over_budget({"a": 64, "b": 1}, budgets) == ["a: 64 is not below 64"]
    assert runner.over_budget({"a": 1}, budgets) == ["b: not reported"]


def test_floors_fail_when_not_reached_or_not_reported() -> None:
    floors = {"ratio": 0.85, "other": 1.0}
    assert runner.below_floor({"ratio": 0.85, "other": 1.2}, floors) == []
    assert runner.below_floor({"ratio": 0.84, "other": 1}, floors) == ["ratio: 0.84 is below 0.85"]
    assert runner.below_floor({"ratio": 1}, floors) == ["other: not reported"]


def test_issue_goals_are_in_the_registry() -> None:
    """The goals of the performance issue fail `make bench` when missed."""
    floors = {m: v for b in runner.BENCHMARKS for m, v in b.floors.items()}
    budgets = {m: v for b in runner.BENCHMARKS for m, v in b.budgets.items()}
    assert floors == {
        "http_stack_vs_bare_fastapi": 0.85,
        "http_stack_vs_ant31box": 1.0,
        "client_vs_raw_aiohttp": 0.9,
        "s3client_vs_raw_aioboto3": 0.9,
        "s3client_vs_boto3_threads": 1.0,
        "files_copy_ratio": 0.7,
    }
    assert budgets["loop_lag_p99_ms"] == 10
    assert budgets["startup_vs_bare_fastapi"] == 1.5
    assert budgets["idle_rss_vs_bare_fastapi"] == 1.25


@pytest.mark.parametrize(
    ("metric", "value", "goal", "met"),
    [
        ("http_stack_vs_bare_fastapi", 0.85, "≥ 0.85", True),
        ("http_stack_vs_bare_fastapi", 0.849, "≥ 0.85", False),
        ("loop_lag_p99_ms", 9.9, "< 10", True),
        ("loop_lag_p99_ms", 10, "< 10", False),
    ],
)
def test_goal_text_and_verdict(metric: str, value: float, goal: str, met: bool) -> None:
    floors = {"http_stack_vs_bare_fastapi": 0.85}
    assert report.goal_of(metric, floors, {"loop_lag_p99_ms": 10}) == goal
    assert report.meets(value, goal) is met


def test_a_partial_run_keeps_the_other_figures() -> None:
    """`make bench ONLY=x` updates x's figures; the chart still shows every benchmark."""
    previous = {
        "machine": {"cores": 2, "http_stack": {"python": "3.12.1"}},
        "figures": {"a": {"value": 1.0, "goal": "≥ 0.9"}},
    }
    merged = report.merge(previous, {"b": 5.0}, {"b": "< 10"}, {"cores": 4})
    assert merged == {
        # The skipped benchmark's interpreter facts stay with its figures.
        "machine": {"cores": 4, "http_stack": {"python": "3.12.1"}},
        "figures": {"a": {"value": 1.0, "goal": "≥ 0.9"}, "b": {"value": 5.0, "goal": "< 10"}},
    }


def test_chart_has_a_bar_and_a_goal_line_per_goal(tmp_path: Path) -> None:
    metrics = {"x_vs_y": 0.93, "z_vs_y": 0.5, "lag_ms": 4.0, "info": 3.0}
    goals = {"x_vs_y": "≥ 0.85", "z_vs_y": "≥ 1", "lag_ms": "< 10", "info": None}
    results = report.write(tmp_path, metrics, goals, {"cores": 2})
    svg = ElementTree.parse(tmp_path / "results.svg").getroot()
    namespace = "{http://www.w3.org/2000/svg}"
    bars = [rect for rect in svg.iter(f"{namespace}rect") if rect.get("height") == "18"]
    assert [bar.get("fill") for bar in bars] == ["#2e7d32", "#c62828", "#2e7d32"]
    assert len(list(svg.iter(f"{namespace}line"))) == 3, "one goal line per figure with a goal"
    assert json.loads((tmp_path / "results.json").read_text()) == results
    table = report.markdown_table(results)
    assert f"| `z_vs_y` | 0.50{report.TIMES} | ≥ 1 | MISSED |" in table
    assert "| `lag_ms` | 4.00 ms | < 10 | met |" in table


def test_no_name_selects_every_benchmark() -> None:
    assert runner.select([]) == list(runner.BENCHMARKS)


def test_unknown_name_is_refused_with_the_choices() -> None:
    with pytest.raises(SystemExit, match="unknown benchmark nope; choose from s3_stream, "):
        runner.select(["nope"])


def test_list_prints_one_line_per_benchmark(capsys: pytest.CaptureFixture[str]) -> None:
    assert runner.main(["--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [b.name for b in runner.BENCHMARKS]

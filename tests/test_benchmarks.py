"""The benchmark harness: a registry of scripts, `name: value` lines, budgets that fail a run."""

import importlib.util
import json
import os
import statistics
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
# The scripts import their helpers by plain name (benchmarks/ is on sys.path, see above);
# these import nothing beyond the standard library at load time.
harness = importlib.import_module("_harness")
db = importlib.import_module("_db")
db_read = importlib.import_module("db_read")
loop_lag_db = importlib.import_module("loop_lag_db")
jobs = importlib.import_module("_jobs")
jobs_vs_raw_taskiq = importlib.import_module("jobs_vs_raw_taskiq")
job_start_latency = importlib.import_module("job_start_latency")
http_stack_otel = importlib.import_module("http_stack_otel")


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
        "http_stack_otel_vs_off": 0.6,
        "client_vs_raw_aiohttp": 0.9,
        "s3client_vs_raw_aioboto3": 0.9,
        "s3client_vs_boto3_threads": 1.0,
        "files_copy_ratio": 0.7,
        "db_read_vs_raw_asyncpg": 0.4,
        "jobs_vs_raw_taskiq": 0.8,
    }
    assert budgets["loop_lag_p99_ms"] == 10
    assert budgets["loop_lag_db_p99_ms"] == 10
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


def test_database_benchmarks_read_at_concurrency_16_with_their_goals() -> None:
    db_read_entry, loop_lag_db_entry = runner.select(["db_read", "loop_lag_db"])
    assert db_read_entry.floors == {"db_read_vs_raw_asyncpg": 0.4}
    assert loop_lag_db_entry.budgets == {"loop_lag_db_p99_ms": 10}
    # Default answers: the database feature is on, so both use the project the others use.
    assert db_read_entry.answers == loop_lag_db_entry.answers == {}
    assert db.CONCURRENCY == 16
    assert db.SKIP_EXIT == runner.SKIP_EXIT


def test_db_read_reports_the_median_of_per_round_ratios(
    capsys: pytest.CaptureFixture[str],
) -> None:
    raw = [1000.0, 2000.0, 1500.0]
    rounds = {name: [rate / 3 for rate in raw] for name in db_read.VARIANTS}
    rounds["raw"] = raw
    # One round where the service side ran fast while raw was slow: the median ignores it.
    rounds["session_get"] = [300.0, 600.0, 1500.0]
    db_read.report(rounds)
    captured = capsys.readouterr()
    metrics = runner.parse_metrics(captured.out)
    assert set(metrics) == {
        "db_read_vs_raw_asyncpg",
        "db_read_orm_select_vs_raw_asyncpg",
        "db_read_core_vs_raw_asyncpg",
        "db_read_raw_tx_vs_raw_asyncpg",
        "db_read_no_ping_vs_raw_asyncpg",
        "db_read_autocommit_vs_raw_asyncpg",
    }
    assert metrics["db_read_vs_raw_asyncpg"] == 0.3  # median of 0.3, 0.3, 1.0
    assert metrics["db_read_raw_tx_vs_raw_asyncpg"] == 0.33  # every round 1/3, two decimals
    # Where the time goes: CPU microseconds per read and the step between variants.
    median_raw = statistics.median(raw)
    assert f"raw {1e6 / median_raw:.0f}" in captured.err
    assert "µs/read (ping + BEGIN + COMMIT round trips (driver only))" in captured.err


def test_lag_figures_keep_the_window_and_subtract_the_cpu_wait() -> None:
    # (monotonic time, lag, run delay) per tick, as _server.py's LagSampler writes them.
    samples = [[0.5, 0.500, 0.0]]  # before the window
    samples += [[1.0 + i / 100, 0.002, 0.0] for i in range(98)]
    samples += [[2.0, 0.050, 0.045], [2.01, 0.030, 0.0]]  # CPU wait, then the loop's own lag
    figures = harness.lag_figures("x", samples, 1.0, 2.5)
    assert figures["x_max_ms"] == pytest.approx(30.0)
    assert figures["x_p99_ms"] == pytest.approx(30.0)  # 100 samples: the 99th is the largest
    assert figures["x_wall_max_ms"] == pytest.approx(50.0)
    with pytest.raises(SystemExit, match="x: no lag samples"):
        harness.lag_figures("x", samples, 3.0, 4.0)


def test_loop_lag_db_wrk_script_reads_random_rows_of_the_table() -> None:
    script = loop_lag_db.wrk_script()
    assert f'"{db.ROUTE.removesuffix("{item_id}")}" .. math.random(1, {db.ROWS})' in script
    assert "request = function()" in script


def test_database_benchmarks_skip_without_a_database_layer(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import asyncio

    with pytest.raises(SystemExit) as exit_info:
        asyncio.run(db.check_available("db_read", "json"))
    assert exit_info.value.code == runner.SKIP_EXIT
    assert "db_read: SKIPPED: the rendered project has no database layer" in capsys.readouterr().err


def test_skip_messages_never_show_a_password() -> None:
    assert db.without_password("postgresql://bench:s3cret@db:5432/x") == (
        "postgresql://bench:***@db:5432/x"
    )
    assert db.without_password(db.SERVER_URL) == db.SERVER_URL  # no password to hide


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("import sys\nprint('# why', file=sys.stderr)\nsys.exit(77)\n", None),
        ("print('fake_ratio: 0.5')\n", {"fake_ratio": 0.5}),
    ],
)
def test_a_script_that_exits_77_is_skipped_not_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str, expected: object
) -> None:
    monkeypatch.setattr(runner, "HERE", tmp_path)
    (tmp_path / "fake.py").write_text(script)
    project = tmp_path / "project"
    (project / ".venv" / "bin").mkdir(parents=True)
    os.symlink(sys.executable, project / ".venv" / "bin" / "python")
    benchmark = runner.Benchmark(name="fake", description="a stand-in")
    assert runner.run(benchmark, project, "pkg") == expected


def test_jobs_benchmarks_floor_and_skip_without_a_jobs_package(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import asyncio

    throughput, latency = runner.select(["jobs_vs_raw_taskiq", "job_start_latency"])
    assert throughput.floors == {"jobs_vs_raw_taskiq": 0.8}
    # Default answers: jobs are on, so both use the project the others use.
    assert throughput.answers == latency.answers == {}
    assert jobs.SKIP_EXIT == runner.SKIP_EXIT
    with pytest.raises(SystemExit) as exit_info:
        asyncio.run(jobs.check_available("jobs_vs_raw_taskiq", "json"))
    assert exit_info.value.code == runner.SKIP_EXIT
    assert "SKIPPED: the rendered project has no jobs package" in capsys.readouterr().err


def test_jobs_benchmark_kinds_come_from_the_modules_setting(tmp_path: Path) -> None:
    """The no-op kinds are written for the run and named in jobs.modules, not shipped."""
    jobs.write_kinds(tmp_path, "my_service")
    source = (tmp_path / f"{jobs.KINDS_MODULE}.py").read_text()
    compile(source, "kinds", "exec")
    assert "from my_service.jobs.registry import JobContext, job" in source
    assert f'@job("{jobs.NOOP}")' in source
    settings = jobs.jobs_settings("bench-x", concurrency=4)
    env = jobs.worker_environment("my_service", tmp_path, settings)
    assert env["MY_SERVICE_JOBS__MODULES"] == jobs.KINDS_MODULE
    assert env["MY_SERVICE_JOBS__KEY_PREFIX"] == "bench-x"
    assert env["MY_SERVICE_JOBS__BROKER"] == "redis"
    assert env["PYTHONPATH"].split(os.pathsep)[0] == str(tmp_path)


def test_jobs_vs_raw_taskiq_reports_median_ratios(capsys: pytest.CaptureFixture[str]) -> None:
    def rounds(rates: list[float]) -> list[dict[str, float]]:
        return [{"rate": r, "worker": 1.0, "producer": 1.0, "redis": 1.0} for r in rates]

    jobs_vs_raw_taskiq.report(
        {
            "service": rounds([400, 500, 600]),
            "raw": rounds([1000, 1000, 600]),
            "raw_results": rounds([800, 1000, 1200]),
            "raw_concurrency": rounds([500, 500, 500]),
        }
    )
    metrics = runner.parse_metrics(capsys.readouterr().out)
    assert metrics == {
        "jobs_vs_raw_taskiq": 0.5,  # median of 0.4, 0.5, 1.0
        "jobs_vs_raw_taskiq_results": 0.5,
        "jobs_vs_raw_taskiq_same_concurrency": 1.0,
    }


def test_job_start_latency_reports_percentiles(capsys: pytest.CaptureFixture[str]) -> None:
    service = [1.0] * 99 + [50.0]
    job_start_latency.report({"service": service, "raw": [2.0] * 100})
    metrics = runner.parse_metrics(capsys.readouterr().out)
    assert metrics["job_start_latency_p50_ms"] == 1.0
    assert metrics["job_start_latency_p99_ms"] == 50.0
    assert metrics["job_start_latency_raw_taskiq_p99_ms"] == 2.0


def test_wrk_counts_the_requests_it_got_answers_to() -> None:
    output = "  Latency 1ms\n  12345 requests in 2.00s, 1.50MB read\nRequests/sec:   6172.50\n"
    assert harness.WRK_RATE.search(output)[1] == "6172.50"
    assert harness.WRK_COUNT.search(output)[1] == "12345"


class FakeReceiver:
    """What check_spans reads of an OtlpReceiver (which needs the project's OTLP messages)."""

    def __init__(self, spans: dict[str, int], names: dict[str, int]) -> None:
        from collections import Counter

        self.spans = Counter(spans)
        self.batches = Counter(dict.fromkeys(spans, 1))
        self.bytes = Counter(dict.fromkeys(spans, 1000))
        self.names = Counter(names)


def test_otel_benchmark_fails_loudly_when_nothing_was_traced() -> None:
    """A run whose traced server exported nothing measured an untraced server: no figure."""
    traced = FakeReceiver({"traced": 100}, {"GET /health": 100})
    http_stack_otel.check_spans(traced)
    with pytest.raises(SystemExit, match="the traced server exported no spans"):
        http_stack_otel.check_spans(FakeReceiver({}, {}))
    with pytest.raises(SystemExit, match="the traced server exported no spans"):
        http_stack_otel.check_spans(FakeReceiver({"traced": 3}, {"UPDATE t": 3}))
    with pytest.raises(SystemExit, match="meant to record nothing exported"):
        http_stack_otel.check_spans(FakeReceiver({"traced": 5, "off": 1}, {"GET /health": 5}))


def test_otel_benchmark_compares_traced_and_unsampled_with_off(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def rounds(rates: list[float]) -> list[object]:
        return [http_stack_otel.Round(r, int(r * 2), 1.0, 0.1) for r in rates]

    http_stack_otel.report(
        {
            "off": rounds([1000, 1000, 500]),
            "unsampled": rounds([800, 900, 500]),
            "traced": rounds([600, 700, 500]),
        },
        1.01,
        {"opentelemetry": 0.4, "starlette": 0.6},
        ["sdk/trace/__init__.py:1(start_span) 1.0%"],
    )
    captured = capsys.readouterr()
    assert runner.parse_metrics(captured.out) == {
        "http_stack_otel_vs_off": 0.7,  # median of 0.6, 0.7, 1.0
        "http_stack_otel_unsampled_vs_off": 0.9,
        "http_stack_otel_spans_per_request": 1.01,
    }
    assert "where the time goes" in captured.err


@pytest.mark.parametrize(
    ("filename", "function", "owner"),
    [
        (
            "/v/lib/python3.12/site-packages/opentelemetry/sdk/trace/__init__.py",
            "f",
            "opentelemetry",
        ),
        ("/v/lib/python3.12/site-packages/six.py", "f", "six"),
        ("/p/src/my_service/server/app.py", "f", "my_service"),
        ("/usr/lib/python3.12/asyncio/events.py", "f", "stdlib"),
        (
            "~",
            "<method 'run_forever' of 'uvloop.loop.Loop' objects>",
            "uvloop (C, idle wait included)",
        ),
        ("~", "<built-in method time.perf_counter>", "C built-ins"),
    ],
)
def test_profiled_functions_are_charged_to_their_owner(
    filename: str, function: str, owner: str
) -> None:
    assert http_stack_otel.package_of(filename, function, "my_service") == owner


def test_thread_cpu_time_is_read_from_proc() -> None:
    if not Path(f"/proc/{os.getpid()}/task").is_dir():
        pytest.skip("needs Linux /proc")
    process, main_thread = http_stack_otel.cpu_seconds(os.getpid())
    assert process >= main_thread >= 0

"""Run the template's benchmarks: `make bench`, or `make bench ONLY=s3_stream`.

Each benchmark is a script in this directory that runs inside a freshly rendered project (its
own .venv, installed with uv from the shared cache) and prints `name: value` lines on stdout.
This runner renders and installs each distinct project once, runs the selected scripts, echoes
their metric lines and fails when a metric is above its budget or below its floor. The figures
go into benchmarks/results.json and the chart benchmarks/results.svg (see _report.py).

Add a benchmark by writing `benchmarks/<name>.py` and one `Benchmark` entry in `BENCHMARKS`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import _report

HERE = Path(__file__).resolve().parent
TEMPLATE_ROOT = HERE.parent
BUILD_DIR = TEMPLATE_ROOT / "build" / "bench"
# A script exits with this status when it cannot run here (a server it needs is not reachable);
# it says why on stderr, and the run reports it as skipped rather than failed.
SKIP_EXIT = 77
METRIC_LINE = re.compile(r"^(?P<name>[a-z][a-z0-9_]*): (?P<value>-?[0-9]+(?:\.[0-9]+)?)$")


@dataclass(frozen=True)
class Benchmark:
    """A script run with the rendered project's interpreter; argv[1] is the package name."""

    name: str
    description: str
    # Answers for the rendered project, on top of the template defaults.
    answers: Mapping[str, object] = field(default_factory=dict)
    # metric -> largest acceptable value; a larger one fails the run.
    budgets: Mapping[str, float] = field(default_factory=dict)
    # metric -> smallest acceptable value; a smaller one fails the run.
    floors: Mapping[str, float] = field(default_factory=dict)

    @property
    def script(self) -> Path:
        return HERE / f"{self.name}.py"


BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark(
        name="s3_stream",
        description="64 MiB streamed up and down through S3Client against a local moto server",
        budgets={"s3_stream_rss_growth_mib": 64},
    ),
    Benchmark(
        name="s3_upload_memory",
        description="server RSS growth: 64 concurrent 8 MB PUTs on the S3 backend (64 MiB budget)",
        # s3.upload_buffer_bytes (64 MiB) plus 32 MiB of slack; without a budget: ~570 MiB.
        budgets={"s3_upload_memory_rss_growth_mib": 96},
    ),
    Benchmark(
        name="example_stream",
        description="256 MiB PUT then GET through /api/v1/objects on uvicorn (local backend)",
        budgets={"example_stream_rss_growth_mib": 64},
    ),
    Benchmark(
        name="files_copy",
        description="files.copy vs shutil.copyfile on a 256 MiB file, interleaved in one run",
        floors={"files_copy_ratio": 0.7},
    ),
    Benchmark(
        name="http_stack",
        description="GET /health req/s: generated app vs bare FastAPI vs ant31box 0.2.8 (wrk)",
        floors={"http_stack_vs_bare_fastapi": 0.85, "http_stack_vs_ant31box": 1.0},
    ),
    Benchmark(
        name="http_stack_otel",
        description="GET /health req/s: generated app tracing every request (batch OTLP export "
        "to a local receiver) vs tracing unconfigured (wrk)",
        floors={"http_stack_otel_vs_off": 0.6},
    ),
    Benchmark(
        name="client_overhead",
        description="BaseClient vs raw aiohttp session: 2,000 GETs at concurrency 50",
        floors={"client_vs_raw_aiohttp": 0.9},
    ),
    Benchmark(
        name="s3_overhead",
        description="S3Client vs raw aioboto3 vs boto3 threads: 200 puts + 200 gets of 256 KiB",
        floors={"s3client_vs_raw_aioboto3": 0.9, "s3client_vs_boto3_threads": 1.0},
    ),
    Benchmark(
        name="loop_lag",
        description="event-loop lag in the server under wrk load plus a 256 MiB PUT/GET",
        budgets={"loop_lag_p99_ms": 10},
    ),
    Benchmark(
        name="db_read",
        description="primary-key reads per CPU second: the service's session layer vs raw "
        "asyncpg, concurrency 16, on PostgreSQL",
        floors={"db_read_vs_raw_asyncpg": 0.4},
    ),
    Benchmark(
        name="loop_lag_db",
        description="event-loop lag in the server while it reads PostgreSQL at concurrency 16",
        budgets={"loop_lag_db_p99_ms": 10},
    ),
    Benchmark(
        name="jobs_vs_raw_taskiq",
        description="no-op jobs/s through the service's job layer (submit, one worker, record) "
        "vs bare taskiq on the same Redis, one worker each",
        floors={"jobs_vs_raw_taskiq": 0.8},
    ),
    Benchmark(
        name="job_start_latency",
        description="enqueue to handler start, redis broker, one worker, a job every 10 ms "
        "(p50/p99; bare taskiq alongside)",
    ),
    Benchmark(
        name="startup",
        description="serve to the first /health 200, and idle RSS: generated vs bare FastAPI",
        budgets={"startup_vs_bare_fastapi": 1.5, "idle_rss_vs_bare_fastapi": 1.25},
    ),
)


def select(names: Sequence[str]) -> list[Benchmark]:
    """The benchmarks named (all of them when none is), in registry order."""
    known = {benchmark.name: benchmark for benchmark in BENCHMARKS}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise SystemExit(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(known)}")
    return [b for b in BENCHMARKS if not names or b.name in names]


def parse_metrics(output: str) -> dict[str, float]:
    """The `name: value` lines of a benchmark's stdout."""
    metrics: dict[str, float] = {}
    for line in output.splitlines():
        match = METRIC_LINE.match(line.strip())
        if match:
            metrics[match["name"]] = float(match["value"])
    return metrics


def over_budget(metrics: Mapping[str, float], budgets: Mapping[str, float]) -> list[str]:
    """One message per budget that is exceeded or whose metric is missing."""
    problems = []
    for name, limit in budgets.items():
        if name not in metrics:
            problems.append(f"{name}: not reported")
        elif metrics[name] >= limit:
            problems.append(f"{name}: {metrics[name]:g} is not below {limit:g}")
    return problems


def below_floor(metrics: Mapping[str, float], floors: Mapping[str, float]) -> list[str]:
    """One message per floor that is not reached or whose metric is missing."""
    problems = []
    for name, limit in floors.items():
        if name not in metrics:
            problems.append(f"{name}: not reported")
        elif metrics[name] < limit:
            problems.append(f"{name}: {metrics[name]:g} is below {limit:g}")
    return problems


def project_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.setdefault("UV_CACHE_DIR", str(TEMPLATE_ROOT / ".cache" / "uv"))
    env["UV_PYTHON_DOWNLOADS"] = "never"
    return env


def prepare(answers: Mapping[str, object], uv: str) -> tuple[Path, str]:
    """Render the template with `answers` into build/bench/ and install it; (project, package)."""
    from cookiecutter.main import cookiecutter

    key = json.dumps(dict(answers), sort_keys=True)
    target = BUILD_DIR / (hashlib.sha256(key.encode()).hexdigest()[:12] if answers else "default")
    shutil.rmtree(target, ignore_errors=True)
    project = Path(
        cookiecutter(
            str(TEMPLATE_ROOT),
            no_input=True,
            extra_context=dict(answers),
            output_dir=str(target),
            default_config=True,
        )
    )
    print(f"# installing {project.relative_to(TEMPLATE_ROOT)}", file=sys.stderr, flush=True)
    subprocess.run([uv, "sync", "--quiet"], cwd=project, env=project_env(), check=True)
    (package,) = [path.parent.name for path in (project / "src").glob("*/__init__.py")]
    return project, package


def run(benchmark: Benchmark, project: Path, package: str) -> dict[str, float] | None:
    """Run one benchmark script in `project`'s venv; stream its output; return its metrics.

    None when the script skipped itself (SKIP_EXIT; its reason is on stderr).
    """
    python = project / ".venv" / "bin" / "python"
    result = subprocess.run(
        [str(python), str(benchmark.script), package],
        cwd=project,
        env=project_env(),
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    sys.stdout.write(result.stdout)
    sys.stdout.flush()
    if result.returncode == SKIP_EXIT:
        return None
    if result.returncode != 0:
        raise RuntimeError(f"{benchmark.name} exited with {result.returncode}")
    return parse_metrics(result.stdout)


def report(
    figures: Mapping[str, float],
    goals: Mapping[str, str | None],
    projects: Iterable[tuple[Path, str]],
) -> None:
    """Write results.json and results.svg; print the table of every recorded figure."""
    project = next(iter(projects))[0]
    machine = _report.machine_facts(
        {
            "project": project / ".venv" / "bin" / "python",
            "http_stack": project / ".bench-py312" / "bin" / "python",
        }
    )
    results = _report.write(HERE, figures, goals, machine)
    print(_report.markdown_table(results), file=sys.stderr, end="")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], help="benchmark name (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("--uv", default=shutil.which("uv") or "uv", help="uv executable")
    args = parser.parse_args(argv)
    names = [name for value in args.only for name in value.split(",") if name]
    if args.list:
        for benchmark in BENCHMARKS:
            print(f"{benchmark.name}: {benchmark.description}")
        return 0
    selected = select(names)
    # Scripts that build venvs of their own (http_stack) use the same uv.
    os.environ["BENCH_UV"] = args.uv
    projects: dict[str, tuple[Path, str]] = {}
    failures: list[str] = []
    skipped: list[str] = []
    figures: dict[str, float] = {}
    goals: dict[str, str | None] = {}
    for benchmark in selected:
        key = json.dumps(dict(benchmark.answers), sort_keys=True)
        if key not in projects:
            projects[key] = prepare(benchmark.answers, args.uv)
        print(f"# {benchmark.name}: {benchmark.description}", file=sys.stderr, flush=True)
        try:
            metrics = run(benchmark, *projects[key])
        except RuntimeError as exc:
            failures.append(str(exc))
            continue
        if metrics is None:
            skipped.append(benchmark.name)
            continue
        failures += [f"{benchmark.name}: {p}" for p in over_budget(metrics, benchmark.budgets)]
        failures += [f"{benchmark.name}: {p}" for p in below_floor(metrics, benchmark.floors)]
        figures.update(metrics)
        goals.update({m: _report.goal_of(m, benchmark.floors, benchmark.budgets) for m in metrics})
    if figures:
        report(figures, goals, projects.values())
    for name in skipped:
        print(f"SKIPPED {name} (the reason is above)", file=sys.stderr)
    for failure in failures:
        print(f"FAILED {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

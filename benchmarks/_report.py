"""The figures of a `make bench` run: benchmarks/results.json, a bar chart (SVG), a table.

Every run merges its figures into results.json (a run with ONLY= updates only its own figures)
and redraws results.svg from it: one bar per figure that has a goal, with the goal drawn as a
line across the bar, green when the goal holds and red when it does not. The SVG is written
by hand (no plotting library) so `make bench` needs nothing beyond the standard library.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

TIMES = "\N{MULTIPLICATION SIGN}"  # the unit of a ratio
# Versions worth naming next to the figures (those present in the project are listed).
PACKAGES = (
    "fastapi",
    "starlette",
    "uvicorn",
    "uvloop",
    "httptools",
    "pydantic",
    "prometheus-client",
    "aiohttp",
    "aioboto3",
    "botocore",
    "moto",
    "sqlalchemy",
    "asyncpg",
    "ant31box",
)
_VERSIONS = f"""
import importlib.metadata as m, json, sys
versions = {{}}
for name in {PACKAGES!r}:
    try:
        versions[name] = m.version(name)
    except m.PackageNotFoundError:
        pass
print(json.dumps({{"python": sys.version.split()[0], "packages": versions}}))
"""


def goal_of(metric: str, floors: Mapping[str, float], budgets: Mapping[str, float]) -> str | None:
    """The goal as text: "≥ 0.85" for a floor, "< 10" for a budget, None without one."""
    if metric in floors:
        return f"≥ {floors[metric]:g}"
    if metric in budgets:
        return f"< {budgets[metric]:g}"
    return None


def meets(value: float, goal: str) -> bool:
    sign, _, limit = goal.partition(" ")
    return value >= float(limit) if sign == "≥" else value < float(limit)


def unit_of(metric: str) -> str:
    if metric.endswith("_ms"):
        return "ms"
    if metric.endswith("_mib"):
        return "MiB"
    return TIMES


def machine_facts(pythons: Mapping[str, Path]) -> dict[str, Any]:
    """Cores, CPU model, OS and, per interpreter that exists, its version and packages."""
    facts: dict[str, Any] = {
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "system": f"{platform.system()} {platform.release()}",
        # Other jobs on the machine: the 1-minute load average when the run ended.
        "load_average": round(os.getloadavg()[0], 2),
        "wrk": _wrk_version(),
    }
    for label, python in pythons.items():
        if python.is_file():
            result = subprocess.run(
                [str(python), "-c", _VERSIONS], capture_output=True, text=True, check=True
            )
            facts[label] = json.loads(result.stdout)
    return facts


def _wrk_version() -> str | None:
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    result = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
    words = (result.stdout + result.stderr).split()
    return words[1] if len(words) > 1 and words[0] == "wrk" else None


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    return platform.processor() or platform.machine()


def merge(
    previous: Mapping[str, Any],
    metrics: Mapping[str, float],
    goals: Mapping[str, str | None],
    machine: Mapping[str, Any],
) -> dict[str, Any]:
    """`previous` results with this run's figures and machine facts laid over them.

    Facts this run did not gather (the interpreter of a benchmark it skipped) stay, since the
    figures they describe stay too.
    """
    figures = dict(previous.get("figures", {}))
    for name, value in metrics.items():
        figures[name] = {"value": round(value, 3), "goal": goals.get(name)}
    facts = {**previous.get("machine", {}), **machine}
    return {"machine": facts, "figures": dict(sorted(figures.items()))}


def markdown_table(results: Mapping[str, Any]) -> str:
    lines = ["| figure | value | goal | |", "|---|---:|---|---|"]
    for name, figure in results["figures"].items():
        goal = figure.get("goal")
        verdict = "" if goal is None else ("met" if meets(figure["value"], goal) else "MISSED")
        unit = unit_of(name)
        value = f"{figure['value']:.2f}{'' if unit == TIMES else ' '}{unit}"
        lines.append(f"| `{name}` | {value} | {goal or ''} | {verdict} |")
    return "\n".join(lines) + "\n"


# Layout of the chart, in SVG user units.
_WIDTH = 760
_LABEL = 240
_BAR = 300
_ROW = 30
_HEAD = 30
_GREEN = "#2e7d32"
_RED = "#c62828"


def render_svg(results: Mapping[str, Any]) -> str:
    """One bar per figure with a goal, grouped by unit; each group has its own scale.

    A group's scale ends at 1.5 times its largest goal, so the goal lines sit at the same
    place for every figure of the group; a longer bar is cut there and marked with "»".
    """
    groups: dict[str, list[tuple[str, float, str]]] = {TIMES: [], "ms": [], "MiB": []}
    for name, figure in results["figures"].items():
        if figure.get("goal"):
            groups[unit_of(name)].append((name, figure["value"], figure["goal"]))
    groups = {unit: items for unit, items in groups.items() if items}
    rows = sum(len(items) for items in groups.values())
    height = _HEAD + rows * _ROW + len(groups) * _ROW + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{height}" '
        f'viewBox="0 0 {_WIDTH} {height}" font-family="sans-serif" font-size="13">',
        f'<rect width="{_WIDTH}" height="{height}" fill="white"/>',
        '<text x="10" y="20" font-size="15" font-weight="bold">'
        "make bench: each figure against its goal (dashed line)</text>",
    ]
    y = _HEAD
    for unit, items in groups.items():
        title = {TIMES: "ratios (higher is better)", "ms": "milliseconds (lower is better)"}
        parts.append(
            f'<text x="10" y="{y + 20}" font-style="italic" fill="#555">'
            f"{escape(title.get(unit, f'{unit} (lower is better)'))}</text>"
        )
        y += _ROW
        top = max(float(goal.split()[1]) for _, _, goal in items) * 1.5
        for name, value, goal in items:
            limit = float(goal.split()[1])
            colour = _GREEN if meets(value, goal) else _RED
            width = _BAR * min(value, top) / top
            line = _LABEL + _BAR * limit / top
            shown = f"{value:.2f}{unit if unit == TIMES else ' ' + unit}  (goal {goal})"
            parts += [
                f'<text x="{_LABEL - 8}" y="{y + 19}" text-anchor="end">{escape(name)}</text>',
                f'<rect x="{_LABEL}" y="{y + 6}" width="{width:.1f}" height="18" fill="{colour}"/>',
                f'<line x1="{line:.1f}" y1="{y + 2}" x2="{line:.1f}" y2="{y + 28}" '
                'stroke="black" stroke-width="2" stroke-dasharray="4 2"/>',
                f'<text x="{_LABEL + _BAR + 8}" y="{y + 19}">{escape(shown)}</text>',
            ]
            if value > top:  # cut at the end of the scale
                parts.append(
                    f'<text x="{_LABEL + _BAR - 4}" y="{y + 20}" text-anchor="end" '
                    'fill="white" font-weight="bold">»</text>'
                )
            y += _ROW
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write(
    directory: Path,
    metrics: Mapping[str, float],
    goals: Mapping[str, str | None],
    machine: Mapping[str, Any],
) -> dict[str, Any]:
    """Merge into directory/results.json and redraw directory/results.svg; the results."""
    path = directory / "results.json"
    previous = json.loads(path.read_text()) if path.is_file() else {}
    results = merge(previous, metrics, goals, machine)
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    (directory / "results.svg").write_text(render_svg(results))
    return results

"""Runs the benchmarks, one process each, and writes BENCHMARKS.md at the repository root: every
figure each printed, its checks, the exact command, the machine (CPU, cores, memory, OS, Python),
the date and the commit.

Each bench runs as ``.venv/bin/python bench/<name>.py <options> --json <tmp>``; its output is kept
verbatim and its JSON gives the summary. A bench that is missing (flash_race is optional) is
skipped; one that fails (a check, a crash, a timeout) is reported as such and the report still
written; the exit status is then 1.

Run: .venv/bin/python bench/report.py                  every bench at its report size (make bench)
     .venv/bin/python bench/report.py --quick          small sizes: a smoke run (make bench-quick)
     .venv/bin/python bench/report.py --only idempotency_storm,webhook_storm
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ".venv/bin/python"


@dataclass(frozen=True)
class Bench:
    name: str
    what: str
    full: tuple[str, ...]
    quick: tuple[str, ...]
    timeout: int = 1800  # seconds
    json: bool = True  # takes --json PATH


BENCHES = (
    Bench(
        "cold_import",
        "cold import of every function's handler module against a bare reference handler",
        ("--runs", "7"),
        ("--runs", "1"),
    ),
    Bench(
        "order_meter",
        "AWS calls, invocations, transitions and cost of one order on the happy path",
        ("--orders", "10"),
        ("--orders", "2"),
    ),
    Bench(
        "flash_race",
        "a flash sale: many buyers racing for few units of a hot SKU",
        ("--buyers", "500", "--units", "50", "--hot-shards", "4"),
        ("--buyers", "20", "--units", "5", "--hot-shards", "2"),
    ),
    Bench(
        "idempotency_storm",
        "one Idempotency-Key sent many times at once to POST /orders",
        ("--repeat", "5", "--concurrency", "20"),
        ("--repeat", "1", "--concurrency", "10"),
    ),
    Bench(
        "webhook_storm",
        "partner webhooks duplicated, shuffled, forged, tampered with and stale",
        ("--orders", "10", "--copies", "5", "--concurrency", "8"),
        ("--orders", "2", "--copies", "3", "--concurrency", "4"),
    ),
    Bench(
        "search_snapshot",
        "catalogue snapshot size, build and query latency (figures also in docs/search.md)",
        (),
        ("--sizes", "2000", "--queries", "10"),
        json=False,
    ),
)


@dataclass
class Run:
    bench: Bench
    command: str
    status: str  # ok | failed | crashed | timeout | missing
    seconds: float = 0.0
    output: str = ""
    data: dict[str, Any] = field(default_factory=dict)


# ---- the machine ------------------------------------------------------------------------------------
def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    cpuinfo = _read("/proc/cpuinfo")
    for line in cpuinfo.splitlines():
        if line.lower().startswith(("model name", "hardware", "cpu model")):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = ""
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    os_name = platform.platform()
    for line in _read("/etc/os-release").splitlines():
        if line.startswith("PRETTY_NAME="):
            os_name = f"{line.split('=', 1)[1].strip(chr(34))} ({platform.system()} {platform.release()})"
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return {
        "CPU": f"{cpu} ({platform.machine()})",
        "cores": f"{os.cpu_count()} logical{_physical(cpuinfo)}",
        "memory": memory or "n/a",
        "OS": os_name,
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "load average at start (1/5/15 min)": load,
        "commit": _git("rev-parse", "--short", "HEAD")
        + (" + uncommitted changes" if _git("status", "--porcelain") else ""),
    }


def _physical(cpuinfo: str) -> str:
    """ ", N physical" from /proc/cpuinfo's (physical id, core id) pairs, when it gives them."""
    pairs = set()
    for block in cpuinfo.split("\n\n"):
        fields = dict(line.split(":", 1) for line in block.splitlines() if ":" in line)
        fields = {k.strip(): v.strip() for k, v in fields.items()}
        if "physical id" in fields and "core id" in fields:
            pairs.add((fields["physical id"], fields["core id"]))
    return f", {len(pairs)} physical" if pairs else ""


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "n/a"


# ---- running ------------------------------------------------------------------------------------------
def run(bench: Bench, quick: bool) -> Run:
    script = ROOT / "bench" / f"{bench.name}.py"
    options = list(bench.quick if quick else bench.full)
    command = shlex.join([PYTHON, f"bench/{bench.name}.py", *options])
    if not script.exists():
        return Run(bench, command, "missing")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"{bench.name}.json"
        argv = [sys.executable, str(script), *options, *(["--json", str(out)] if bench.json else [])]
        print(f"== {bench.name}: {command}", flush=True)
        started = time.monotonic()
        try:
            done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=bench.timeout)
        except subprocess.TimeoutExpired as expired:
            output = _text(expired.stdout) + _text(expired.stderr)
            return Run(bench, command, "timeout", time.monotonic() - started, output)
        seconds = time.monotonic() - started
        output = done.stdout + (f"\n[stderr]\n{_tail(done.stderr)}" if done.returncode and done.stderr else "")
        data = json.loads(out.read_text()) if out.exists() else {}
    status = "ok" if done.returncode == 0 else "failed" if data else "crashed"  # failed: a check did
    print(f"   {status} in {seconds:.0f} s", flush=True)
    return Run(bench, command, status, seconds, output, data)


def _text(value: bytes | str | None) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value or ""


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


# ---- the report -------------------------------------------------------------------------------------
def _latency(stats: dict[str, Any]) -> str:
    if not stats.get("n"):
        return "none"
    return f"p50 {stats['p50']} / p95 {stats['p95']} / p99 {stats['p99']} ms (n={stats['n']})"


def _cold_import(f: dict[str, Any]) -> list[tuple[str, str]]:
    low, median, high = f["x_reference_min_median_max"]
    return [
        ("reference handler cold import", f"{f['reference_ms']} ms"),
        ("functions x reference (min / median / max)", f"{low} / {median} / {high}"),
    ]


def _order_meter(f: dict[str, Any]) -> list[tuple[str, str]]:
    invocations = f["lambda_invocations_per_order"]
    return [
        ("USD per 1,000 orders", f"{f['usd_per_1000_orders']}"),
        ("Step Functions transitions per order", "..".join(map(str, f["transitions"]))),
        ("PlaceOrder sequential AWS calls", str(f["place_order_sequential_calls"])),
        ("Lambda invocations per order (own path / all)", f"{invocations['own_path']} / {invocations['all']}"),
        ("end statuses", json.dumps(f["end_statuses"])),
    ]


def _idempotency_storm(f: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        ("answers", json.dumps(f["answers"])),
        *((f"latency, {label}", _latency(stats)) for label, stats in f["latency_ms"].items()),
    ]


def _webhook_storm(f: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [("webhook requests, throughput", f"{f['overall']['requests']}, {f['overall']['throughput_per_s']}/s")]
    for wave, w in f.items():
        if wave != "overall":
            rows.append((f"{wave}: requests/s", f"{w['throughput_per_s']} ({w['requests']} in {w['seconds']} s)"))
            rows.append((f"{wave}: latency, genuine", _latency(w["latency_ms"]["genuine"])))
            rows.append((f"{wave}: latency, refused", _latency(w["latency_ms"]["refused"])))
    return rows


def _generic(f: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for key, value in f.items():
        if isinstance(value, dict) and len(rows) < 40:
            rows += _generic(value, f"{prefix}{key}.")
        else:
            rows.append((f"{prefix}{key}", json.dumps(value) if not isinstance(value, str) else value))
    return rows[:40]


HEADLINES: dict[str, Callable[[dict[str, Any]], list[tuple[str, str]]]] = {
    "cold_import": _cold_import,
    "order_meter": _order_meter,
    "idempotency_storm": _idempotency_storm,
    "webhook_storm": _webhook_storm,
}


def headline(run_: Run) -> list[tuple[str, str]]:
    figures = run_.data.get("figures") or {}
    if not figures:
        return []
    try:
        return HEADLINES.get(run_.bench.name, _generic)(figures)
    except (KeyError, TypeError, ValueError):  # a bench changed its JSON: show it as it is
        return _generic(figures)


def markdown(runs: list[Run], quick: bool, argv: list[str], started: str, info: dict[str, str]) -> str:
    regenerate = shlex.join([PYTHON, "bench/report.py", *argv])
    lines = [
        "# Benchmarks",
        "",
        "Generated by `bench/report.py`; do not edit by hand. Regenerate with",
        "",
        f"    {regenerate}",
        "",
        "(`make bench` runs every bench at its report size, `make bench-quick` a smoke run at small sizes,",
        "`--only name,name` a subset). Each bench runs in its own process against a local cloud started",
        "in that process (moto, in-process Lambda dispatch, the local API gateway, the partner",
        "simulators), over HTTP; `report.py` adds `--json PATH` to each command below to collect the",
        "figures. Local-cloud latencies are not AWS latencies: they measure this code and moto on this",
        "machine, and are for comparing runs on the same machine. Method and caveats are in each",
        "bench's docstring.",
        "",
    ]
    if quick:
        lines += [
            "> **Quick mode (smoke run)**: small sizes, figures prove the benches run and are not for",
            "> comparison.",
            "",
        ]
    lines += [f"Run {started}.", "", "| machine | |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in info.items()]
    lines += ["", "## Summary", "", "| bench | result | time | command |", "|---|---|---|---|"]
    for r in runs:
        lines.append(f"| [{r.bench.name}](#{r.bench.name}) | {r.status} | {r.seconds:.0f} s | `{r.command}` |")
    for r in runs:
        lines += ["", f"## {r.bench.name}", "", f"{r.bench.what[0].upper()}{r.bench.what[1:]}.", ""]
        lines += [f"    {r.command}", ""]
        if r.status == "missing":
            lines += [f"Not run: `bench/{r.bench.name}.py` does not exist in this checkout.", ""]
            continue
        lines += [f"Result: **{r.status}** in {r.seconds:.0f} s.", ""]
        rows = headline(r)
        if rows:
            lines += ["| figure | value |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows), ""]
        failed = {name: c for name, c in (r.data.get("checks") or {}).items() if not c.get("ok")}
        checks = r.data.get("checks") or {}
        if checks:
            lines.append(f"Checks: {len(checks) - len(failed)} of {len(checks)} passed.")
            lines += [f"- FAILED {name}: {c.get('detail')}" for name, c in failed.items()]
            lines.append("")
        lines += ["Output:", "", "```", _without_metrics(r.output).rstrip(), "```"]
    return "\n".join(lines) + "\n"


def _without_metrics(output: str) -> str:
    """The bench's output less the CloudWatch EMF lines Powertools Metrics prints (one JSON object a
    line, ``{"_aws": ...}``): they are the handlers' metrics, not the bench's figures."""
    return "\n".join(line for line in output.splitlines() if not line.startswith('{"_aws"'))


def main() -> None:
    names = [b.name for b in BENCHES]
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help=f"comma-separated subset of: {', '.join(names)}")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"), help="where to write (BENCHMARKS.md)")
    args = parser.parse_args()
    chosen = names if not args.only else [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = sorted(set(chosen) - set(names))
    if unknown:
        parser.error(f"unknown bench {', '.join(unknown)}; one of {', '.join(names)}")
    info = machine()  # before the benches load the machine
    started = time.strftime("%Y-%m-%d %H:%M %z")
    runs = [run(bench, args.quick) for bench in BENCHES if bench.name in chosen]
    argv = [*(["--quick"] if args.quick else []), *(["--only", args.only] if args.only else [])]
    Path(args.output).write_text(markdown(runs, args.quick, argv, started, info))
    print(f"wrote {args.output}")
    raise SystemExit(0 if all(r.status in ("ok", "missing") for r in runs) else 1)


if __name__ == "__main__":
    main()

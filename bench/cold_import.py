"""Cold-import benchmark: for every function in the topology, a fresh interpreter imports the
handler module (which builds everything that runs at init) and reports the time; the same for a
bare reference handler (bench/reference_handler.py). Prints median ms and the ratio to reference.

Run: make bench   (or: .venv/bin/python bench/cold_import.py --runs 7)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

from common import write_json

from infra.model import function_env
from infra.topology import TOPOLOGY

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import time, importlib; t = time.perf_counter(); importlib.import_module({module!r}); "
    "print((time.perf_counter() - t) * 1000)"
)


def measure(module: str, env: dict[str, str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", PROBE.format(module=module)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        samples.append(float(out.stdout.strip()))
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON (bench/report.py)")
    args = parser.parse_args()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_"))}
    base |= {
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": str(ROOT / "bench"),
    }
    reference = measure("reference_handler", base, args.runs)
    print(f"{'function':34} {'cold import ms':>15} {'x reference':>12}")
    print(f"{'(reference handler)':34} {reference:15.1f} {1.0:12.2f}")
    functions: dict[str, dict[str, float]] = {}
    for fn in TOPOLOGY.functions:
        env = base | function_env(TOPOLOGY, fn, lambda kind, name: f"local-{kind}-{name}")
        ms = measure(fn.handler.rsplit(".", 1)[0], env, args.runs)
        print(f"{fn.name:34} {ms:15.1f} {ms / reference:12.2f}")
        functions[fn.name] = {"ms": round(ms, 1), "x_reference": round(ms / reference, 2)}
    print(f"\nmedian of {args.runs} fresh interpreters each; Python {sys.version.split()[0]}, {os.cpu_count()} cores")
    ratios = sorted(f["x_reference"] for f in functions.values())
    figures = {
        "reference_ms": round(reference, 1),
        "functions": functions,
        "x_reference_min_median_max": [ratios[0], statistics.median(ratios), ratios[-1]],
    }
    write_json(args.json, "cold_import", {"runs": args.runs}, figures)


if __name__ == "__main__":
    main()

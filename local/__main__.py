"""``python -m local``: the whole platform on this machine (moto + in-process Lambdas + local API
Gateway + admin SPA). Prints the URLs and credentials, then runs until Ctrl-C."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

SESSION_FILE = Path(".local") / "session.json"


def write_session(cloud: Any) -> Path:
    """URLs, pool/client ids and the seeded credentials, for scripts and the README's examples
    (readable by this user only; the passwords are new on every start)."""
    session = {
        "api_url": cloud.api_url,
        "aws_endpoint": cloud.moto_url,
        "region": cloud.region,
        "pools": cloud.pools,
        "clients": cloud.clients,
        "staff": {group: {"username": u, "password": p} for group, (u, p) in cloud.staff_credentials.items()},
        "customer": dict(zip(("username", "password"), cloud.customer_credentials or ("", ""), strict=True)),
    }
    SESSION_FILE.parent.mkdir(exist_ok=True)
    SESSION_FILE.touch(mode=0o600)
    SESSION_FILE.write_text(json.dumps(session, indent=2))
    return SESSION_FILE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--api-port", type=int, default=3000, help="local API Gateway port (default 3000)")
    parser.add_argument("--moto-port", type=int, default=4566, help="AWS endpoint (moto) port (default 4566)")
    parser.add_argument("--stage", default="local", help="stage in physical names (default local)")
    parser.add_argument("--no-seed", action="store_true", help="skip demo users and demo data")
    parser.add_argument(
        "--step-delay",
        type=float,
        default=2.0,
        help="seconds between the warehouse's and the carrier's steps (simulators, default 2)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("botocore").setLevel(logging.WARNING)
    if not args.verbose:  # metric (EMF) lines would bury the console; -v shows them
        os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    stop = threading.Event()

    serving = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()
        if not serving.is_set():  # still starting: abort start() (it cleans up after itself)
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    from local.cloud import LocalCloud

    started = time.monotonic()
    cloud = LocalCloud(
        stage=args.stage,
        host=args.host,
        moto_port=args.moto_port,
        api_port=args.api_port,
        seed=not args.no_seed,
        fulfilment_auto=True,  # every order plays through the warehouse and the carrier to delivered
        fulfilment_step_delay=args.step_delay,
    )
    try:
        cloud.start()
    except KeyboardInterrupt:
        print("Interrupted while starting; stopped.", flush=True)
        return 0
    except Exception:
        logging.getLogger("local").exception("the local cloud failed to start")
        return 1
    serving.set()
    if stop.is_set():
        cloud.stop()
        return 0
    print(cloud.banner(), flush=True)
    print(f"  Session (URLs, ids, credentials as JSON): {write_session(cloud)}", flush=True)
    if cloud.warehouse and cloud.carrier:
        print(
            f"  Simulators running: warehouse {cloud.warehouse.url}, carrier {cloud.carrier.name}"
            f" (auto: placed orders go on to delivered, {args.step_delay:g}s a step)",
            flush=True,
        )
    print(f"(ready in {time.monotonic() - started:.1f}s)", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        print("Stopping the local cloud...", flush=True)
        cloud.stop()
        print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

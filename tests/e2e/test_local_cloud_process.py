"""`python -m local` as a user runs it: a separate process that prints its URLs, serves the API
over HTTP and exits cleanly (code 0) on Ctrl-C (SIGINT)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_python_m_local_serves_and_stops_cleanly_on_ctrl_c() -> None:
    api_port, moto_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "MOTO_PORT"}
    process = subprocess.Popen(
        [sys.executable, "-m", "local", "--api-port", str(api_port), "--moto-port", str(moto_port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if "Press Ctrl-C" in line:
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert ready.wait(120), "".join(lines[-40:])
        output = "".join(lines)
        api = re.search(r"API:\s+(http://\S+)", output)
        moto = re.search(r"AWS \(moto\):\s+(http://\S+)", output)
        assert api and api.group(1) == f"http://127.0.0.1:{api_port}"
        assert moto and moto.group(1) == f"http://127.0.0.1:{moto_port}"
        assert "admin@staff.local" in output  # seeded staff credentials are printed

        health = requests.get(f"{api.group(1)}/health", timeout=10)
        assert health.status_code == 200, health.text
        products = requests.get(f"{api.group(1)}/products", timeout=10)
        assert products.status_code == 200, products.text

        process.send_signal(signal.SIGINT)
        started = time.monotonic()
        code = process.wait(timeout=15)
        assert code == 0, "".join(lines[-40:])
        assert time.monotonic() - started < 10
        reader.join(5)
        assert "Stopped." in "".join(lines)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

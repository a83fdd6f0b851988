"""`python app.py` as a separate process on loopback, for the benches that time the studio from outside
(bench/app_latency.py, bench/load.py) and for tests/studio/test_load.py: its own process, so its RSS is the
server's alone and the CLI's queue settings apply."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (from /proc: psutil is not a dependency)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_app(weights: Path, log: Path, timeout_s: float = 180, extra: tuple[str, ...] = ()
              ) -> tuple[subprocess.Popen, str]:
    """`python app.py` on 127.0.0.1 and a free port (plus `extra` flags), up and answering HTTP 200;
    -> (process, url). Its stdout and stderr go to `log`; if it exits or is not up within timeout_s,
    RuntimeError (with the log's tail when it exited)."""
    port = free_port()
    with open(log, "wb") as out:
        command = [sys.executable, str(ROOT / "app.py"), "--host", "127.0.0.1", "--port", str(port),
                   "--weights-dir", str(weights), *extra]
        proc = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    start = time.perf_counter()
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if urllib.request.urlopen(url, timeout=2).status == 200:
                return proc, url
        except OSError:
            time.sleep(0.05)  # fine-grained: bench/app_latency.py times the cold start with this loop
        if time.perf_counter() - start > timeout_s:
            proc.kill()
            raise RuntimeError(f"the app did not start within {timeout_s:.0f} s")

"""Running the simulator as a process of its own, for the tests and the benchmark: `start` returns once it
listens (its first line names the port it took), `stop` ends it."""

import re
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start(data_dir, *options):
    """`python -m wa_sim --port 0 --data DATA_DIR OPTIONS…` on a free port: (process, its URL)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "wa_sim", "--port", "0", "--data", str(data_dir), *map(str, options)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    line = proc.stdout.readline()
    match = re.search(r"http://[\d.]+:(\d+)", line)
    if not match:
        proc.kill()
        raise RuntimeError(f"the simulator did not start: {line}{proc.stdout.read()}")
    # Keep reading what it writes afterwards (a log line per request under load): a full pipe would stop it.
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    return proc, f"http://127.0.0.1:{match.group(1)}"


def stop(proc):
    proc.terminate()
    proc.wait(timeout=10)

"""GET load from wrk (Debian package `wrk`), a second process written in C.

A Python load generator costs about as much CPU per request as a small Django view, and on a 2-core
machine it steals that from the server it measures; wrk needs a fraction of one core for the same load.
The suite uses it for the GET phases when it is installed and falls back to Python threads otherwise.
"""

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def available():
    return shutil.which("wrk") is not None


def _ms(text):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * UNITS_MS[unit]


def parse(output):
    """The figures the suite needs from `wrk --latency` output."""
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = (int(non_2xx.group(1)) if non_2xx else 0) + (sum(map(int, socket.groups())) if socket else 0)
    return {"rps": round(rps, 1), "p99_ms": round(p99, 1), "requests": requests, "errors": errors, "tool": "wrk"}


def load(base, paths, seconds, connections=16):
    """GET `paths` in turn over `connections` keep-alive connections for `seconds`."""
    listed = ",".join(f'"{p}"' for p in paths)
    script = f"""
local paths = {{{listed}}}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
"""
    with tempfile.TemporaryDirectory() as tmp:
        lua = Path(tmp) / "paths.lua"
        lua.write_text(script)
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{int(seconds)}s", "--latency", "--timeout", "10s",
             "-s", str(lua), base],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    return parse(out.stdout)

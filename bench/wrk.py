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


def parse(output, expect_status=None):
    """The figures the suite needs from `wrk --latency` output. With `expect_status` (a 404 measured on
    purpose), wrk's count of non-2xx answers is not an error."""
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    unexpected = int(non_2xx.group(1)) if non_2xx and expect_status is None else 0
    errors = unexpected + (sum(map(int, socket.groups())) if socket else 0)
    return {"rps": round(rps, 1), "p99_ms": round(p99, 1), "requests": requests, "errors": errors, "tool": "wrk"}


CONNECTIONS = 16


def run(base, script, seconds, connections=CONNECTIONS, expect_status=None):
    """Run wrk with a Lua `script` against `base`; returns its parsed figures and the raw output."""
    with tempfile.TemporaryDirectory() as tmp:
        lua = Path(tmp) / "load.lua"
        lua.write_text(script)
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{int(seconds)}s", "--latency", "--timeout", "10s",
             "-s", str(lua), base],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    return parse(out.stdout, expect_status), out.stdout


def load(base, paths, seconds, connections=CONNECTIONS, expect_status=None):
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
    return run(base, script, seconds, connections, expect_status)[0]


# Intake: REST v1 JSON and Open311 form POSTs in turn, each with a unique marker in its text so the reports
# it filed can be counted afterwards; wrk counts the 2xx answers it received.
INTAKE_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) ok = 0 end
local i = 0
request = function()
  i = i + 1
  local marker = "%(marker)s-" .. i
  if %(rest_share)s and i %% 2 == 0 then
    local body = '{"service":"lampu-jalan","title":"Lampu jalan mati ' .. marker .. '",' ..
      '"body":"Tiga lampu PJU mati di Jl. Sultan Agung, gelap sekali kalau malam.","area":"15.71.01.1001"}'
    return wrk.format("POST", "/api/v1/reports",
      {["Content-Type"] = "application/json", ["X-API-Key"] = "%(key)s"}, body)
  end
  local body = "api_key=%(key)s&service_code=sampah&lat=-1.6101&long=103.6131&description=" ..
    "Sampah+menumpuk+di+TPS+dekat+pasar+" .. marker .. "+sudah+tiga+hari+tidak+diangkut."
  return wrk.format("POST", "/open311/v2/requests.json",
    {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
function response(status, headers, body)
  if status == 200 or status == 201 then ok = ok + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("ok") end
  io.write("ACCEPTED " .. total .. "\\n")
end
"""


def intake(base, api_key, marker, seconds, connections=CONNECTIONS, open311_only=False):
    """Intake load; `accepted` is the number of 2xx answers (reports the server said it filed)."""
    script = INTAKE_SCRIPT % {"marker": marker, "key": api_key, "rest_share": "false" if open311_only else "true"}
    figures, output = run(base, script, seconds, connections)
    figures["accepted"] = int(re.search(r"ACCEPTED (\d+)", output).group(1))
    return figures

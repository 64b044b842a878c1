"""Where a request's time goes in the stack itself (issue #31): each middleware's cost, and the cheap
calls partner apps make, measured in one process with no network and no load generator.

    .venv/bin/python -m bench.floor [--requests 3000] [--runs 3] [--json FILE]

For each path, N requests go through Django's WSGI handler as gunicorn would call it; the figure is CPU
time per request (process time, so other work on the machine does not count), the median of R runs.
Each middleware's cost is the difference with it left out, on the same path.
"""

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time

PATHS = {
    "not_found_api": "/api/v1/tidak-ada",
    "not_found_open311": "/open311/v2/tidak-ada.json",
    "open311_services": "/open311/v2/services.json",
    "open311_request": "/open311/v2/requests/{number}.json",
    "healthz": "/healthz",
}


def GROUPS(middleware):
    """Each middleware alone, but the session, the log-in and the flash messages together: the last two
    need the first."""
    together = [
        m for m in middleware if m.endswith(("SessionMiddleware", "AuthenticationMiddleware", "MessageMiddleware"))
    ]
    return [together] + [[m] for m in middleware if m not in together]


def environ(path):
    path, _, query = path.partition("?")
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1:8000",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def per_request_us(handler, path, n):
    def start_response(status, headers, exc_info=None):
        return None

    for _ in range(50):  # warm: caches, compiled templates, prepared statements
        b"".join(handler(environ(path), start_response))
    started = time.process_time()
    for _ in range(n):
        b"".join(handler(environ(path), start_response))
    return (time.process_time() - started) / n * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json")
    args = parser.parse_args()
    os.environ.setdefault("SIKESAL_DATA_DIR", tempfile.mkdtemp(prefix="sikesal-floor-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sikesal.settings")
    os.environ.setdefault("SIKESAL_RATE_TRACK_PER_IP", "1000000000")
    import django

    django.setup()
    import logging

    logging.disable(logging.CRITICAL)  # a 404 is logged as a warning: not what is measured
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from sikesal.catalogue.seed import load_catalogue
    from sikesal.complaints import submission
    from sikesal.complaints.policy import Actor

    load_catalogue()
    data = {"service": "jalan-rusak", "area": "15.71.08.1004", "title": "Jalan berlubang di Jl. Kapten Pattimura",
            "body": "Lubang besar di tengah jalan, sudah dua minggu, motor sering jatuh kalau hujan."}  # fmt: skip
    number = submission.submit(Actor.system("bench"), data).complaint.tracking_number
    settings.ALLOWED_HOSTS = ["*"]
    paths = {name: p.format(number=number) for name, p in PATHS.items()}
    full = list(settings.MIDDLEWARE)

    def measure(middleware, path):
        settings.MIDDLEWARE = middleware
        handler = WSGIHandler()
        return statistics.median(per_request_us(handler, path, args.requests) for _ in range(args.runs))

    result = {"machine": f"{os.cpu_count()} cores", "requests": args.requests, "runs": args.runs, "paths": {}}
    for name, path in paths.items():
        whole = measure(full, path)
        costs = {
            " + ".join(x.rsplit(".", 1)[-1] for x in group): round(
                whole - measure([x for x in full if x not in group], path), 1
            )
            for group in GROUPS(full)
        }
        none = measure([], path)
        result["paths"][name] = {"path": path, "us_per_request": round(whole, 1),
                                 "us_without_middleware": round(none, 1), "middleware_us": costs}  # fmt: skip
        print(f"{name} {path}: {whole:.0f} µs/request, {none:.0f} µs with no middleware", file=sys.stderr)
        for m, cost in costs.items():
            print(f"    {m:40s} {cost:7.1f} µs", file=sys.stderr)
    settings.MIDDLEWARE = full
    text = json.dumps(result, indent=2)
    if args.json:
        with open(args.json, "w") as fh:
            fh.write(text)
    print(text)


if __name__ == "__main__":
    main()

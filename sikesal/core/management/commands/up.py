"""Run the whole system in the foreground: web server, worker and (when present) the LAPOR! simulator.

Honours SIKESAL_PORT, SIKESAL_DATA_DIR and DATABASE_URL. Ctrl-C (or SIGTERM) stops every process;
if one process dies, the others are stopped too, so a half-running system never looks healthy.
"""

import importlib.util
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from sikesal.env import env_bool, env_int, env_str


def _die_with_parent():
    """Children get SIGTERM if `up` itself is killed, so no orphan keeps the port (Linux only)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Command(BaseCommand):
    help = "Run SIKESAL (web, worker, LAPOR! simulator) in the foreground."

    def add_arguments(self, parser):
        parser.add_argument("--web-workers", type=int, default=env_int("SIKESAL_WEB_WORKERS", 2))

    def handle(self, *args, web_workers, **options):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable")
        call_command("collectstatic", interactive=False, verbosity=0)
        port = env_int("SIKESAL_PORT", 8000)
        bind = env_str("SIKESAL_BIND", "127.0.0.1")
        env = dict(os.environ)
        python = sys.executable
        manage = str(settings.BASE_DIR / "manage.py")
        procs = {}

        if (
            env_bool("SIKESAL_LAPOR_SIM", True)
            and not env.get("LAPOR_BASE_URL")
            and importlib.util.find_spec("lapor_sim")
        ):
            sim_port = env_int("LAPOR_SIM_PORT", 8765)
            env.setdefault("LAPOR_AUTH_SECRET", "sim-secret")
            env.setdefault("LAPOR_TOKEN", "sim-token")
            env["LAPOR_BASE_URL"] = f"http://127.0.0.1:{sim_port}"
            sim_dir = settings.DATA_DIR / "lapor_sim"
            procs["lapor-sim"] = [
                python,
                "-m",
                "lapor_sim",
                "--port",
                str(sim_port),
                "--data",
                str(sim_dir),
                # a lively demo: citizens file on lapor.go.id now and then, and react to answers
                "--citizen-rate",
                "0.5",
                "--citizen-close-share",
                "0.4",
                "--citizen-dispute-share",
                "0.1",
                "--auto-close-after",
                "900",
            ]

        procs["web"] = [
            python, "-m", "gunicorn", "sikesal.wsgi:application",
            "--bind", f"{bind}:{port}", "--workers", str(web_workers),
            "--access-logfile", str(settings.DATA_DIR / "logs" / "access.log"),
            "--logger-class", "sikesal.core.gunicorn_logger.Logger",  # private-link secrets masked
            "--graceful-timeout", "10", "--no-control-socket",
        ]  # fmt: skip
        procs["worker"] = [python, manage, "worker"]

        running = {}
        stopping = False

        def stop(signum=None, frame=None):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        for name, cmd in procs.items():
            running[name] = subprocess.Popen(
                cmd, env=env, cwd=settings.BASE_DIR, start_new_session=True, preexec_fn=_die_with_parent
            )
        self.stdout.write(f"SIKESAL berjalan di http://{bind}:{port}/  (Ctrl-C untuk berhenti)")
        if "lapor-sim" in running:
            self.stdout.write(f"Simulator SP4N-LAPOR! di {env['LAPOR_BASE_URL']}")
        exit_code = 0
        while not stopping:
            for name, proc in running.items():
                if proc.poll() is not None:
                    self.stderr.write(f"{name} stopped (exit {proc.returncode}); stopping everything")
                    exit_code = 1
                    stopping = True
            time.sleep(0.3)
        for proc in running.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in running.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
        self.stdout.write("SIKESAL berhenti.")
        sys.exit(exit_code)

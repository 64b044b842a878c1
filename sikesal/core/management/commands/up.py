"""Run the whole system in the foreground: web server, worker and (when present) the LAPOR! and
WhatsApp simulators.

Honours SIKESAL_PORT, SIKESAL_DATA_DIR and DATABASE_URL; a simulator is left out when its switch
(SIKESAL_LAPOR_SIM, SIKESAL_WA_SIM) is off or SIKESAL is pointed at the real service. Ctrl-C (or SIGTERM) stops every process.
A process that dies on its own is started again, alone, after a pause that doubles with each quick
crash (1 s, 2 s, 4 s ... at most 60 s); the others keep running. The pause starts again from 1 s once the
process is healthy: the worker when its heartbeat shows it running (core/workers.py), the others after a
minute.
"""

import datetime as dt
import importlib.util
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone

from sikesal.core import workers
from sikesal.env import env_bool, env_int, env_str

FIRST_RESTART_DELAY = 1  # seconds; doubled after each crash...
MAX_RESTART_DELAY = 60  # ...up to this, so a child that cannot start does not spin
STEADY_SECONDS = 60  # a child that ran this long before dying starts again after FIRST_RESTART_DELAY
HEALTH_POLL_SECONDS = 1.0  # how often a restarted worker's heartbeat is looked for


def _die_with_parent():
    """Children get SIGTERM if `up` itself is killed, so no orphan keeps the port (Linux only)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Command(BaseCommand):
    help = "Run SIKESAL (web, worker, LAPOR! and WhatsApp simulators) in the foreground."

    def add_arguments(self, parser):
        parser.add_argument("--web-workers", type=int, default=env_int("SIKESAL_WEB_WORKERS", 2))
        # More than one when a burst (a WhatsApp campaign, a backlog after an outage) must drain faster than one
        # process can: tasks, side effects and periodic jobs are claimed in the database, so they share safely.
        parser.add_argument("--task-workers", type=int, default=env_int("SIKESAL_TASK_WORKERS", 1))

    def _warn_if_alarms_reach_nobody(self):
        """The sync's alarms (an SP4N-LAPOR! outage among them) and the deadline ladder mail the admin
        koordinators: without an address among them they reach nobody, silently."""
        from sikesal.complaints import policy

        if not policy.admins_to_alert().exclude(email="").exists():
            self.stderr.write(
                "PERINGATAN: tidak ada admin koordinator aktif dengan alamat e-mail: peringatan sinkronisasi "
                "SP4N-LAPOR! dan tenggat tidak terkirim ke siapa pun. Isi e-mail admin di /admin/."
            )

    def handle(self, *args, web_workers, task_workers, **options):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable")
        call_command("collectstatic", interactive=False, verbosity=0)
        self._warn_if_alarms_reach_nobody()
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
            # SIKESAL sends the secret exactly as stored, scheme included (docs/lapor.md)
            env.setdefault("LAPOR_AUTH_SECRET", "Bearer sim-secret")
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
                "--auth-secret",
                "sim-secret",
                "--token",
                env["LAPOR_TOKEN"],
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

        if (
            env_bool("SIKESAL_WA_SIM", True)
            and not env.get("SIKESAL_WHATSAPP_API_URL")
            and importlib.util.find_spec("wa_sim")
        ):
            wa_port = env_int("WA_SIM_PORT", 8766)
            env["SIKESAL_WHATSAPP_API_URL"] = f"http://127.0.0.1:{wa_port}"
            # Credentials: the simulator reads the same SIKESAL_WHATSAPP_* variables (or the same demo defaults).
            procs["wa-sim"] = [
                python,
                "-m",
                "wa_sim",
                "--port",
                str(wa_port),
                "--data",
                str(settings.DATA_DIR / "wa_sim"),
                "--webhook",
                f"http://127.0.0.1:{port}/webhooks/whatsapp/",
            ]

        procs["web"] = [
            python, "-m", "gunicorn", "sikesal.wsgi:application",
            "--bind", f"{bind}:{port}", "--workers", str(web_workers),
            "--access-logfile", str(settings.DATA_DIR / "logs" / "access.log"),
            "--logger-class", "sikesal.core.gunicorn_logger.Logger",  # private-link secrets masked
            "--graceful-timeout", "10", "--no-control-socket",
        ]  # fmt: skip
        for n in range(1, max(1, task_workers) + 1):
            procs["worker" if n == 1 else f"worker-{n}"] = [python, manage, "worker"]

        running = {}  # name -> Popen; a dead child stays here until it is started again
        started = {}  # name -> time.monotonic() of the last start
        started_at = {}  # name -> the wall-clock time of the last start (heartbeats are stored in it)
        restart_at = {}  # name -> when a dead child is started again
        delay = dict.fromkeys(procs, FIRST_RESTART_DELAY)
        health_checked = 0.0
        stopping = False

        def healthy(name, proc, now):
            """A child that came up well: a new death of it is a new fault, not a crash loop."""
            if not name.startswith("worker"):
                return now - started[name] >= STEADY_SECONDS
            try:
                return workers.beating(proc.pid, started_at[name])
            except Exception:  # the database may be what keeps it from starting; the minute rule stays
                return False
            finally:
                close_old_connections()

        def stop(signum=None, frame=None):
            nonlocal stopping
            stopping = True

        def start(name):
            running[name] = subprocess.Popen(
                procs[name], env=env, cwd=settings.BASE_DIR, start_new_session=True, preexec_fn=_die_with_parent
            )
            started[name] = time.monotonic()
            started_at[name] = timezone.now() - dt.timedelta(seconds=1)  # the child's clock may lead by a tick

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        for name in procs:
            start(name)
        self.stdout.write(f"SIKESAL berjalan di http://{bind}:{port}/  (Ctrl-C untuk berhenti)")
        if "lapor-sim" in running:
            self.stdout.write(f"Simulator SP4N-LAPOR! di {env['LAPOR_BASE_URL']}")
        if "wa-sim" in running:
            self.stdout.write(f"Simulator WhatsApp di {env['SIKESAL_WHATSAPP_API_URL']}")
        # One supervisor loop: a dead child is restarted alone (a killed worker must not take the web
        # server down with it). The short sleep keeps Ctrl-C prompt, also while a restart is pending.
        while not stopping:
            now = time.monotonic()
            check_health = now - health_checked >= HEALTH_POLL_SECONDS
            if check_health:
                health_checked = now
            for name, proc in list(running.items()):
                if name in restart_at:
                    if now >= restart_at[name]:
                        del restart_at[name]
                        start(name)
                elif proc.poll() is not None:
                    if now - started[name] >= STEADY_SECONDS:
                        delay[name] = FIRST_RESTART_DELAY  # it had been fine: a new fault, not a crash loop
                    self.stderr.write(
                        f"{name} berhenti (exit {proc.returncode}); dijalankan ulang dalam {delay[name]} detik"
                    )
                    restart_at[name] = now + delay[name]
                    delay[name] = min(2 * delay[name], MAX_RESTART_DELAY)
                elif delay[name] > FIRST_RESTART_DELAY and check_health and healthy(name, proc, now):
                    delay[name] = FIRST_RESTART_DELAY  # it came up well: a new fault later is not a crash loop
            time.sleep(0.3)
        # A child waiting for its restart has already exited: poll() skips it and wait() returns at once.
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

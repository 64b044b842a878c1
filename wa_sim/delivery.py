"""Webhook delivery as the platform does it: at least once, not necessarily in order, retried with
growing pauses while the receiver answers anything but 2xx.

Every webhook copy is a job in one heap ordered by when it is due (then by a serial number, which
an out-of-order burst shuffles); `workers` threads take due jobs and POST them. Each job is signed at
the moment it goes out, with the app secret or, for a forged one, with a wrong key.
"""

from __future__ import annotations

import heapq
import http.client
import itertools
import logging
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

from .payloads import dumps, signature

log = logging.getLogger("wa_sim")
FORGED_KEY = "not-the-app-secret"  # noqa: S105 - what a forger signs with


@dataclass
class Job:
    id: int
    kind: str  # "message" or "status"
    payload: dict
    wamids: list[str]
    copy: int  # 0 = the original, 1.. = re-deliveries
    forged: bool
    attempts: int  # how many tries before giving up
    retry_base: float
    attempt: int = 0
    last_status: int | None = None
    done: threading.Event = field(default_factory=threading.Event)
    on_first_attempt: object = None  # called once, when the job first goes out

    def result(self) -> dict:
        return {
            "kind": self.kind,
            "copy": self.copy,
            "attempts": self.attempt,
            "status": self.last_status,
            "forged": self.forged,
        }


class Deliverer:
    def __init__(self, sim) -> None:
        self.sim = sim
        self._heap: list[tuple[float, int, Job]] = []
        self._cond = threading.Condition()
        self._serial = itertools.count(1)
        self._job_ids = itertools.count(1)
        self._in_flight = 0
        self._stop = False
        self._generation = 0  # bumped by reset: jobs of an older generation are dropped
        self._clock_watcher = None  # the thread waiting for the next job to fall due (_work)

    def start(self, workers: int) -> None:
        for n in range(workers):
            threading.Thread(target=self._work, name=f"deliver-{n}", daemon=True).start()

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()

    def reset(self) -> None:
        with self._cond:
            for _, _, job in self._heap:
                job.done.set()
            self._heap.clear()
            self._generation += 1

    def new_job(self, kind, payload, wamids, copy, options, on_first_attempt=None) -> Job:
        return Job(
            id=next(self._job_ids),
            kind=kind,
            payload=payload,
            wamids=wamids,
            copy=copy,
            forged=options.forged,
            attempts=options.retry_attempts,
            retry_base=options.retry_base,
            on_first_attempt=on_first_attempt,
        )

    def enqueue(self, jobs: list[tuple[float, Job]]) -> None:
        """`jobs`: (seconds from now, job), in the order they should go out when due at once."""
        now = time.monotonic()
        with self._cond:
            for delay, job in jobs:
                heapq.heappush(self._heap, (now + delay, next(self._serial), job))
            self._cond.notify_all()

    def pending(self) -> int:
        with self._cond:
            return len(self._heap) + self._in_flight

    def wait_idle(self, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while self.pending():
            if time.monotonic() >= end:
                return False
            time.sleep(0.02)
        return True

    def _work(self) -> None:
        me = threading.get_ident()
        while True:
            with self._cond:
                while not self._stop and (not self._heap or self._heap[0][0] > time.monotonic()):
                    # One thread watches the clock for the next job; the others sleep until woken. All
                    # waiting with the same timeout woke every thread for every paced message (a burst at
                    # 300 a second: 16 threads 300 times a second, a third of the simulator's CPU).
                    if self._clock_watcher in (None, me):
                        self._clock_watcher = me
                        self._cond.wait(timeout=self._heap[0][0] - time.monotonic() if self._heap else None)
                    else:
                        self._cond.wait()
                if self._clock_watcher == me:
                    self._clock_watcher = None
                if self._stop:
                    return
                _, _, job = heapq.heappop(self._heap)
                self._in_flight += 1
                generation = self._generation
                self._cond.notify()  # another thread takes the next job, or the clock
            try:
                retry_in = self._attempt(job)
            except Exception:  # a bug must not stop deliveries; the job is given up and logged
                log.exception("delivery of job %s failed", job.id)
                retry_in = None
            with self._cond:
                self._in_flight -= 1
                if retry_in is not None and generation == self._generation and not self._stop:
                    heapq.heappush(self._heap, (time.monotonic() + retry_in, next(self._serial), job))
                    self._cond.notify_all()
                else:
                    job.done.set()

    def _attempt(self, job: Job) -> float | None:
        """POST the job once; the pause before the next try, or None when it is done."""
        if job.attempt == 0 and job.on_first_attempt is not None:
            job.on_first_attempt()
        job.attempt += 1
        config = self.sim.config
        body = dumps(job.payload)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "facebookexternalua",
            "X-Hub-Signature-256": signature(FORGED_KEY if job.forged else config.app_secret, body),
        }
        status, error = post(config.webhook, body, headers, config.webhook_timeout)
        job.last_status = status
        self.sim.store.add_delivery(job.id, job.kind, job.wamids, job.copy, job.attempt, status, error, job.forged)
        if status is not None and 200 <= status < 300:
            return None
        if job.attempt >= job.attempts:
            log.warning("gave up on webhook job %s after %s attempts (last: %s)", job.id, job.attempt, status or error)
            return None
        return job.retry_base * 2 ** (job.attempt - 1)


STALE = (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected)
_connections = threading.local()  # each delivering thread's connection to the webhook, kept between posts


def post(url: str, body: bytes, headers: dict, timeout: float) -> tuple[int | None, str | None]:
    """POST once on this thread's connection (http.client: urllib's opener cost the simulator a third of
    its CPU per webhook in the benchmark, bench/whatsapp.py). A receiver that closes after each answer (a
    sync gunicorn) gets a new connection next time; one that keeps it open keeps it."""
    parts = urllib.parse.urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    for fresh in (False, True):
        conn, reused = _connection(parts, timeout, fresh)
        try:
            conn.request("POST", path, body, headers)
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            if reused and isinstance(exc, STALE):  # closed by the receiver while idle: again on a new one
                continue
            return None, str(exc) or type(exc).__name__  # not delivered, as the platform counts it
        if response.will_close:
            conn.close()
        return response.status, None
    return None, "connection closed"


def _connection(parts, timeout, fresh):
    """This thread's connection to the webhook's host and whether it served a request before."""
    key = (parts.scheme, parts.netloc, timeout)
    conn = getattr(_connections, "conn", None)
    if conn is not None and (fresh or _connections.key != key):
        conn.close()
        conn = None
    if conn is None:
        kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        conn = _connections.conn = kind(parts.netloc, timeout=timeout)
        _connections.key = key
        return conn, False
    return conn, conn.sock is not None

"""Fault injection: what goes wrong with a request, decided reproducibly from the seed.

Each API request (never `/__sim/*`) gets the next sequence number `n` and its own
`random.Random(f"{seed}:{n}")`, so the same seed and the same sequence of requests give the same
faults. The sequence restarts at 0 whenever the fault settings change.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field, fields

RATE_FIELDS = (
    "error_rate",
    "timeout_rate",
    "slow_rate",
    "rate_limit_rate",
    "drop_rate",
    "commit_500_rate",
    "duplicate_rate",
    "corrupt_rate",
)
SECONDS_FIELDS = ("timeout_seconds", "slow_seconds", "retry_after")
# These outcomes exclude each other; their rates must add up to at most 1.
EXCLUSIVE = ("drop_rate", "timeout_rate", "rate_limit_rate", "error_rate")
MAX_SECONDS = 600.0


@dataclass
class FaultConfig:
    error_rate: float = 0.0  # share answered 500/502/503/504 without doing anything
    timeout_rate: float = 0.0  # share that hang `timeout_seconds`, then drop the connection
    timeout_seconds: float = 10.0
    slow_rate: float = 0.0  # share delayed by `slow_seconds`, then served normally
    slow_seconds: float = 2.0
    rate_limit_rate: float = 0.0  # share answered 429 with `Retry-After: retry_after`
    retry_after: float = 2.0
    drop_rate: float = 0.0  # share whose connection is closed without an answer
    commit_500_rate: float = 0.0  # share of successful writes (POST) that answer 500 anyway
    duplicate_rate: float = 0.0  # share of list pages that deliver some items twice
    corrupt_rate: float = 0.0  # share of list items replaced by a malformed copy
    paths: list[str] = field(default_factory=list)  # path prefixes faults apply to; [] = all
    seed: int = 0

    def as_json(self) -> dict:
        return asdict(self)

    def updated(self, changes: dict) -> FaultConfig:
        """A validated copy with `changes` applied; raises ValueError on bad input."""
        if not isinstance(changes, dict):
            raise ValueError("body must be a JSON object")
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known - {"clear"})
        if unknown:
            raise ValueError(f"unknown fault option(s): {', '.join(unknown)}")
        base = FaultConfig(seed=self.seed) if changes.get("clear") else self
        data = asdict(base)
        for key, value in changes.items():
            if key == "clear":
                if not isinstance(value, bool):
                    raise ValueError("clear must be true or false")
                continue
            data[key] = value
        return FaultConfig.validated(data)

    @staticmethod
    def validated(data: dict) -> FaultConfig:
        out = {}
        for name in RATE_FIELDS:
            value = data.get(name, 0.0)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{name} must be a number between 0 and 1")
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
            out[name] = float(value)
        for name in SECONDS_FIELDS:
            value = data.get(name, getattr(FaultConfig, name))
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{name} must be a number of seconds")
            if not 0.0 <= float(value) <= MAX_SECONDS:
                raise ValueError(f"{name} must be between 0 and {MAX_SECONDS:g}")
            out[name] = float(value)
        if sum(out[name] for name in EXCLUSIVE) > 1.0 + 1e-9:
            raise ValueError(f"{' + '.join(EXCLUSIVE)} must not exceed 1")
        paths = data.get("paths", [])
        if not isinstance(paths, list) or not all(isinstance(p, str) and p.startswith("/") for p in paths):
            raise ValueError('paths must be a list of path prefixes such as "/complaints"')
        seed = data.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError("seed must be an integer")
        return FaultConfig(**out, paths=list(paths), seed=seed)


@dataclass
class Decision:
    """The faults drawn for one request."""

    rng: random.Random
    kind: str | None = None  # drop, timeout, rate_limit, error, or None
    error_status: int = 500
    slow: bool = False
    commit_500: bool = False
    duplicate: bool = False


class FaultInjector:
    def __init__(self, config: FaultConfig) -> None:
        self._lock = threading.Lock()
        self._config = config
        self._sequence = 0
        self.injected: dict[str, int] = {}

    @property
    def config(self) -> FaultConfig:
        with self._lock:
            return self._config

    def configure(self, config: FaultConfig) -> None:
        with self._lock:
            self._config = config
            self._sequence = 0

    def count(self, kind: str) -> None:
        with self._lock:
            self.injected[kind] = self.injected.get(kind, 0) + 1

    def decide(self, path: str) -> Decision:
        with self._lock:
            config = self._config
            n = self._sequence
            self._sequence += 1
        rng = random.Random(f"{config.seed}:{n}")
        # Always draw the same number of values, so one setting does not shift the others.
        u_kind, u_slow, u_commit, u_dup, u_status = (rng.random() for _ in range(5))
        decision = Decision(rng=rng)
        if config.paths and not any(path.startswith(p) for p in config.paths):
            return decision
        threshold = 0.0
        for name, kind in (
            ("drop_rate", "drop"),
            ("timeout_rate", "timeout"),
            ("rate_limit_rate", "rate_limit"),
            ("error_rate", "error"),
        ):
            threshold += getattr(config, name)
            if u_kind < threshold:
                decision.kind = kind
                break
        decision.error_status = (500, 502, 503, 504)[int(u_status * 4) % 4]
        decision.slow = u_slow < config.slow_rate
        decision.commit_500 = u_commit < config.commit_500_rate
        decision.duplicate = u_dup < config.duplicate_rate
        return decision

    def state(self) -> dict:
        with self._lock:
            return {
                "config": self._config.as_json(),
                "sequence": self._sequence,
                "injected": dict(sorted(self.injected.items())),
            }


def duplicate_items(items: list, previous_tail: dict | None, rng: random.Random) -> list:
    """Deliver some items twice: repeat one item inside the page and, when known, the item
    that ended the previous page (as a paginating API does when rows shift under it)."""
    if not items:
        return items
    out = list(items)
    pick = out[rng.randrange(len(out))]
    out.insert(rng.randrange(len(out) + 1), dict(pick))
    if previous_tail is not None:
        out.insert(0, dict(previous_tail))
    return out


CORRUPTIONS = ("missing_field", "unknown_status", "wrong_types", "html_content", "null_reporter")


def corrupt_item(item: dict, rng: random.Random) -> dict:
    """A malformed copy of a list item, as an unexpected upstream payload would look.
    Only the delivered copy is malformed; the stored complaint stays intact."""
    bad = dict(item)
    kind = rng.choice(CORRUPTIONS)
    if kind == "missing_field":
        bad.pop(rng.choice(["status_code", "title", "updated_at", "tracking_id"]), None)
    elif kind == "unknown_status":
        bad["status_code"] = 999
        bad["status_name"] = "Status Tidak Dikenal"
    elif kind == "wrong_types":
        bad["tracking_id"] = f"TRK-{bad.get('tracking_id')}"
        bad["is_anonymous"] = "ya"
        bad["created_at"] = 12345
    elif kind == "html_content":
        bad["content"] = '<script>alert("x")</script><b>' + str(bad.get("content", "")) + '</b><img src=x onerror="1">'
    else:
        bad["reporter"] = None
    return bad

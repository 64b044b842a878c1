"""Simulator settings: command line, environment defaults, and run-time changes.

By default the simulator behaves like the real SP4N-LAPOR! as seen by its only public client
(docs/lapor.md, "Evidence: what the public client relies on"): no idempotency, the secret
expected as exactly `Authorization: Bearer <secret>`, a `token` header. Kinder behaviour is opt-in
(`--idempotency`), and the endpoints with no public evidence can be switched off (`--without`).
"""

from __future__ import annotations

import argparse
import os
from dataclasses import asdict, dataclass, field, fields

from .faults import FaultConfig
from .masters import DEFAULT_CITY_ID, INSTITUTIONS

# Endpoints not seen in the public client; `--without` / `POST /__sim/endpoints` make them answer 404.
OPTIONAL_ENDPOINTS = ("list", "disposition", "categories")


def parse_endpoints(names) -> frozenset[str]:
    """`"list,categories"` or `["list", "categories"]` -> a validated set of optional endpoint names."""
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    if not isinstance(names, (list, tuple, set, frozenset)) or not all(isinstance(n, str) for n in names):
        raise ValueError("disabled must be a list of endpoint names")
    unknown = sorted(set(names) - set(OPTIONAL_ENDPOINTS))
    if unknown:
        raise ValueError(f"unknown endpoint(s): {', '.join(unknown)} (known: {', '.join(OPTIONAL_ENDPOINTS)})")
    return frozenset(names)


@dataclass
class Behaviour:
    """How the simulated world acts; can be changed at run time through `POST /__sim/config`."""

    admin_delay: float = 5.0  # seconds before the national admin verifies/dispositions a report
    institution_delay: float = 20.0  # seconds before another institution answers a report
    citizen_rate: float = 0.0  # reports per minute filed by citizens on lapor.go.id to the city
    citizen_response_delay: float = 30.0  # seconds before a reporter reacts to an answer
    citizen_close_share: float = 0.0  # share of answered reports the reporter closes with thanks
    citizen_dispute_share: float = 0.0  # share of answered reports the reporter disputes
    auto_close_after: float = 0.0  # seconds of silence after an answer before the system closes; 0=off
    admin_pending_share: float = 0.0  # share of new reports the admin holds for missing information
    admin_archive_share: float = 0.0  # share of new reports the admin archives

    SHARES = (
        "citizen_close_share",
        "citizen_dispute_share",
        "admin_pending_share",
        "admin_archive_share",
    )

    def as_json(self) -> dict:
        return asdict(self)

    def updated(self, changes: dict) -> Behaviour:
        if not isinstance(changes, dict):
            raise ValueError("body must be a JSON object")
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown option(s): {', '.join(unknown)}")
        data = {**asdict(self), **changes}
        for name, value in data.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{name} must be a number")
            if value < 0:
                raise ValueError(f"{name} must not be negative")
            if name in self.SHARES and value > 1:
                raise ValueError(f"{name} must be between 0 and 1")
            data[name] = float(value)
        if data["citizen_close_share"] + data["citizen_dispute_share"] > 1:
            raise ValueError("citizen_close_share + citizen_dispute_share must not exceed 1")
        if data["admin_pending_share"] + data["admin_archive_share"] > 1:
            raise ValueError("admin_pending_share + admin_archive_share must not exceed 1")
        return Behaviour(**data)


@dataclass
class SimConfig:
    data_dir: str
    host: str = "127.0.0.1"
    port: int = 8765
    auth_secret: str = "sim-secret"  # noqa: S105 - the simulator's documented test credential
    token: str = "sim-token"  # noqa: S105 - the simulator's documented test credential
    seed: int = 0
    city_institution_id: int = DEFAULT_CITY_ID
    tick_interval: float = 0.2
    max_body_mb: float = 25.0
    max_upload_mb: float = 10.0
    idempotency: bool = False  # the real service shows no sign of honouring an Idempotency-Key
    auth_header: str = "Authorization"
    auth_value: str | None = None  # the exact expected value; None = "Bearer <auth_secret>"
    require_token: bool = True
    disabled_endpoints: frozenset[str] = frozenset()
    omit_fields: frozenset[str] = frozenset()  # complaint fields left out of detail and list (/__sim/shape)
    log_requests: bool = False
    behaviour: Behaviour = field(default_factory=Behaviour)
    faults: FaultConfig = field(default_factory=FaultConfig)

    def public_json(self) -> dict:
        """Settings safe to show in `/__sim/state` (no credentials)."""
        return {
            "host": self.host,
            "port": self.port,
            "data_dir": self.data_dir,
            "seed": self.seed,
            "city_institution_id": self.city_institution_id,
            "tick_interval": self.tick_interval,
            "max_body_mb": self.max_body_mb,
            "max_upload_mb": self.max_upload_mb,
            "idempotency": self.idempotency,
            "auth_header": self.auth_header,
            "token_required": self.require_token,
            "disabled_endpoints": sorted(self.disabled_endpoints),
            "omit_fields": sorted(self.omit_fields),
        }

    @property
    def expected_auth(self) -> str:
        return self.auth_value if self.auth_value is not None else f"Bearer {self.auth_secret}"

    def mode(self) -> str:
        """One line for the start-up message."""
        without = ",".join(sorted(self.disabled_endpoints)) or "none"
        return (
            f"idempotency={'on' if self.idempotency else 'off'}, auth header {self.auth_header},"
            f" token {'required' if self.require_token else 'not required'}, without={without}"
        )


def _non_negative(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _share(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m lapor_sim",
        description="A stand-alone SP4N-LAPOR! simulator for tests and demos.",
    )
    p.add_argument("--data", required=True, metavar="DIR", help="directory for the SQLite store")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765, help="0 picks a free port (printed on start)")
    p.add_argument(
        "--auth-secret",
        default=os.environ.get("LAPOR_AUTH_SECRET") or "sim-secret",
        help="expected as `Bearer <secret>` in the auth header (env LAPOR_AUTH_SECRET)",
    )
    p.add_argument(
        "--auth-header",
        default="Authorization",
        metavar="NAME",
        help="header that carries the secret (default Authorization)",
    )
    p.add_argument(
        "--auth-value",
        default=os.environ.get("LAPOR_AUTH_VALUE") or None,
        metavar="VALUE",
        help="the exact expected value of the auth header (default `Bearer <secret>`; env LAPOR_AUTH_VALUE)",
    )
    p.add_argument(
        "--token",
        default=os.environ.get("LAPOR_TOKEN") or "sim-token",
        help="expected in the `token` header (env LAPOR_TOKEN)",
    )
    p.add_argument("--no-token", dest="require_token", action="store_false", help="do not require a `token` header")
    p.add_argument("--seed", type=int, default=0, help="seed for generated data and faults")
    p.add_argument("--city-institution-id", type=int, default=DEFAULT_CITY_ID)
    p.add_argument("--tick-interval", type=_non_negative, default=0.2, metavar="SECONDS")
    p.add_argument("--max-body-mb", type=_non_negative, default=25.0)
    p.add_argument("--max-upload-mb", type=_non_negative, default=10.0)
    p.add_argument(
        "--idempotency",
        action="store_true",
        help="honour Idempotency-Key headers on POST (the real service shows no sign of it; off by default)",
    )
    p.add_argument(
        "--without",
        default="",
        metavar="NAMES",
        help=f"comma-separated optional endpoints that answer 404: {', '.join(OPTIONAL_ENDPOINTS)}",
    )
    p.add_argument("--log-requests", action="store_true", help="one access-log line per request")

    world = p.add_argument_group("simulated world")
    b = Behaviour()
    world.add_argument("--admin-delay", type=_non_negative, default=b.admin_delay)
    world.add_argument("--institution-delay", type=_non_negative, default=b.institution_delay)
    world.add_argument("--citizen-rate", type=_non_negative, default=b.citizen_rate, help="reports per minute")
    world.add_argument("--citizen-response-delay", type=_non_negative, default=b.citizen_response_delay)
    world.add_argument("--citizen-close-share", type=_share, default=b.citizen_close_share)
    world.add_argument("--citizen-dispute-share", type=_share, default=b.citizen_dispute_share)
    world.add_argument("--auto-close-after", type=_non_negative, default=b.auto_close_after)
    world.add_argument("--admin-pending-share", type=_share, default=b.admin_pending_share)
    world.add_argument("--admin-archive-share", type=_share, default=b.admin_archive_share)

    faults = p.add_argument_group("fault injection (all rates are shares between 0 and 1)")
    f = FaultConfig()
    faults.add_argument("--error-rate", type=_share, default=f.error_rate, help="5xx answers")
    faults.add_argument("--timeout-rate", type=_share, default=f.timeout_rate)
    faults.add_argument("--timeout-seconds", type=_non_negative, default=f.timeout_seconds)
    faults.add_argument("--slow-rate", type=_share, default=f.slow_rate)
    faults.add_argument("--slow-seconds", type=_non_negative, default=f.slow_seconds)
    faults.add_argument("--rate-limit-rate", type=_share, default=f.rate_limit_rate, help="429s")
    faults.add_argument("--retry-after", type=_non_negative, default=f.retry_after)
    faults.add_argument("--drop-rate", type=_share, default=f.drop_rate)
    faults.add_argument(
        "--commit-500-rate",
        type=_share,
        default=f.commit_500_rate,
        help="writes that succeed but answer 500",
    )
    faults.add_argument("--duplicate-rate", type=_share, default=f.duplicate_rate)
    faults.add_argument("--corrupt-rate", type=_share, default=f.corrupt_rate)
    faults.add_argument(
        "--fault-path",
        action="append",
        default=[],
        metavar="PREFIX",
        help="limit faults to paths starting with PREFIX (repeatable)",
    )
    return p


def from_args(argv: list[str] | None = None) -> SimConfig:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.city_institution_id not in INSTITUTIONS:
        parser.error(f"--city-institution-id {args.city_institution_id} is not in the master")
    try:
        behaviour = Behaviour().updated({name.name: getattr(args, name.name) for name in fields(Behaviour)})
        faults = FaultConfig.validated(_fault_args(args))
        disabled = parse_endpoints(args.without)
    except ValueError as exc:
        parser.error(str(exc))
    return SimConfig(
        data_dir=args.data,
        host=args.host,
        port=args.port,
        auth_secret=args.auth_secret,
        token=args.token,
        seed=args.seed,
        city_institution_id=args.city_institution_id,
        tick_interval=args.tick_interval,
        max_body_mb=args.max_body_mb,
        max_upload_mb=args.max_upload_mb,
        idempotency=args.idempotency,
        auth_header=args.auth_header,
        auth_value=args.auth_value,
        require_token=args.require_token,
        disabled_endpoints=disabled,
        log_requests=args.log_requests,
        behaviour=behaviour,
        faults=faults,
    )


def _fault_args(args: argparse.Namespace) -> dict:
    data = {}
    for name in FaultConfig.__dataclass_fields__:
        if name in ("paths", "seed"):
            continue
        data[name] = getattr(args, name)
    data["paths"] = args.fault_path
    data["seed"] = args.seed
    return data

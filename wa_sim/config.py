"""Simulator settings: command line, environment defaults, and the delivery options changed at run time.

The credentials default to SIKESAL's demo settings and read the same environment variables
(`SIKESAL_WHATSAPP_*`), so a SIKESAL and a simulator started from one environment agree.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import asdict, dataclass, field, fields

DEFAULT_WEBHOOK = "http://127.0.0.1:8000/webhooks/whatsapp/"
WINDOW_MODES = ("status", "refuse")


@dataclass
class Delivery:
    """How webhooks go out and how citizens' phones behave; `POST /__sim/config` changes it, and a
    `/__sim/send` or `/__sim/burst` call may override any of it for its own webhooks."""

    redeliver: int = 0  # extra copies of every webhook (the platform delivers at least once)
    redeliver_share: float = 0.0  # share of webhooks delivered one more time
    redeliver_delay: float = 0.0  # seconds between a webhook and its copies
    out_of_order: bool = False  # shuffle the webhooks of a burst, and the status callbacks of a send
    delay: float = 0.0  # seconds before a webhook goes out
    retry_attempts: int = 6  # tries while the webhook answers non-2xx or cannot be reached
    retry_base: float = 1.0  # seconds before the first retry, doubled for each further one
    forged: bool = False  # sign with a wrong secret, as a forger would
    statuses: bool = True  # send status callbacks (sent, delivered, read) for what SIKESAL sends
    status_delay: float = 0.2  # seconds between one status of a sent message and the next
    read_share: float = 1.0  # share of delivered messages the citizen reads
    fail_share: float = 0.0  # share of SIKESAL's sends that fail (a "failed" status with fail_code)
    fail_code: int = 131026  # Meta's "message undeliverable"
    # seconds the Graph API takes to answer a send (over the internet: a few hundred milliseconds)
    send_latency: float = 0.0
    window: str = "status"  # free text outside the 24-hour window: "status" accepts it, then reports it
    # "failed" with 131047, as the platform does; "refuse" answers the send itself with a 400 and 131047

    INTS = ("redeliver", "retry_attempts", "fail_code")
    SHARES = ("redeliver_share", "read_share", "fail_share")
    FLAGS = ("out_of_order", "forged", "statuses")

    def as_json(self) -> dict:
        return asdict(self)

    def updated(self, changes: dict) -> Delivery:
        """A validated copy with `changes` applied; raises ValueError on bad input."""
        if not isinstance(changes, dict):
            raise ValueError("body must be a JSON object")
        unknown = sorted(set(changes) - {f.name for f in fields(self)})
        if unknown:
            raise ValueError(f"unknown option(s): {', '.join(unknown)}")
        data = {**asdict(self), **changes}
        for name, value in data.items():
            if name == "window":
                if value not in WINDOW_MODES:
                    raise ValueError(f"window must be one of {', '.join(WINDOW_MODES)}")
            elif name in self.FLAGS:
                if not isinstance(value, bool):
                    raise ValueError(f"{name} must be true or false")
            elif isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{name} must be a number")
            elif value < 0:
                raise ValueError(f"{name} must not be negative")
            elif name in self.SHARES and value > 1:
                raise ValueError(f"{name} must be between 0 and 1")
            elif name in self.INTS:
                if value != int(value):
                    raise ValueError(f"{name} must be a whole number")
                data[name] = int(value)
            else:
                data[name] = float(value)
        if data["retry_attempts"] < 1:
            raise ValueError("retry_attempts must be at least 1")
        return Delivery(**data)


@dataclass
class SimConfig:
    data_dir: str
    host: str = "127.0.0.1"
    port: int = 8766
    webhook: str = DEFAULT_WEBHOOK
    app_secret: str = "sikesal-demo-secret"  # noqa: S105 - SIKESAL's documented demo credential
    verify_token: str = "sikesal-demo-verify"  # noqa: S105
    access_token: str = "sikesal-demo-token"  # noqa: S105
    phone_number_id: str = "1000000001"
    display_phone_number: str = "6281100001708"
    waba_id: str = "2000000001"
    seed: int = 0
    workers: int = 1  # webhooks delivered at the same time; 1 keeps the order unless shuffled on purpose
    webhook_timeout: float = 10.0
    max_body_mb: float = 20.0
    log_requests: bool = False
    delivery: Delivery = field(default_factory=Delivery)

    def public_json(self) -> dict:
        """Settings safe to show in `/__sim/state` (no credentials)."""
        return {
            "host": self.host,
            "port": self.port,
            "data_dir": self.data_dir,
            "webhook": self.webhook,
            "phone_number_id": self.phone_number_id,
            "display_phone_number": self.display_phone_number,
            "waba_id": self.waba_id,
            "seed": self.seed,
            "workers": self.workers,
        }


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def _non_negative(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def build_parser() -> argparse.ArgumentParser:
    d = SimConfig(data_dir="")
    p = argparse.ArgumentParser(
        prog="python -m wa_sim",
        description="A stand-alone WhatsApp Cloud API simulator for tests and demos.",
    )
    p.add_argument("--data", required=True, metavar="DIR", help="directory for the SQLite store and transcript")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8766, help="0 picks a free port (printed on start)")
    p.add_argument("--webhook", default=_env("WA_SIM_WEBHOOK", DEFAULT_WEBHOOK), help="where webhooks are delivered")
    p.add_argument("--app-secret", default=_env("SIKESAL_WHATSAPP_APP_SECRET", d.app_secret))
    p.add_argument("--verify-token", default=_env("SIKESAL_WHATSAPP_VERIFY_TOKEN", d.verify_token))
    p.add_argument("--access-token", default=_env("SIKESAL_WHATSAPP_ACCESS_TOKEN", d.access_token))
    p.add_argument("--phone-number-id", default=_env("SIKESAL_WHATSAPP_PHONE_NUMBER_ID", d.phone_number_id))
    p.add_argument("--display-phone-number", default=d.display_phone_number)
    p.add_argument("--waba-id", default=d.waba_id)
    p.add_argument("--seed", type=int, default=0, help="seed for ids, shuffles and failures")
    p.add_argument("--workers", type=int, default=1, help="webhooks in flight at once")
    p.add_argument("--webhook-timeout", type=_non_negative, default=d.webhook_timeout, metavar="SECONDS")
    p.add_argument("--log-requests", action="store_true", help="one access-log line per request")
    g = p.add_argument_group("delivery (also changeable at run time: POST /__sim/config)")
    for f in fields(Delivery):
        flag = "--" + f.name.replace("_", "-")
        if f.name in Delivery.FLAGS:
            g.add_argument(flag, action=argparse.BooleanOptionalAction, default=f.default)
        else:
            g.add_argument(flag, type=type(f.default), default=f.default)
    return p


def from_args(argv: list[str] | None = None) -> SimConfig:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    try:
        delivery = Delivery().updated({f.name: getattr(args, f.name) for f in fields(Delivery)})
    except ValueError as exc:
        parser.error(str(exc))
    return SimConfig(
        data_dir=args.data,
        host=args.host,
        port=args.port,
        webhook=args.webhook,
        app_secret=args.app_secret,
        verify_token=args.verify_token,
        access_token=args.access_token,
        phone_number_id=args.phone_number_id,
        display_phone_number=args.display_phone_number,
        waba_id=args.waba_id,
        seed=args.seed,
        workers=args.workers,
        webhook_timeout=args.webhook_timeout,
        log_requests=args.log_requests,
        delivery=delivery,
    )

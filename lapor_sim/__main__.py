"""`python -m lapor_sim --port 8765 --data DIR`: run the SP4N-LAPOR! simulator in the foreground.

By default it behaves like the real service as its public client sees it (no idempotency, exact
`Authorization: Bearer <secret>` plus `token`); `--idempotency`, `--without list,disposition,categories`,
`--auth-header`, `--auth-value` and `--no-token` change that. The first stdout line gives the URL and
the mode.
"""

from __future__ import annotations

import logging
import signal
import sys

from .config import from_args
from .server import Simulator


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="lapor_sim %(levelname)s %(message)s")
    config = from_args(argv)
    sim = Simulator(config)

    def stop(signum, frame):
        # shutdown() waits for serve_forever to return, so it must run outside the serving thread.
        import threading

        threading.Thread(target=sim.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(
        f"lapor_sim listening on http://{config.host}:{sim.port} (data {config.data_dir}; mode: {config.mode()})",
        flush=True,
    )
    sim.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())

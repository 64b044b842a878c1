"""`python -m wa_sim --port 8766 --data DIR`: run the WhatsApp Cloud API simulator in the foreground.

It delivers signed webhooks to `--webhook` (SIKESAL's `/webhooks/whatsapp/` by default) and answers
the Graph API calls SIKESAL makes. The first stdout line gives the URL and where webhooks go.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading

from .config import from_args
from .server import Simulator


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="wa_sim %(levelname)s %(message)s")
    config = from_args(argv)
    sim = Simulator(config)

    def stop(signum, frame):
        # shutdown() waits for serve_forever to return, so it must run outside the serving thread.
        threading.Thread(target=sim.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(
        f"wa_sim listening on {sim.base_url} (data {config.data_dir}; webhooks to {config.webhook};"
        f" phone number id {config.phone_number_id})",
        flush=True,
    )
    sim.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())

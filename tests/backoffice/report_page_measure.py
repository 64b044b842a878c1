"""What the five commonest officer actions cost on the report page on a phone (360 × 740 px): the taps from
the opened report to the saved action, the page's height when it opens, and how far down the action's button
sits (the scrolling). Issue #30 item 8 asked for these before and after the one-action-at-a-time page.

Run it (a table on stdout, JSON in test-artifacts/):
    .venv/bin/python -m pytest tests/backoffice/test_report_page_browser.py -k measure -s -p no:cacheprovider
The same helper measures the old stacked page (it has no chooser, so no tap opens a form): copy this file and
the test into a checkout of the commit before and run the same command there.
"""

import math

from django.conf import settings
from django.test import Client

from tests.browser_steps import block_outside

PHONE = {"width": 360, "height": 740}

# (who takes it, the state the report is in, the action, what they fill in: selector -> a value or an option)
COMMON = [
    ("admin", "received", "verify", {"#v-opd": {"label": "Dinas PUPR"}, "#v-note": "Mohon segera ditinjau."}),
    ("liaison", "dispositioned", "start", {}),
    ("liaison", "in_progress", "add_followup", {"#fu": "Tim sudah meninjau lokasi."}),
    ("admin", "received", "request_info", {"#ri": "Di depan nomor rumah berapa tepatnya?"}),
    ("admin", "followed_up", "close_admin", {}),
    ("liaison", "in_progress", "complete_followup", {"#cf": "Lubang sudah ditambal."}),
]


def session_cookie(user, live_server):
    client = Client()
    client.force_login(user)
    host = live_server.url.split("//")[1].split(":")[0]
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {"name": settings.SESSION_COOKIE_NAME, "value": value, "domain": host, "path": "/"}


def take(browser, live_server, user, complaint, action, fields):
    """Open the report as `user` on a phone and take `action`; what it cost."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.add_cookies([session_cookie(user, live_server)])
    page = context.new_page()
    block_outside(page)
    page.goto(f"{live_server.url}/kantor/laporan/{complaint.tracking_number}/")
    page.wait_for_load_state("load")
    height = page.evaluate("document.documentElement.scrollHeight")
    taps = 0
    opener = page.query_selector(f"#choose-{action}")
    if opener is not None:  # the one-action-at-a-time page: a tap opens the action's form
        opener.click()
        taps += 1
    for selector, value in fields.items():
        if isinstance(value, dict):
            page.select_option(selector, **value)
            taps += 2  # open the list, pick the option
        else:
            page.fill(selector, value)
            taps += 1  # into the box (then typing)
    button = f"#action-{action} button[type=submit]"
    depth = page.evaluate("s => document.querySelector(s).getBoundingClientRect().bottom + window.scrollY", button)
    page.click(button)
    taps += 1
    page.wait_for_selector(".messages")
    context.close()
    return {
        "action": action,
        "who": user.username,
        "taps": taps,
        "page_height_px": round(height),
        "button_depth_px": round(depth),
        "screens_to_scroll": max(0, math.ceil((depth - PHONE["height"]) / PHONE["height"])),
    }


def table(rows):
    lines = ["action             who    taps  page height  button at  screens to scroll"]
    for r in rows:
        lines.append(
            f"{r['action']:<18} {r['who']:<6} {r['taps']:>4}  {r['page_height_px']:>8} px  {r['button_depth_px']:>6} px"
            f"  {r['screens_to_scroll']:>4}"
        )
    return "\n".join(lines)

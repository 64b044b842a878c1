"""Steps shared by the browser tests: a photo with GPS EXIF, no traffic off this machine, staff log-in."""

import io
import re
import time

from PIL import Image

from sikesal.accounts import totp


def photo(tmp_path, name="foto.jpg"):
    path = tmp_path / name
    img = Image.new("RGB", (640, 480), (30, 30, 30))
    exif = Image.Exif()
    exif[0x8825] = {1: "S", 2: (1.0, 36.0, 36.0), 3: "E", 4: (103.0, 36.0, 47.0)}
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    path.write_bytes(buf.getvalue())
    return path


def block_outside(page):
    # Map tiles come from outside; this machine has no such network, and the page must not need it.
    page.route(re.compile(r"^https?://(?!127\.0\.0\.1|localhost).*"), lambda route: route.abort())


def staff_log_in(page, live_server, username, password, screenshot=None):
    """Log in at /kantor/, setting up and answering the TOTP second factor when asked."""
    page.goto(live_server.url + "/kantor/masuk/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_selector("nav.queues, #code")
    if page.query_selector("#code"):
        if screenshot:
            page.screenshot(path=screenshot, full_page=True)
        secret = page.inner_text("#totp-secret")
        page.fill("#code", totp.code_at(secret, int(time.time() // 30)))
        page.click("button[type=submit]")
        page.wait_for_selector("nav.queues")

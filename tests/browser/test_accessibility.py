"""Issue 17, "go further": every main page of every role, in Indonesian and English, has no WCAG 2.1 A/AA
violation found by axe-core (vendored: tests/browser/vendor/axe-core) and does not scroll sideways at 360 px."""

import os

import pytest
from django.conf import settings
from django.test import Client

from sikesal.complaints import submission
from sikesal.complaints.policy import Actor
from tests.browser_steps import block_outside
from tests.conftest import report_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = os.path.join(os.path.dirname(__file__), "vendor", "axe-core", "axe.min.js")
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE = {"width": 360, "height": 740}
DESK = {"width": 1366, "height": 768}


def axe_violations(page):
    page.add_script_tag(path=AXE)  # the context bypasses the site's CSP for this injected script only
    result = page.evaluate("o => axe.run(document, o)", {"runOnly": {"type": "tag", "values": WCAG}})
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:40]}" for v in result["violations"]]


def sideways(page):
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def browse(browser, live_server, language, cookies=(), size=PHONE):
    context = browser.new_context(viewport=size, bypass_csp=True, is_mobile=size == PHONE, has_touch=size == PHONE)
    host = live_server.url.split("//")[1].split(":")[0]
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "domain": host, "path": "/"}]
        + [{**c, "domain": host, "path": "/"} for c in cookies]
    )
    page = context.new_page()
    block_outside(page)
    return context, page


def walk(browser, live_server, language, paths, cookies=(), viewport=PHONE, check_width=True):
    """Open each path; {path: [problems]} for the ones that have any."""
    problems = {}
    for size in [viewport] if viewport == PHONE else [viewport, PHONE]:
        context, page = browse(browser, live_server, language, cookies, size)
        for path in paths:
            page.goto(live_server.url + path)
            page.wait_for_load_state("load")
            assert page.get_attribute("html", "lang") == language, path
            found = []
            if size == viewport:
                found += axe_violations(page)
            if size == PHONE and check_width and (extra := sideways(page)) > 0:
                found.append(f"scrolls sideways by {extra} px at 360 px")
            if found:
                problems.setdefault(path, []).extend(found)
        context.close()
    return problems


@pytest.fixture
def reports(act, catalogue):
    def filed(*actions, **overrides):
        result = submission.submit(Actor.system("test"), report_data(**overrides), [])
        for action in actions:
            act(result.complaint, action)
        return result.complaint, result.secret

    return {
        "new": filed(),
        "followed_up": filed("verify", "complete_followup", title="Lampu jalan mati di Jl. Sultan Agung"),
        "pending": filed("request_info", title="Sampah menumpuk di TPS Kenali Besar"),
        "closed": filed("verify", "complete_followup", "confirm", title="Air PDAM keruh di Telanaipura"),
        "disputed": filed("verify", "complete_followup", "dispute", title="Drainase tersumbat di Jelutung"),
    }


def session_cookie(user):
    client = Client()
    client.force_login(user)
    return {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value}


def citizen_paths(reports):
    new, _ = reports["new"]
    done, done_secret = reports["followed_up"]
    _pending, pending_secret = reports["pending"]
    return [
        "/",
        "/lapor/",
        "/lacak/",
        f"/lacak/{new.tracking_number}/",
        f"/lacak/{done.tracking_number}/",
        f"/pelapor/{done_secret}/",
        f"/pelapor/{pending_secret}/",
        "/laporan/",
        f"/laporan/{done.tracking_number}/",
        f"/laporan/{new.tracking_number}/",  # awaiting verification
        f"/pelapor/{reports['closed'][1]}/",  # confirmed and rated
        f"/pelapor/{reports['disputed'][1]}/",  # the Ombudsman route is open
        f"/pelapor/{reports['disputed'][1]}/ombudsman/",
        "/statistik/",
        "/masuk/",
        "/lacak/JBI-0000-ZZZZ/",  # no such report
        "/tidak-ada/",
        "/privasi/",
    ]


@pytest.mark.parametrize("language", ["id", "en"])
def test_citizen_pages(browser, live_server, reports, users, language, artifacts):
    problems = walk(browser, live_server, language, citizen_paths(reports))
    problems.update(
        walk(browser, live_server, language, ["/saya/", "/saya/privasi/"], [session_cookie(users["citizen"])])
    )
    # The confirmation page exists only right after filing: file once in the browser.
    context = browser.new_context(viewport=PHONE, bypass_csp=True, is_mobile=True, has_touch=True)
    host = live_server.url.split("//")[1].split(":")[0]
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "domain": host, "path": "/"}])
    page = context.new_page()
    block_outside(page)
    page.goto(live_server.url + "/lapor/")
    page.select_option("#service", "sampah")
    page.fill("#title", "Sampah menumpuk di TPS")
    page.fill("#body", "Sampah tidak diangkut selama empat hari dan baunya sampai ke rumah warga.")
    page.select_option("#area", "15.71.04.1003")
    page.click("#submit-report")
    page.wait_for_selector("#tracking-number")
    page.screenshot(path=f"{artifacts}/confirmation-360.png", full_page=True)
    found = axe_violations(page)
    if (extra := sideways(page)) > 0:
        found.append(f"scrolls sideways by {extra} px at 360 px")
    if found:
        problems["/lapor/terkirim/"] = found
    context.close()
    assert problems == {}, "\n".join(f"{p}: {v}" for p, v in problems.items())


@pytest.mark.parametrize("language", ["id", "en"])
def test_staff_pages(browser, live_server, reports, users, language):
    done, _ = reports["followed_up"]
    new, _ = reports["new"]
    paths = ["/kantor/", "/kantor/?antrian=semua", f"/kantor/laporan/{new.tracking_number}/"]
    problems = walk(browser, live_server, language, paths, [session_cookie(users["admin"])], viewport=DESK)
    paths = ["/kantor/", f"/kantor/laporan/{done.tracking_number}/"]
    problems.update(walk(browser, live_server, language, paths, [session_cookie(users["liaison"])], viewport=DESK))
    from sikesal.integrations.ombudsman import service
    from tests.ombudsman.test_ombudsman import IDENTITY

    disputed, _ = reports["disputed"]
    service.escalate(disputed, Actor.reporter(disputed), IDENTITY)
    paths = ["/ombudsman/", "/ombudsman/kepatuhan/", f"/kantor/laporan/{disputed.tracking_number}/"]
    problems.update(walk(browser, live_server, language, paths, [session_cookie(users["ombudsman"])], viewport=DESK))
    paths = [
        "/kantor/privasi/",
        "/kantor/privasi/audit/",
        "/kantor/privasi/pelanggaran/",
        "/kantor/privasi/pemrosesan/",
    ]
    problems.update(walk(browser, live_server, language, paths, [session_cookie(users["dpo"])], viewport=DESK))
    problems.update(walk(browser, live_server, language, ["/kantor/masuk/"], viewport=DESK))
    assert problems == {}, "\n".join(f"{p}: {v}" for p, v in problems.items())


@pytest.mark.parametrize("size", [PHONE, DESK])
def test_api_docs(browser, live_server, db, size, artifacts):
    """Partners' developers read /api/v1/docs (swagger-ui) on a phone too."""
    context = browser.new_context(viewport=size, bypass_csp=True)
    page = context.new_page()
    block_outside(page)
    page.goto(live_server.url + "/api/v1/docs")
    page.wait_for_selector(".swagger-ui .opblock")  # drawn from the OpenAPI document
    page.click(".opblock-summary")  # an operation open, with its parameters and answers
    page.wait_for_selector(".opblock-body")
    found = axe_violations(page)
    if size == PHONE and (extra := sideways(page)) > 0:
        found.append(f"scrolls sideways by {extra} px at 360 px")
    page.screenshot(path=f"{artifacts}/api-docs-{size['width']}.png", full_page=True)
    context.close()
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("language", ["id", "en"])
def test_success_and_error_messages(browser, live_server, reports, users, language):
    """Every page can carry the messages list after an action: a success and an error in each app."""
    problems = {}

    def check(where, selector):
        page.wait_for_selector(selector)
        if found := axe_violations(page):
            problems[where] = found

    context, page = browse(browser, live_server, language, [session_cookie(users["admin"])], DESK)
    page.goto(live_server.url + "/kantor/?antrian=baru")
    page.select_option("#bulk select[name=institution]", index=1)
    page.click("#bulk button[type=submit]")  # no report chosen
    check("back office, error", ".messages li.error")
    page.select_option("#bulk select[name=institution]", index=1)
    page.check(f"input[name=nomor][value='{reports['new'][0].tracking_number}']")
    page.click("#bulk button[type=submit]")
    check("back office, success", ".messages li.success")
    context.close()

    context, page = browse(browser, live_server, language)
    page.goto(live_server.url + "/statistik/?dari=kemarin")
    check("portal, error", ".messages li.error")
    page.goto(f"{live_server.url}/pelapor/{reports['pending'][1]}/")
    page.fill("#info", "Lokasinya di depan SD 47, dekat pos ronda.")
    page.click("#supply_info-form button[type=submit]")
    check("portal, success", ".messages li.success")
    context.close()
    assert problems == {}, "\n".join(f"{p}: {v}" for p, v in problems.items())

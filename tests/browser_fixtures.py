"""Playwright fixtures: Debian's chromium on a phone-sized screen, screenshots under test-artifacts/."""

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Playwright's sync API keeps an event loop in the test thread; the ORM calls in tests (and the
# database teardown) are still plain synchronous code, so Django's async guard must stand aside.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing in CI (.ci/run installs Debian's chromium)")
        pytest.skip("browser tests need Debian's chromium (apt-get install chromium)")
    # Playwright cannot download browsers here: drive Debian's chromium, with no background traffic.
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # A cheap Android phone's screen.
    return {
        **browser_context_args,
        "viewport": {"width": 360, "height": 740},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    }


@pytest.fixture
def artifacts(request):
    path = os.path.join(os.path.dirname(__file__), "..", "test-artifacts", request.node.name)
    os.makedirs(path, exist_ok=True)
    return os.path.abspath(path)

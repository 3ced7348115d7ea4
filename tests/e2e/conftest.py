"""Browser fixtures: Debian's Chromium driven by Playwright, failing on any page error."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    Playwright,
    sync_playwright,
)

from tests.conftest import LiveServer
from tests.e2e.helpers import AppPage, NewPage, Traffic, open_app

CHROMIUM = os.environ.get("BPL_CHROMIUM", "/usr/bin/chromium")
# No GPU, no QUIC, no /dev/shm, and no DNS lookups of outside hosts (without the resolver rule
# Chromium makes ~20 lookups of outside hosts per launch on a closed network).
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    "--disable-dev-shm-usage",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost",
]


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: browser tests never skip (run `make test` as root)")
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@dataclass
class PageErrors:
    """Every uncaught exception and console error a page produced."""

    messages: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)

    def allow(self, fragment: str) -> None:
        """Expect one kind of console error (e.g. the 422 of a deliberately bad upload)."""
        self.allowed.append(fragment)

    def unexpected(self) -> list[str]:
        return [m for m in self.messages if not any(a in m for a in self.allowed)]

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.messages.append(f"console.error: {message.text} @ {message.location}")

    def on_pageerror(self, error: Error) -> None:
        self.messages.append(f"pageerror: {error}")


@pytest.fixture
def page_errors() -> PageErrors:
    return PageErrors()


@pytest.fixture
def new_page(browser: Browser, page_errors: PageErrors) -> Iterator[NewPage]:
    """Pages in browser contexts of their own: `new_page(width, height, **context_options)`.

    Every uncaught exception and console error of each page lands in `page_errors`; the contexts
    close after the test, and then the test fails on any error it did not `allow`.
    """
    contexts: list[BrowserContext] = []

    def make(width: int = 1280, height: int = 800, **options: Any) -> Page:
        context = browser.new_context(viewport={"width": width, "height": height}, **options)
        contexts.append(context)
        page = context.new_page()
        page.on("console", page_errors.on_console)
        page.on("pageerror", page_errors.on_pageerror)
        return page

    yield make
    for context in contexts:
        context.close()
    unexpected = page_errors.unexpected()
    assert not unexpected, "the page reported errors:\n" + "\n".join(unexpected)


@pytest.fixture
def app_page(new_page: NewPage, live_server: LiveServer) -> AppPage:
    """`app_page(path, width, height, **context_options)`: a new page (as `new_page`) with the
    app at `path` loaded, connected and drawn (helpers.open_app), and its socket traffic."""

    def make(
        path: str = "/", width: int = 1280, height: int = 800, **options: Any
    ) -> tuple[Page, Traffic]:
        page = new_page(width, height, **options)
        return page, open_app(page, live_server.url + path)

    return make


@pytest.fixture
def page(new_page: NewPage) -> Page:
    """A 1280×800 page (not loaded yet), failing the test on any page error."""
    return new_page()

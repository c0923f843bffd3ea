"""Fixtures of the web UI's browser tests: the fixture site, a real `kura serve` in a
temporary data directory with the shipped plugins, and the system's headless Chromium,
all on 127.0.0.1. Every page's requests are recorded, and a test fails when one goes
anywhere but the server, or when the page logs an error.

Run by `cargo xtask test` (which builds the binaries and plugins first), or by hand:
`target/ui-venv/bin/python -m pytest tests/ui`.
"""

import json
import os
import shutil
import subprocess
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import sync_playwright

from loopback import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / "target" / "debug"
PLUGINS = ROOT / "plugins" / "target" / "wasm32-wasip2" / "release"
CHROMIUM = os.environ.get("KURA_CHROMIUM", "/usr/bin/chromium")
SHOTS = ROOT / "target" / "ui-screenshots"
# The plugins the demo ships with, as the server loads them.
DEMO_PLUGINS = ["fixture_alpha", "fixture_beta", "fixture_meta", "jsonld", "default_cleaner"]


class Process:
    """A child process stopped at the end of the test session."""

    def __init__(self, args, log):
        self.args = args
        self.log = open(log, "ab")
        self.child = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)

    def restart(self):
        """Stops the process and starts it again with the same arguments."""
        self.stop()
        self.log = open(self.log.name, "ab")
        self.child = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT)

    def stop(self):
        self.child.terminate()
        try:
            self.child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.child.kill()
        self.log.close()


@pytest.fixture(scope="session")
def fixture_site(tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("fixture") / "fixture.log"
    command = [str(BIN / "fixture-site"), "--host", "127.0.0.1", "--port", str(port)]
    if shutil.which("ffmpeg"):
        # The stream corpus at /files (streams shaped by ffmpeg's own HLS muxer).
        command += ["--files", str(tmp_path_factory.mktemp("corpus")), "--corpus"]
    site = Process(command, log)
    base = f"http://127.0.0.1:{port}"
    wait_for(f"{base}/alpha/")
    yield base
    site.stop()


class Kura:
    """A running `kura serve`: its URL, data directory and an API helper."""

    def __init__(self, base, data, fixture_site, token=None):
        self.base = base
        self.data = data
        self.fixture_site = fixture_site
        self.token = token

    def api(self, method, path, body=None):
        request = urllib.request.Request(self.base + path, method=method)
        if body is not None:
            request.data = json.dumps(body).encode()
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        with urllib.request.urlopen(request, timeout=120) as answer:
            text = answer.read()
            return json.loads(text) if text else None


def start_kura(tmp_path_factory, fixture_site, name, extra=None):
    data = tmp_path_factory.mktemp(name)
    (data / "plugins").mkdir()
    for plugin in DEMO_PLUGINS:
        source = PLUGINS / f"{plugin}.wasm"
        if source.exists():
            shutil.copy(source, data / "plugins" / f"{plugin.replace('_', '-')}.wasm")
    port = free_port()
    host_port = fixture_site.removeprefix("http://")
    config = {
        "server": {"host": "127.0.0.1", "port": port},
        "fetch": {"allow_private_hosts": [host_port]},
        "sources": {
            "fixture-alpha": {"weight": 100, "domain": f"{fixture_site}/alpha"},
            "fixture-beta": {"weight": 50, "domain": f"{fixture_site}/beta"},
        },
        "scrapers": {
            "fixture-meta": {"weight": 100, "domain": f"{fixture_site}/meta"},
            "jsonld": {"weight": 10, "settings": {"url_template": f"{fixture_site}/meta/{{code}}"}},
        },
        "translator": {
            "active": "fixture",
            "profiles": {"fixture": {"url": fixture_site, "model": "fixture", "timeout_ms": 10000}},
        },
        "tasks": {"mock_downloads": True},
    }
    for key, value in (extra or {}).items():
        config.setdefault(key, {}).update(value)
    config_file = data / "config.yaml"
    config_file.write_text(json.dumps(config))
    server = Process(
        [str(BIN / "kura"), "--config", str(config_file), "--data-dir", str(data), "serve"],
        data / "serve.log",
    )
    base = f"http://127.0.0.1:{port}"
    wait_for(f"{base}/healthz")
    token_file = data / "api-token"
    token = token_file.read_text().strip() if token_file.exists() else None
    return server, Kura(base, data, fixture_site, token)


@pytest.fixture(scope="session")
def kura(tmp_path_factory, fixture_site):
    server, handle = start_kura(tmp_path_factory, fixture_site, "kura")
    yield handle
    server.stop()


@pytest.fixture
def kura_restartable(tmp_path_factory, fixture_site):
    """A server of the test's own, with its process, so the test can restart it."""
    server, handle = start_kura(tmp_path_factory, fixture_site, "kura-restart")
    yield server, handle
    server.stop()


@pytest.fixture(scope="session")
def kura_with_token(tmp_path_factory, fixture_site):
    server, handle = start_kura(
        tmp_path_factory, fixture_site, "kura-token", {"server": {"require_token": True}}
    )
    yield handle
    server.stop()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


class Watched:
    """A page with its requests and console errors recorded."""

    def __init__(self, page, base):
        self.page = page
        self.base = base
        self.requests = []
        self.errors = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def foreign_requests(self):
        """Requests to anything but 127.0.0.1 (data: and blob: URLs stay in the page)."""
        foreign = []
        for url in self.requests:
            parsed = urlparse(url)
            if parsed.scheme in ("data", "blob"):
                continue
            if parsed.hostname != "127.0.0.1":
                foreign.append(url)
        return foreign

    def shot(self, name):
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def open_page(browser, kura, width=1280, height=800, scheme="light", locale="en-US"):
    context = browser.new_context(
        viewport={"width": width, "height": height},
        color_scheme=scheme,
        locale=locale,
        base_url=kura.base,
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    return Watched(page, kura.base)


@pytest.fixture
def ui(browser, kura):
    watched = open_page(browser, kura)
    yield watched
    context = watched.page.context
    context.close()
    assert watched.foreign_requests() == [], "requests left 127.0.0.1"
    assert watched.errors == [], "the page logged errors"

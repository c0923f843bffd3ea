"""Prints the web UI's first-load figures against a release `kura serve` with a seeded
library: the time from navigation to the first cover card on screen (median of several
cold loads, each in a fresh browser context), the requests and bytes of that first load,
and the size of the UI's files. Loopback only; every loop is bounded.

    cargo build --release -p kura
    target/ui-venv/bin/python tools/bench/ui/first_render.py [--count 100000] [--loads 7]

Uses `target/release/kura` (or `--kura PATH`) and the system's Chromium (`KURA_CHROMIUM`,
default /usr/bin/chromium), as the browser tests do.
"""

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[3]
# The loopback helpers the browser tests use.
sys.path.insert(0, str(ROOT / "tests" / "ui"))
from loopback import free_port, wait_for  # noqa: E402


def asset_sizes():
    """Bytes of the UI's files, raw and gzipped (what a compressing proxy would send)."""
    raw = zipped = count = 0
    for path in (ROOT / "web" / "assets").rglob("*"):
        if path.is_file() and path.suffix in (".js", ".mjs", ".css", ".html", ".svg"):
            data = path.read_bytes()
            raw += len(data)
            zipped += len(gzip.compress(data, 9))
            count += 1
    return count, raw, zipped


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--loads", type=int, default=7)
    parser.add_argument("--kura", default=str(ROOT / "target" / "release" / "kura"))
    args = parser.parse_args()
    chromium = os.environ.get("KURA_CHROMIUM", "/usr/bin/chromium")
    with tempfile.TemporaryDirectory() as data:
        config = Path(data) / "config.yaml"
        port = free_port()
        config.write_text(json.dumps({"server": {"host": "127.0.0.1", "port": port}}))
        started = time.monotonic()
        subprocess.run(
            [args.kura, "--config", str(config), "--data-dir", data, "--silent", "seed", "--count", str(args.count)],
            check=True,
        )
        print(f"seeded {args.count} resources in {time.monotonic() - started:.1f} s")
        server = subprocess.Popen(
            [args.kura, "--config", str(config), "--data-dir", data, "--silent", "serve"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(f"{base}/healthz")
            times, requests, transferred = [], [], []
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"]
                )
                for _ in range(args.loads):
                    context = browser.new_context(viewport={"width": 1280, "height": 800})
                    page = context.new_page()
                    seen = []
                    page.on("requestfinished", lambda r: seen.append(r))
                    begun = time.monotonic()
                    page.goto(base + "/")
                    page.locator('[data-testid="card"]').first.wait_for(state="visible", timeout=60_000)
                    times.append((time.monotonic() - begun) * 1000)
                    page.wait_for_load_state("networkidle")
                    foreign = [r.url for r in seen if not r.url.startswith(base)]
                    assert not foreign, foreign
                    requests.append(len(seen))
                    transferred.append(sum((r.sizes()["responseBodySize"] or 0) for r in seen))
                    context.close()
                browser.close()
            count, raw, zipped = asset_sizes()
            print(f"library of {args.count} resources, {args.loads} cold loads (fresh context each)")
            print(f"first card on screen: median {statistics.median(times):.0f} ms, min {min(times):.0f} ms, max {max(times):.0f} ms")
            print(f"first load: {statistics.median(requests):.0f} requests, {statistics.median(transferred) / 1024:.0f} KiB of bodies (covers, API answers and the UI's files)")
            print(f"the UI's files: {count} files, {raw / 1024:.0f} KiB raw, {zipped / 1024:.0f} KiB gzipped")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()

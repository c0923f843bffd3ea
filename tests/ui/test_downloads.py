"""Downloads in a real browser: the queue's progress bar follows WebSocket events to
100%, the downloaded video plays and seeks in the page, and subtitles saved beside it
are offered as a text track."""

import shutil
import sqlite3

import pytest
from playwright.sync_api import expect

from conftest import open_page, wait_for

# Records every aria-valuenow a progress bar shows, so a test can tell the bar moved
# rather than appeared full.
WATCH_PROGRESS = """
() => {
  window.__progress = [];
  new MutationObserver(() => {
    for (const bar of document.querySelectorAll('[role=progressbar][aria-valuenow]')) {
      window.__progress.push(Number(bar.getAttribute('aria-valuenow')));
    }
  }).observe(document.body, { subtree: true, childList: true, attributes: true });
}
"""


def test_the_progress_bar_moves_to_full_from_live_events(ui, kura):
    kura.api("POST", "/api/resource?wait=60", {"code": "DEMO-008"})
    page = ui.page
    page.goto("/#/queue")
    expect(page.get_by_test_id("counts")).to_be_visible()
    page.evaluate(WATCH_PROGRESS)
    # A download that reports progress for three seconds (tasks.mock_downloads).
    answer = kura.api("POST", "/api/downloads/mock/DEMO-008", {"duration_ms": 3000})
    task_id = answer["task"]["id"]
    done = page.locator(f'[data-testid="task"][data-task-id="{task_id}"][data-status="completed"]')
    expect(done).to_be_visible(timeout=60_000)
    seen = page.evaluate("window.__progress")
    partial = [v for v in seen if 0 < v < 100]
    assert partial, f"the bar showed progress on its way: {seen}"
    # Then full: the completed task keeps its bar, at 100.
    expect(done.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    after = page.evaluate("window.__progress")
    assert 100 in after[after.index(partial[0]):], f"the bar went on to 100: {after}"


def test_a_downloaded_video_plays_and_seeks(ui, kura):
    kura.api("POST", "/api/resource?wait=60", {"code": "DEMO-002"})
    page = ui.page
    page.goto("/#/resource/DEMO-002")
    expect(page.get_by_test_id("resource")).to_be_visible()
    page.get_by_role("button", name="Download", exact=True).click()
    video = page.get_by_test_id("video")
    expect(video).to_be_visible(timeout=120_000)
    page.wait_for_function(
        "() => { const v = document.querySelector('[data-testid=video]'); return v && v.readyState >= 1 && v.duration > 0; }",
        timeout=30_000,
    )
    duration = video.evaluate("v => v.duration")
    assert 20 < duration < 60, duration
    video.evaluate("v => { v.muted = true; return v.play(); }")
    target = duration / 2
    video.evaluate(f"v => {{ v.currentTime = {target}; }}")
    page.wait_for_function(
        f"() => {{ const v = document.querySelector('[data-testid=video]'); return !v.seeking && Math.abs(v.currentTime - {target}) < 2 && v.readyState >= 2; }}",
        timeout=30_000,
    )
    error = video.evaluate("v => v.error && v.error.message")
    assert error is None, error
    ranges = [r for r in ui.requests if "/api/resource/DEMO-002/video" in r]
    assert ranges, "the page asked for the video"
    ui.shot("resource-video-desktop-light")


def test_the_queue_catches_up_after_a_server_restart_without_a_reload(browser, kura_restartable):
    server, kura = kura_restartable
    kura.api("POST", "/api/resource?wait=60", {"code": "DEMO-009"})
    ui = open_page(browser, kura)
    page = ui.page
    page.goto("/#/queue")
    expect(page.get_by_test_id("counts")).to_be_visible()
    expect(page.get_by_test_id("offline")).to_have_count(0)
    page.evaluate("window.__same_page = true")
    server.stop()
    expect(page.get_by_test_id("offline")).to_be_visible(timeout=30_000)
    server.restart()
    wait_for(f"{kura.base}/healthz")
    answer = kura.api("POST", "/api/downloads/mock/DEMO-009", {"duration_ms": 300})
    task_id = answer["task"]["id"]
    done = page.locator(f'[data-testid="task"][data-task-id="{task_id}"][data-status="completed"]')
    expect(done).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("offline")).to_have_count(0)
    assert page.evaluate("window.__same_page") is True, "the page was not reloaded"
    assert ui.foreign_requests() == []
    page.context.close()


def test_subtitles_saved_beside_a_video_are_offered_by_the_player(ui, kura):
    """A stream with WebVTT subtitles (the corpus's ffmpeg-made `ts-demuxed`): once
    downloaded, the player has a text track for them whose cues the browser loads."""
    if not shutil.which("ffmpeg"):
        pytest.skip("ffmpeg is not installed: the fixture site has no stream corpus")
    code = "DEMO-019"
    kura.api("POST", "/api/resource?wait=60", {"code": code})
    files = kura.fixture_site + "/files/ts-demuxed/master.m3u8"
    with sqlite3.connect(kura.data / "kura.db") as db:
        db.execute(
            "UPDATE resources SET stream_url = ?, stream_headers = '{}' WHERE code = ?",
            (files, code),
        )
    kura.api("POST", f"/api/downloads/{code}?wait=120", {})
    page = ui.page
    page.goto(f"/#/resource/{code}")
    video = page.get_by_test_id("video")
    expect(video).to_be_visible(timeout=60_000)
    assert video.evaluate("v => v.textTracks.length") == 1
    video.evaluate("v => { v.textTracks[0].mode = 'showing'; }")
    page.wait_for_function(
        "() => { const t = document.querySelector('[data-testid=video]').textTracks[0]; return t.cues && t.cues.length > 0; }",
        timeout=30_000,
    )
    cues = video.evaluate("v => Array.from(v.textTracks[0].cues, c => c.text)")
    assert cues == ["第一句", "第二句"], cues

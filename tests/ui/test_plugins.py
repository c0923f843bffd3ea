"""Plugins in a real browser: upload a component, see it swap in, roll it back."""


from playwright.sync_api import expect

from conftest import PLUGINS


def upload(page, name):
    page.get_by_test_id("dropzone").locator("input[type=file]").set_input_files(str(PLUGINS / name))


def test_an_uploaded_plugin_swaps_in_and_rolls_back(ui, kura):
    page = ui.page
    page.goto("/#/plugins")
    expect(page.get_by_test_id("plugin").first).to_be_visible()
    upload(page, "test_swap_v1.wasm")
    card = page.locator('[data-testid="plugin"][data-name="test-swap"]')
    heading = card.get_by_role("heading")
    expect(heading).to_have_text("test-swap 1.0.0", timeout=30_000)
    upload(page, "test_swap_v2.wasm")
    expect(heading).to_have_text("test-swap 2.0.0", timeout=30_000)
    card.get_by_role("button", name="Roll back to 1.0.0").click()
    confirm = page.get_by_test_id("confirm")
    expect(confirm).to_be_visible()
    confirm.get_by_role("button").last.click()
    expect(heading).to_have_text("test-swap 1.0.0", timeout=30_000)
    listed = kura.api("GET", "/api/plugins")
    version = [p for p in listed["plugins"] if p["name"] == "test-swap"][0]["version"]
    assert version == "1.0.0"


def test_a_rejected_upload_shows_the_reason(ui, kura):
    page = ui.page
    page.goto("/#/plugins")
    expect(page.get_by_test_id("plugin").first).to_be_visible()
    upload(page, "test_wit_mismatch.wasm")
    expect(page.get_by_test_id("plugin-rejected")).to_be_visible(timeout=30_000)
    ui.errors.clear()  # the browser logs the 422 answer itself

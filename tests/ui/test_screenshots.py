"""Screenshots of every page at desktop and phone widths, light and dark, into
target/ui-screenshots (the README shows two of them). Each page must render its main
content without errors at both widths."""

import pytest
from playwright.sync_api import expect

from conftest import open_page

PAGES = {
    "library": ("/#/library", "grid"),
    "resource": ("/#/resource/DEMO-001", "resource"),
    "add": ("/#/add", "add-codes"),
    "people": ("/#/people", None),
    "tags": ("/#/tags", None),
    "queue": ("/#/queue", "counts"),
    "plugins": ("/#/plugins", "plugin"),
    "schedules": ("/#/schedules", None),
    "reports": ("/#/reports", None),
    "settings": ("/#/settings", "server-config"),
}
SIZES = {"desktop": (1280, 800), "phone": (360, 740)}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_renders(browser, kura, size, scheme):
    kura.api("POST", "/api/resource?wait=60", {"code": "DEMO-001"})
    width, height = SIZES[size]
    ui = open_page(browser, kura, width=width, height=height, scheme=scheme)
    page = ui.page
    for name, (path, testid) in PAGES.items():
        page.goto(path)
        if testid:
            expect(page.get_by_test_id(testid).first).to_be_visible()
        else:
            expect(page.locator("main h1").first).to_be_visible()
        page.wait_for_load_state("networkidle")
        # Covers and avatars on screen are in the picture, not still loading (lazy ones
        # below the fold never load).
        # (A function, not an expression: the page's policy forbids evaluating text.)
        page.wait_for_function(
            "() => [...document.images]"
            ".filter((i) => i.getBoundingClientRect().top < innerHeight)"
            ".every((i) => i.complete)"
        )
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{name} is wider than the {size} screen by {overflow} px"
        ui.shot(f"{name}-{size}-{scheme}")
    assert ui.errors == [], ui.errors
    assert ui.foreign_requests() == []
    page.context.close()

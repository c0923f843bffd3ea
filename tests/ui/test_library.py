"""The library in a real browser: add codes and see them in the grid, search, filter,
keep the view in the URL, open a resource."""

import re

from playwright.sync_api import expect


def test_codes_added_on_the_add_page_appear_in_the_grid(ui, kura):
    page = ui.page
    page.goto("/#/add")
    page.get_by_test_id("add-codes").fill("DEMO-001 DEMO-002, DEMO-030")
    page.get_by_role("button", name=re.compile("Add 3 codes")).click()
    added = page.locator('[data-testid="add-result"][data-code="DEMO-001"]')
    expect(added).to_have_attribute("data-state", "added", timeout=60_000)
    expect(page.locator('[data-testid="add-result"][data-code="DEMO-002"]')).to_have_attribute(
        "data-state", "added", timeout=60_000
    )
    # DEMO-030 is on neither site: the page says which source missed.
    missing = page.locator('[data-testid="add-result"][data-code="DEMO-030"]')
    expect(missing).to_have_attribute("data-state", "not_found", timeout=60_000)
    lookups = missing.get_by_test_id("lookups")
    expect(lookups).to_contain_text("fixture-alpha")
    expect(lookups).to_contain_text("fixture-beta")
    page.goto("/#/library")
    expect(page.locator('[data-testid="card"][data-code="DEMO-001"]')).to_be_visible()
    expect(page.locator('[data-testid="card"][data-code="DEMO-002"]')).to_be_visible()
    ui.shot("add-desktop-light")


def test_search_filters_and_the_back_button_keep_the_view_in_the_url(ui, kura):
    for code in ["DEMO-003", "DEMO-010", "DEMO-012"]:
        kura.api("POST", "/api/resource?wait=60", {"code": code})
    page = ui.page
    page.goto("/#/library")
    cards = page.get_by_test_id("card")
    expect(cards.first).to_be_visible()
    search = page.get_by_role("searchbox", name="Search")
    search.fill("DEMO-01")
    expect(page).to_have_url(re.compile(r"search=DEMO-01"))
    expect(page.locator('[data-testid="card"][data-code="DEMO-010"]')).to_be_visible()
    expect(page.locator('[data-testid="card"][data-code="DEMO-003"]')).to_have_count(0)
    # A bookmark of this view opens the same view.
    bookmarked = page.url
    page.goto("/#/queue")
    page.goto(bookmarked)
    expect(page.get_by_role("searchbox", name="Search")).to_have_value("DEMO-01")
    expect(page.locator('[data-testid="card"][data-code="DEMO-003"]')).to_have_count(0)
    page.get_by_test_id("sort").select_option("code")
    expect(page).to_have_url(re.compile(r"sort=code"))
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"sort=code"))
    expect(page.get_by_role("searchbox", name="Search")).to_have_value("DEMO-01")
    page.get_by_test_id("filter-translation").select_option("completed")
    expect(page).to_have_url(re.compile(r"translation_status=completed"))


def test_a_card_opens_its_resource_with_titles_people_and_tags(ui, kura):
    kura.api("POST", "/api/resource?wait=60", {"code": "DEMO-005"})
    page = ui.page
    page.goto("/#/library?search=DEMO-005")
    page.locator('[data-testid="card"][data-code="DEMO-005"]').get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"#/resource/DEMO-005"))
    resource = page.get_by_test_id("resource")
    expect(resource).to_have_attribute("data-code", "DEMO-005")
    expect(page.get_by_test_id("titles")).to_be_visible()
    expect(page.get_by_test_id("fields")).to_contain_text("fixture-")
    expect(page.get_by_test_id("tag-link").first).to_be_visible()
    page.get_by_test_id("tag-link").first.click()
    expect(page).to_have_url(re.compile(r"#/library\?.*tag="))
    expect(page.locator('[data-testid="card"][data-code="DEMO-005"]')).to_be_visible()

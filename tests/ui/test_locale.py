"""The Chinese locale, chosen from the browser and switchable."""

from playwright.sync_api import expect

from conftest import open_page


def test_the_browser_language_picks_chinese_and_the_switch_goes_back(browser, kura):
    ui = open_page(browser, kura, locale="zh-CN")
    page = ui.page
    page.goto("/#/library")
    nav = page.get_by_role("navigation")
    expect(nav).to_contain_text("资源库")
    page.get_by_test_id("language").select_option("en")
    expect(nav).to_contain_text("Library")
    page.reload()
    expect(page.get_by_role("navigation")).to_contain_text("Library")
    assert ui.errors == []
    page.context.close()

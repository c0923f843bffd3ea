"""Signing in with the token when the server requires one: the login page, a wrong
token refused, then an HttpOnly cookie and no token in any URL."""

import re

from playwright.sync_api import expect

from conftest import open_page


def test_the_login_page_trades_the_token_for_a_cookie(browser, kura_with_token):
    ui = open_page(browser, kura_with_token)
    page = ui.page
    page.goto("/")
    login = page.get_by_test_id("login")
    expect(login).to_be_visible()
    login.get_by_label(re.compile("token", re.I)).fill("0" * 64)
    login.get_by_role("button").click()
    expect(page.get_by_test_id("login-error")).to_be_visible()
    login.get_by_label(re.compile("token", re.I)).fill(kura_with_token.token)
    login.get_by_role("button").click()
    search = page.get_by_role("searchbox", name="Search")
    expect(search).to_be_visible()
    expect(login).to_have_count(0)
    cookies = page.context.cookies()
    session = [c for c in cookies if c["name"] == "kura_session"]
    assert session and session[0]["httpOnly"] and session[0]["sameSite"] == "Strict", cookies
    assert not any(kura_with_token.token in url for url in ui.requests), "the token is in no URL"
    page.reload()
    expect(search).to_be_visible()
    expect(page.get_by_test_id("login")).to_have_count(0)
    assert ui.foreign_requests() == []
    page.context.close()

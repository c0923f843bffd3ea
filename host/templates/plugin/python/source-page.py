"""Pure page rules, tested natively (tests/test_page.py) before componentizing."""


def between(text: str, start: str, end: str) -> str | None:
    """The text between `start` and the next `end`, or None."""
    head, found, rest = text.partition(start)
    if not found:
        return None
    inner, found, _ = rest.partition(end)
    return inner if found else None


def title(text: str) -> str | None:
    """The page's <title> without the site's suffix."""
    value = between(text, "<title>", "</title>")
    if value is None:
        return None
    return value.removesuffix(" - Alpha").strip() or None

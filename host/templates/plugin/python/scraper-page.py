"""Pure page rules, tested natively (tests/test_page.py) before componentizing."""
import json
import re
from urllib.parse import urljoin

MOVIE_TYPES = {"Movie", "VideoObject"}
SCRIPT = re.compile(r'<script[^>]*type="application/ld\+json"[^>]*>(.*?)</script>', re.S)
DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$", re.I)


def movie(text: str) -> dict | None:
    """The first JSON-LD object of a movie type on the page."""
    for block in SCRIPT.findall(text):
        try:
            data = json.loads(block)
        except ValueError:
            continue
        items = data if isinstance(data, list) else [data, *data.get("@graph", [])]
        for item in items:
            types = item.get("@type") if isinstance(item, dict) else None
            types = types if isinstance(types, list) else [types]
            if MOVIE_TYPES.intersection(t for t in types if isinstance(t, str)):
                return item
    return None


def seconds(duration) -> int | None:
    """ISO 8601 `PT1H22M` as seconds."""
    match = DURATION.match(duration or "")
    if not match or len(duration) <= 2:
        return None
    hours, minutes, secs = (int(part or 0) for part in match.groups())
    return (hours * 60 + minutes) * 60 + secs


def _text(value) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _name(value) -> str | None:
    return _text(value.get("name")) if isinstance(value, dict) else _text(value)


def _list(value) -> list:
    return value if isinstance(value, list) else ([] if value is None else [value])


def metadata(item: dict, page_url: str) -> dict:
    """The metadata fields (types.wit, people as tuples) of a JSON-LD movie."""
    image = item.get("image")
    image = _text(image.get("url")) if isinstance(image, dict) else _text((_list(image) or [None])[0])
    date = _text(item.get("datePublished"))
    people = []
    for actor in _list(item.get("actor")):
        name = _name(actor)
        if name:
            extra = actor if isinstance(actor, dict) else {}
            people.append((name, _text(extra.get("url")), _text(extra.get("image"))))
    return {
        "title": _text(item.get("name")),
        "original_title": None,
        "release_date": date[:10] if date else None,
        "duration_seconds": seconds(item.get("duration")),
        "studio": _name(item.get("productionCompany")),
        "label": None,
        "series": None,
        "description": _text(item.get("description")),
        "cover_url": urljoin(page_url, image) if image else None,
        "people": people,
        "tags": [tag for tag in map(_text, _list(item.get("genre"))) if tag],
    }

"""Turning a page's schema.org JSON-LD (Movie/VideoObject) and OpenGraph tags into metadata.

Pure functions over HTML text, standard library only (html.parser, json, urllib.parse), so
they run natively in tests (tests/test_read.py) and inside the component (app.py) alike.
They mirror the Rust SDK's `jsonld`, `opengraph` and `urls` helpers and the Rust `jsonld`
plugin's `read::metadata`, field for field.

`read_metadata(code, page, page_url)` returns a plain dict with the WIT `metadata` record's
fields (snake_case) or raises `NoMetadata` when the page has neither JSON-LD nor OpenGraph.
"""
import json
import math
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit, urlunsplit

MOVIE_TYPES = ("Movie", "VideoObject")
U32_MAX = 2**32 - 1


class NoMetadata(Exception):
    """The page has no JSON-LD Movie/VideoObject and no OpenGraph tag."""


# --- HTML -------------------------------------------------------------------------------


class _PageParser(HTMLParser):
    """Collects the text of <script type="application/ld+json"> and og:* meta tags."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ld_blocks = []  # raw script texts
        self.og = []  # (name without "og:", content) in document order
        self._in_ld = False
        self._buffer = []

    def handle_starttag(self, tag, attrs):
        attributes = {}
        for name, value in attrs:
            attributes.setdefault(name, value)  # the first of a repeated attribute wins
        if tag == "script":
            kind = (attributes.get("type") or "").strip().lower()
            self._in_ld = kind == "application/ld+json"
            self._buffer = []
        elif tag == "meta":
            key = attributes.get("property") or attributes.get("name")
            content = attributes.get("content")
            if key is None or content is None:
                return
            key = key.strip()
            content = content.strip()
            if key.startswith("og:") and content:
                self.og.append((key[3:], content))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self._in_ld = False

    def handle_data(self, data):
        if self._in_ld:
            self._buffer.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._in_ld:
            self.ld_blocks.append("".join(self._buffer))
            self._in_ld = False
            self._buffer = []


def parse_page(page):
    """(JSON-LD blocks that parse as JSON, OpenGraph pairs) of an HTML page."""
    parser = _PageParser()
    parser.feed(page)
    parser.close()
    blocks = []
    for text in parser.ld_blocks:
        try:
            blocks.append(json.loads(text.strip()))
        except ValueError:
            continue  # invalid blocks are skipped
    return blocks, parser.og


# --- JSON-LD ----------------------------------------------------------------------------


def has_type(value, types):
    """Whether an object's @type (a string or a list) names one of `types`
    (`schema:Movie` and full IRIs match too), ignoring ASCII case."""
    if not isinstance(value, dict):
        return False
    wanted = {t.lower() for t in types}

    def matches(name):
        # The part after the last '/', ':' or '#', like Rust's `rsplit(['/', ':', '#']).next()`.
        last = max(name.rfind("/"), name.rfind(":"), name.rfind("#"))
        short = name[last + 1:]
        return short.lower() in wanted

    found = value.get("@type")
    if isinstance(found, str):
        return matches(found)
    if isinstance(found, list):
        return any(matches(name) for name in found if isinstance(name, str))
    return False


def find_by_type(blocks, types):
    """Every object whose @type is one of `types`, through arrays, @graph and nested values,
    in document order."""
    found = []

    def walk(value):
        if isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            if has_type(value, types):
                found.append(value)
            for key, nested in value.items():
                if key not in ("@type", "@context"):
                    walk(nested)

    for block in blocks:
        walk(block)
    return found


def text(value):
    """A string, a number, or the first of a list of them; trimmed, never blank."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        result = value.strip()
    elif isinstance(value, (int, float)):
        result = str(value)
    elif isinstance(value, list):
        for item in value:
            found = text(item)
            if found is not None:
                return found
        return None
    elif isinstance(value, dict):
        inner = value.get("name")
        return text(inner if inner is not None else value.get("@value"))
    else:
        return None
    return result or None


def texts(value):
    """Every string of a string-or-list value (a comma-separated string is split)."""
    if isinstance(value, list):
        return [t for t in (text(item) for item in value) if t is not None]
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    single = text(value)
    return [single] if single is not None else []


def url_of(value):
    """An image-ish value: a URL string, an ImageObject (url/contentUrl), or a list."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, list):
        for item in value:
            found = url_of(item)
            if found is not None:
                return found
        return None
    if isinstance(value, dict):
        inner = value.get("url")
        return url_of(inner if inner is not None else value.get("contentUrl"))
    return None


def people(value):
    """Person or organisation references ({name, url, image}) from an object, a string, or
    a list of them."""

    def one(item):
        if isinstance(item, str):
            name = item.strip()
            return {"name": name, "url": None, "image": None} if name else None
        if isinstance(item, dict):
            name = text(item.get("name"))
            if name is None:
                return None
            url = text(item.get("url"))
            if url is None:
                identifier = text(item.get("@id"))
                url = identifier if identifier and identifier.startswith("http") else None
            return {"name": name, "url": url, "image": url_of(item.get("image"))}
        return None

    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [p for p in (one(item) for item in items) if p is not None]


def iso_date(value):
    """The YYYY-MM-DD prefix of an ISO 8601 date or date-time, else None."""
    if value is None:
        return None
    date = value.strip()[:10]
    if len(date) != 10 or not date.isascii():
        return None
    for index, char in enumerate(date):
        if index in (4, 7):
            if char != "-":
                return None
        elif not char.isdigit():
            return None
    return date


def parse_duration(value):
    """An ISO 8601 duration (PT2H5M30S, PT125M, P1DT2H, PT90.5S) in whole seconds; years and
    months are refused (their length varies)."""
    if value is None:
        return None
    rest = value.strip()
    if not rest or rest[0] not in "Pp":
        return None
    rest = rest[1:]
    seconds = 0.0
    in_time = False
    number = ""
    any_unit = False
    for char in rest:
        upper = char.upper()
        if upper == "T" and not number:
            in_time = True
        elif char in "0123456789.,":
            number += "." if char == "," else char
        else:
            try:
                amount = float(number)
            except ValueError:
                return None
            number = ""
            any_unit = True
            unit = {
                ("W", False): 604_800,
                ("D", False): 86_400,
                ("H", True): 3_600,
                ("M", True): 60,
                ("S", True): 1,
            }.get((upper, in_time))
            if unit is None:
                return None
            seconds += amount * unit
    if number or not any_unit or seconds > U32_MAX:
        return None
    return int(math.floor(seconds + 0.5))  # Rust's round(): halves away from zero


def read_movie(value):
    """The fields of a Movie/VideoObject that Kura uses."""
    companies = people(value.get("productionCompany"))
    date = value.get("datePublished")
    if date is None:
        date = value.get("uploadDate")
    actors = value.get("actor")
    if actors is None:
        actors = value.get("actors")
    image = value.get("image")
    if image is None:
        image = value.get("thumbnailUrl")
    return {
        "name": text(value.get("name")),
        "alternate_name": text(value.get("alternateName")),
        "date_published": iso_date(text(date)),
        "duration_seconds": parse_duration(text(value.get("duration"))),
        "actors": people(actors),
        "directors": people(value.get("director")),
        "genres": texts(value.get("genre")),
        "production_company": companies[0]["name"] if companies else None,
        "image": url_of(image),
        "description": text(value.get("description")),
        "url": text(value.get("url")),
    }


# --- URLs -------------------------------------------------------------------------------


def _normalise(url):
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    path = parts.path
    if parts.scheme.lower() in ("http", "https") and not path:
        path = "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, parts.fragment))


def join(base, href):
    """Resolves `href` against `base`; None when either is unusable. An absolute `href` is
    returned normalised (lower-case scheme and host, `/` for an empty path)."""
    href = (href or "").strip()
    if not href:
        return None
    if _normalise(base or "") is None:
        return _normalise(href)
    try:
        return _normalise(urljoin(base, href))
    except ValueError:
        return None


# --- metadata ---------------------------------------------------------------------------


def _og_get(og, name):
    for key, value in og:
        if key == name:
            return value
    return None


def _og_all(og, name):
    return [value for key, value in og if key == name]


def read_metadata(code, page, page_url):
    """The metadata of `page`, fetched from `page_url` (the final URL after redirects), as a
    dict with the WIT `metadata` record's fields. JSON-LD first, OpenGraph as the fallback."""
    blocks, og = parse_page(page)
    movies = find_by_type(blocks, MOVIE_TYPES)
    if not movies and not og:
        raise NoMetadata(f"no JSON-LD movie and no OpenGraph tags on {page_url}")
    movie = read_movie(movies[0]) if movies else read_movie({})

    alternate = movie["alternate_name"]
    if alternate is not None and alternate.lower() == code.lower():
        alternate = None  # the code itself is not an original title

    release_date = movie["date_published"] or iso_date(_og_get(og, "video:release_date"))

    duration = movie["duration_seconds"]
    if duration is None:
        raw = _og_get(og, "video:duration")
        if raw is not None and raw.isascii() and raw.isdigit() and int(raw) <= U32_MAX:
            duration = int(raw)

    cover = movie["image"] or _og_get(og, "image") or _og_get(og, "image:url")

    persons = [
        {
            "name": actor["name"],
            "page_url": join(page_url, actor["url"]) if actor["url"] else None,
            "avatar_url": join(page_url, actor["image"]) if actor["image"] else None,
        }
        for actor in movie["actors"]
    ]
    if not persons:
        persons = [{"name": name, "page_url": None, "avatar_url": None} for name in _og_all(og, "video:actor")]

    tags = movie["genres"] or _og_all(og, "video:tag")

    return {
        "code": code,
        "page_url": page_url,
        "title": movie["name"] or _og_get(og, "title"),
        "original_title": alternate,
        "release_date": release_date,
        "duration_seconds": duration,
        "studio": movie["production_company"],
        "label": None,
        "series": None,
        "description": movie["description"] or _og_get(og, "description"),
        "cover_url": join(page_url, cover) if cover else None,
        "people": persons,
        "tags": tags,
    }

"""{{name}}: a scraper for pages that describe a video with schema.org JSON-LD (a Movie or
VideoObject), such as the Kura fixture site's {domain}/{CODE} pages. Replace the reading
rules (page.py) with your site's.

WIT -> Python (componentize-py): see the source template's notes in README.md.
"""
from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import http, settings, types

import page


class Scraper(exports.Scraper):
    def scrape(self, code: str, page_url: str | None) -> types.Metadata:
        url = page_url if page_url and code in page_url else f"{settings.get('domain')}/{code}"
        request = http.Request(http.Method.GET, url, [("Accept", "text/html")], None, None, None)
        try:
            response = http.fetch(request)
        except Err as error:
            raise Err(types.Error_Network(f"{type(error.value).__name__}: {getattr(error.value, 'value', '')}"))
        if response.status == 404:
            raise Err(types.Error_NotFound(code))
        if response.status in (401, 403):
            raise Err(types.Error_Blocked(f"HTTP {response.status}"))
        if response.status >= 400:
            raise Err(types.Error_Network(f"HTTP {response.status} from {url}"))
        movie = page.movie(response.body.decode("utf-8", "replace"))
        if movie is None:
            raise Err(types.Error_Parse(f"no JSON-LD movie on {url}"))
        fields = page.metadata(movie, response.final_url)
        people = [types.Person(name, url, image) for name, url, image in fields.pop("people")]
        return types.Metadata(code=code, page_url=response.final_url, people=people, **fields)

    def avatar(self, name: str) -> str | None:
        raise Err(types.Error_Unsupported(f"avatar ({name})"))

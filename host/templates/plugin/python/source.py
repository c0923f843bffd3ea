"""{{name}}: a source for the Kura fixture site's "alpha" pages. It reads {domain}/v/{CODE},
where the page names its HLS playlist in a script (`var hlsUrl = "...";`). Replace the
page rules (page.py) with your site's.

WIT -> Python (componentize-py): the exported interface is a class named after it with
methods taking `self`; records are dataclasses with snake_case fields; an `option` is a
value or None; an error of a `result` is raised as `Err(types.Error_NotFound("..."))`;
an import's error arrives as a raised `Err` whose `.value` is the variant.
"""
from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import http, settings, types

import page


class Source(exports.Source):
    def resolve(self, code: str) -> types.StreamHit:
        page_url = f"{settings.get('domain')}/v/{code}"
        request = http.Request(http.Method.GET, page_url, [("Accept", "text/html")], None, None, None)
        try:
            response = http.fetch(request)
        except Err as error:
            raise Err(types.Error_Network(f"{type(error.value).__name__}: {getattr(error.value, 'value', '')}"))
        if response.status == 404:
            raise Err(types.Error_NotFound(code))
        if response.status >= 400:
            raise Err(types.Error_Network(f"HTTP {response.status} from {page_url}"))
        text = response.body.decode("utf-8", "replace")
        playlist_url = page.between(text, 'var hlsUrl = "', '"')
        if playlist_url is None:
            raise Err(types.Error_Parse(f"no hlsUrl on {page_url}"))
        title = page.title(text)
        # The site checks where its stream is played from.
        return types.StreamHit(page_url, playlist_url, title, None, [("Referer", page_url)])

    def search(self, query: str) -> list[types.SearchHit]:
        raise Err(types.Error_Unsupported(f"search ({query})"))

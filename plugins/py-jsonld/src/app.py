"""A Kura scraper plugin in Python: schema.org JSON-LD (Movie/VideoObject), OpenGraph as the
fallback, from `page-url` when the host passes one, else from the `url_template` setting.
The Python twin of plugins/jsonld (Rust); the reading itself is in jsonld_read.py.

WIT -> Python, as componentize-py 0.25.1 binds it (`componentize-py -d wit -w scraper-plugin
bindings bindings/` writes the modules to read):
  export interface   a class named after it (`Scraper`) subclassing wit_world.exports.Scraper;
                     methods take `self`
  result<T, error>   return T for ok; `raise componentize_py_types.Err(types.Error_Parse("..."))`
                     for err. An imported function's err arrives the same way: it raises Err,
                     with the variant in `.value`
  variant            one dataclass per case, `<Variant>_<Case>` with `.value` (no field for a
                     case without payload: http.FetchError_Timeout()); match with isinstance
  enum               a Python Enum: http.Method.GET, log.Level.DEBUG
  record             a dataclass, fields in snake_case, every field positional or by keyword
  option<T>          T or None (option<option<T>> would use componentize_py_types.Some)
  list<u8>           bytes;  tuple<string, string>  a Python tuple
"""
from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import http, log, settings, types

import jsonld_read


def _log(level, message):
    log.log(level, message)


def _fetch_error_message(error):
    """`kind: detail` or `kind`, as the Rust SDK writes a fetch error."""
    kinds = {
        http.FetchError_Denied: "denied",
        http.FetchError_InvalidUrl: "invalid-url",
        http.FetchError_Timeout: "timeout",
        http.FetchError_TooLarge: "too-large",
        http.FetchError_TooManyRedirects: "too-many-redirects",
        http.FetchError_BudgetExhausted: "budget-exhausted",
        http.FetchError_Network: "network",
    }
    kind = kinds.get(type(error), "network")
    detail = getattr(error, "value", None)
    return kind if detail is None else f"{kind}: {detail}"


def _status_error(status, url):
    """The plugin error for a non-2xx answer (as the Rust SDK's error_for_status), or None."""
    detail = f"HTTP {status} from {url}"
    if 200 <= status <= 299:
        return None
    if status in (401, 403, 429):
        return types.Error_Blocked(detail)
    if status in (404, 410):
        return types.Error_NotFound(detail)
    if 500 <= status <= 599:
        return types.Error_Network(detail)
    return types.Error_Other(detail)


def _page_url(code, page_url):
    if page_url is not None and page_url.strip():
        return page_url
    template = settings.get("url_template")
    if template is None or not template.strip():
        raise Err(types.Error_InvalidInput("the setting `url_template` is not set"))
    return template.replace("{code}", code)


def _metadata(record):
    """The WIT record from jsonld_read's dict."""
    fields = dict(record)
    fields["people"] = [types.Person(**person) for person in record["people"]]
    return types.Metadata(**fields)


def _scrape(code, page_url):
    url = _page_url(code, page_url)
    request = http.Request(
        method=http.Method.GET,
        url=url,
        headers=[("Accept", "text/html")],
        body=None,
        timeout_ms=None,
        follow_redirects=None,
    )
    try:
        response = http.fetch(request)
    except Err as failure:
        raise Err(types.Error_Network(_fetch_error_message(failure.value)))
    error = _status_error(response.status, response.final_url)
    if error is not None:
        raise Err(error)
    page = bytes(response.body).decode("utf-8", "replace")
    try:
        record = jsonld_read.read_metadata(code, page, response.final_url)
    except jsonld_read.NoMetadata as missing:
        raise Err(types.Error_Parse(str(missing)))
    _log(
        log.Level.DEBUG,
        f"{code}: {len(page)} characters from {response.final_url}, "
        f"{len(record['people'])} people, {len(record['tags'])} tags",
    )
    return _metadata(record)


def _describe(error):
    """The exception and the lines it passed through, innermost first.

    Not traceback.format_exc(): it reads the source lines from the file system (linecache),
    and with --stub-wasi that traps before anything is logged.
    """
    frames = []
    trace = error.__traceback__
    while trace is not None:
        code = trace.tb_frame.f_code
        frames.append(f"{code.co_filename}:{trace.tb_lineno} in {code.co_name}")
        trace = trace.tb_next
    return f"{type(error).__name__}: {error} (at {' < '.join(reversed(frames))})"


class Scraper(exports.Scraper):
    def scrape(self, code, page_url):
        try:
            return _scrape(code, page_url)
        except Err:
            raise
        except Exception as error:
            # A bug: with --stub-wasi there is no stderr, so the trace goes to the host's log
            # before the call traps.
            _log(log.Level.ERROR, _describe(error)[-2000:])
            raise

    def avatar(self, name):
        raise Err(types.Error_Unsupported("this scraper has no people pages"))

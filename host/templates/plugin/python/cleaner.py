"""The component's entry: exports `kura:plugin/cleaner` (as the class `Cleaner`) and wraps the
pure rules of rules.py with the host's `log` and `settings` imports. The Python twin of
plugins/js-cleaner/src/component.js.

WIT -> Python, as componentize-py 0.25.1 binds it (`componentize-py -d wit -w cleaner-plugin
bindings bindings/` writes the modules to read):
  export interface   a class named after it (`Cleaner`) subclassing wit_world.exports.Cleaner;
                     methods take `self`
  result<T, error>   return T for ok; `raise componentize_py_types.Err(types.Error_InvalidInput(
                     "..."))` for err
  enum               a Python Enum: log.Level.DEBUG
  option<string>     the string, or None
"""
from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import log, settings, types

import rules


def _describe(error: BaseException) -> str:
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


def _clean(raw: str) -> str:
    extra_labels = rules.parse_labels(settings.get("extra_labels"))
    steps: list[str] = []
    title = rules.clean_title(raw, extra_labels, steps)
    if not title:
        log.log(log.Level.DEBUG, f"nothing usable in {len(raw)} characters")
        raise Err(types.Error_InvalidInput("no title left after cleaning"))
    if steps:
        # Each rule once, in the order it first applied.
        log.log(log.Level.DEBUG, f"cleaned by {', '.join(dict.fromkeys(steps))}")
    return title


class Cleaner(exports.Cleaner):
    def clean(self, raw: str) -> str:
        try:
            return _clean(raw)
        except Err:
            raise
        except Exception as error:
            # A bug: with --stub-wasi there is no stderr, so where it happened goes to the
            # host's log before the call traps.
            log.log(log.Level.ERROR, _describe(error)[-2000:])
            raise

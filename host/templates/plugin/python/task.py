"""{{name}}: a task plugin. It walks the library page by page and queues a stream-only
`refresh_resource` for every resource last written more than `older_than_days` ago,
reporting progress and stopping when cancelled. Replace the rule (rules.py) with your task.

WIT -> Python (componentize-py): the export returns the result as JSON text; an import's
error arrives as a raised `Err`; see README.md.
"""
import json

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import library, task_context, types

import rules


class Task(exports.Task):
    def run(self, payload: str) -> str:
        options = rules.Options.from_payload(json.loads(payload), task_context.now_ms())
        query = library.Query(None, options.source, None)
        report = {"checked": 0, "queued": 0, "refused": [], "cancelled": False}
        page = 1
        while True:
            if task_context.cancelled():
                report["cancelled"] = True
                break
            try:
                items = library.find(query, page, 200)
            except Err as error:
                # The library could not be read now: a `network` error, so it is retried.
                raise Err(types.Error_Network(f"the library: {error.value}"))
            if not items:
                break
            for code in options.stale_codes(items, report):
                body = json.dumps({"code": code, "refresh_m3u8": True, "refresh_metadata": False})
                try:
                    task_context.submit("refresh_resource", body)
                    report["queued"] += 1
                except Err as error:
                    report["refused"].append(f"{code}: {error.value}")
            task_context.progress(report["checked"], None, f"{report['checked']} checked, {report['queued']} queued")
            if report["queued"] >= options.limit:
                break
            page += 1
        return json.dumps(report)

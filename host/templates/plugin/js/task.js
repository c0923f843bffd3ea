// {{name}}: a task plugin. It walks the library page by page and queues a stream-only
// `refresh_resource` for every resource last written more than `older_than_days` ago,
// reporting progress and stopping when cancelled. Replace the rule with your task.
//
// WIT -> JavaScript (componentize-js): an s64 (updatedAtMs, nowMs) is a BigInt; the
// export returns the result as JSON text; see README.md.
import { progress, cancelled, nowMs, submit } from 'kura:plugin/task-context@{{wit}}';
import { find } from 'kura:plugin/library@{{wit}}';
import { options, staleCodes } from './rules.js';

export const task = {
  run(payload) {
    const opts = options(JSON.parse(payload), nowMs());
    const query = { search: undefined, source: opts.source, downloaded: undefined };
    const report = { checked: 0, queued: 0, refused: [], cancelled: false };
    for (let page = 1; ; page += 1) {
      if (cancelled()) {
        report.cancelled = true;
        break;
      }
      let items;
      try {
        items = find(query, page, 200);
      } catch (e) {
        // The library could not be read now: a `network` error, so the attempt is retried.
        throw { tag: 'network', val: `the library: ${e.payload ?? e}` };
      }
      if (items.length === 0) break;
      for (const code of staleCodes(opts, items, report)) {
        try {
          submit('refresh_resource', JSON.stringify({ code, refresh_m3u8: true, refresh_metadata: false }));
          report.queued += 1;
        } catch (e) {
          report.refused.push(`${code}: ${e.payload ?? e}`);
        }
      }
      progress(BigInt(report.checked), undefined, `${report.checked} checked, ${report.queued} queued`);
      if (report.queued >= opts.limit) break;
    }
    return JSON.stringify(report);
  },
};

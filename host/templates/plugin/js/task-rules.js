// Pure task rules, tested with node (test.js) before componentizing.

const DAY_MS = 86_400_000n;

/** The payload's options at `now` (a BigInt of milliseconds). */
export function options(payload, now) {
  const days = BigInt(Math.max(0, payload.older_than_days ?? 7));
  return { cutoff: now - days * DAY_MS, source: payload.source, limit: payload.limit ?? 1000 };
}

/** The codes of the stale items of one page, within the limit; counts what it read. */
export function staleCodes(opts, items, report) {
  report.checked += items.length;
  const room = Math.max(0, opts.limit - report.queued);
  return items.filter((item) => BigInt(item.updatedAtMs) < opts.cutoff).map((item) => item.code).slice(0, room);
}

// Pure page rules, tested with node (test.js) before componentizing.

/** The text between `start` and the next `end`, or undefined. */
export function between(text, start, end) {
  const from = text.indexOf(start);
  if (from < 0) return undefined;
  const rest = text.slice(from + start.length);
  const to = rest.indexOf(end);
  return to < 0 ? undefined : rest.slice(0, to);
}

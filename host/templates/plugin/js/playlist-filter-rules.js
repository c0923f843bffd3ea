// Pure playlist rules, tested with node (test.js) before componentizing.

/** Every line outside CUE-OUT..CUE-IN, without the discontinuities around a break. */
export function dropBreaks(text) {
  const kept = [];
  let inBreak = false;
  let afterBreak = false;
  for (const line of text.split('\n')) {
    const tag = line.trim();
    if (tag === '') continue;
    if (tag.startsWith('#EXT-X-CUE-OUT') && !tag.startsWith('#EXT-X-CUE-OUT-CONT')) {
      inBreak = true;
      if (kept.at(-1) === '#EXT-X-DISCONTINUITY') kept.pop();
    } else if (tag.startsWith('#EXT-X-CUE-IN')) {
      inBreak = false;
      afterBreak = true;
    } else if (inBreak) {
      // Keys and maps apply after the break too.
      if (tag.startsWith('#EXT-X-KEY') || tag.startsWith('#EXT-X-MAP')) kept.push(line);
    } else if (afterBreak && tag === '#EXT-X-DISCONTINUITY') {
      afterBreak = false;
    } else {
      afterBreak = false;
      kept.push(line);
    }
  }
  return kept.join('\n') + '\n';
}

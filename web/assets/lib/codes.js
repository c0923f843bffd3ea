// Reading catalog codes typed or pasted by people: split on whitespace, commas and
// semicolons, duplicates (ignoring case) dropped, order kept. Pure.

export function splitCodes(text) {
  const seen = new Set();
  const codes = [];
  for (const part of String(text || '').split(/[\s,;，、；]+/)) {
    const code = part.trim();
    if (!code) continue;
    const key = code.toUpperCase();
    if (seen.has(key)) continue;
    seen.add(key);
    codes.push(code);
  }
  return codes;
}

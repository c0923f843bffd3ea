// Display formats for sizes, speeds, clock durations, percentages and times.
// Pure: the locale (and "now" for relative times) is passed in.

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
const DASH = '—';

function finite(value) {
  return typeof value === 'number' && Number.isFinite(value);
}

/** 1536 -> "1.5 KiB"; one decimal under 10 units, none above. */
export function formatBytes(bytes, locale = 'en') {
  if (!finite(bytes)) return DASH;
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  const text = new Intl.NumberFormat(locale, {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(value);
  return `${bytes < 0 ? '-' : ''}${text} ${BYTE_UNITS[unit]}`;
}

/** Bytes per second -> "2.4 MiB/s". */
export function formatSpeed(bytesPerSecond, locale = 'en') {
  if (!finite(bytesPerSecond) || bytesPerSecond < 0) return DASH;
  return `${formatBytes(bytesPerSecond, locale)}/s`;
}

/** Seconds -> "4:05" or "1:02:03" (video lengths and times left). */
export function formatClock(seconds) {
  if (!finite(seconds) || seconds < 0) return DASH;
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
}

/** Seconds left of a task; an estimate beyond 99 hours is not worth showing. */
export function formatEta(seconds) {
  if (!finite(seconds) || seconds < 0 || seconds > 99 * 3600) return DASH;
  return formatClock(Math.ceil(seconds));
}

/** A fraction of 1 or a percentage -> "42%". */
export function formatPercent(percent, locale = 'en') {
  if (!finite(percent)) return DASH;
  const clamped = Math.min(100, Math.max(0, percent));
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 }).format(
    Math.floor(clamped) / 100,
  );
}

export function formatNumber(value, locale = 'en') {
  if (!finite(value)) return DASH;
  return new Intl.NumberFormat(locale).format(value);
}

/** Milliseconds since the epoch, or an ISO/RFC 3339 text, as a Date; null if neither. */
export function toDate(value) {
  if (value == null || value === '') return null;
  const date = typeof value === 'number' ? new Date(value) : new Date(String(value));
  return Number.isNaN(date.getTime()) ? null : date;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** A calendar date; a date-only text ("2019-01-12") is read in UTC so it never shifts a day. */
export function formatDate(value, locale = 'en') {
  const date = toDate(value);
  if (!date) return DASH;
  const utc = typeof value === 'string' && DATE_ONLY.test(value);
  return new Intl.DateTimeFormat(locale, {
    dateStyle: 'medium',
    ...(utc ? { timeZone: 'UTC' } : {}),
  }).format(date);
}

export function formatDateTime(value, locale = 'en', timeZone) {
  const date = toDate(value);
  if (!date) return DASH;
  return new Intl.DateTimeFormat(locale, {
    dateStyle: 'medium',
    timeStyle: 'short',
    ...(timeZone ? { timeZone } : {}),
  }).format(date);
}

const RELATIVE_STEPS = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 30],
  ['month', 12],
  ['year', Infinity],
];

/** "3 minutes ago", "in 2 hours" relative to `now` (ms). */
export function formatRelative(value, now, locale = 'en') {
  const date = toDate(value);
  if (!date || !finite(now)) return DASH;
  let amount = (date.getTime() - now) / 1000;
  const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  for (const [unit, size] of RELATIVE_STEPS) {
    if (Math.abs(amount) < size) return format.format(Math.round(amount), unit);
    amount /= size;
  }
  return DASH;
}

/** Milliseconds between two times: "0.4 s" under a minute, else a clock ("1:05"). */
export function formatElapsed(startMs, endMs) {
  if (!finite(startMs) || !finite(endMs) || endMs < startMs) return DASH;
  const seconds = (endMs - startMs) / 1000;
  return seconds < 60 ? `${seconds.toFixed(1)} s` : formatClock(seconds);
}

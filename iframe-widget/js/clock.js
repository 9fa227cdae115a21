// Timers against the server's clock: the server keeps time (F2), the panel only counts along.
// Elements with `data-since` show the time elapsed since that instant; with `data-until`, the
// time left until it. One ticker updates them all every second.

let offsetMs = 0;

/** Learns the server's time (`serverTime`, or an event's `createdAt`, which is never ahead). */
export function syncServerTime(iso, { onlyForward = false } = {}) {
  const server = Date.parse(iso);
  if (Number.isNaN(server)) return;
  const offset = server - Date.now();
  if (!onlyForward || offset > offsetMs) offsetMs = offset;
}

/** The server's time now, in milliseconds. */
export function serverNow() {
  return Date.now() + offsetMs;
}

/** `m:ss`, or `h:mm:ss` from an hour on. */
export function duration(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** A short local time or date for a card or a message. */
export function clockTime(iso, locale) {
  if (!iso) return '';
  const date = new Date(iso);
  const today = new Date(serverNow()).toDateString() === date.toDateString();
  return today
    ? date.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleString(locale, { day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit' });
}

/** `YYYY-MM-DD` of a local date, as a date input holds it. */
export function isoDay(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The local midnight starting `day` (`YYYY-MM-DD`, a date input's value), `plus` days later. */
export function midnight(day, plus = 0) {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y, m - 1, d + plus);
}

/** How far `zone`'s clocks are ahead of UTC at the instant `ms`, in milliseconds. */
function zoneOffset(zone, ms) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, Number(p.value)]),
  );
  const local = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return local - (ms - (ms % 1000));
}

/**
 * The midnight starting `day` (`YYYY-MM-DD`), `plus` days later, in the IANA `zone`: a report's
 * range counted in the zone the supervisor chose, whatever the browser's own.
 */
export function zonedMidnight(day, zone, plus = 0) {
  const [y, m, d] = day.split('-').map(Number);
  const wall = Date.UTC(y, m - 1, d + plus);
  // The offset at the guess, then at the answer: right across a change of offset too.
  const first = wall - zoneOffset(zone, wall);
  return new Date(wall - zoneOffset(zone, first));
}

/** IANA time zones the browser knows (for pickers), or just UTC where it cannot list them. */
export function timeZones() {
  return typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : ['UTC'];
}

/** Whether the browser knows `zone` as an IANA time zone. */
export function knownZone(zone) {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Updates every timer under `root` now. */
export function tick(root = document) {
  const now = serverNow();
  for (const element of root.querySelectorAll('[data-since]')) {
    element.textContent = duration(now - Date.parse(element.dataset.since));
  }
  for (const element of root.querySelectorAll('[data-until]')) {
    element.textContent = duration(Date.parse(element.dataset.until) - now);
  }
}

let ticker = null;

/** Starts the once-a-second ticker. */
export function startTicker() {
  ticker ??= setInterval(() => tick(), 1000);
}

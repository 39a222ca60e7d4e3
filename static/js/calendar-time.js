// Wall-clock time in the person's own time zone (which need not be the browser's): what
// the forms show and take, and the ISO strings with an offset that the API expects.
(function () {
  "use strict";
  const TC = (window.TrackerCalendar = window.TrackerCalendar || {});
  const pad = (n) => String(n).padStart(2, "0");

  function createTime(timeZone, locale) {
    const partsFormat = new Intl.DateTimeFormat("en-GB", {
      timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    });
    const dayFormat = new Intl.DateTimeFormat(locale, { timeZone, weekday: "short", day: "numeric", month: "short" });
    const timeFormat = new Intl.DateTimeFormat(locale, { timeZone, hour: "2-digit", minute: "2-digit", hour12: false });

    function parts(date) {
      const out = {};
      partsFormat.formatToParts(date).forEach((part) => { out[part.type] = Number(part.value); });
      return out;
    }

    // Minutes east of UTC in this zone at that instant (DST included).
    function offset(date) {
      const p = parts(date);
      const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
      return Math.round((asUtc - Math.floor(date.getTime() / 1000) * 1000) / 60000);
    }

    // "2026-03-02T16:00" for <input type="datetime-local">.
    function toInput(date) {
      const p = parts(date);
      return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}`;
    }

    function toDateInput(date) {
      return toInput(date).slice(0, 10);
    }

    // The instant a wall-clock reading in this zone means; re-checked once for DST edges.
    function fromInput(value) {
      const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value || "");
      if (!match) return null;
      const [, y, mo, d, h, mi] = match.map(Number);
      const wall = Date.UTC(y, mo - 1, d, h, mi);
      let instant = wall - offset(new Date(wall)) * 60000;
      const corrected = wall - offset(new Date(instant)) * 60000;
      if (corrected !== instant) instant = corrected;
      return new Date(instant);
    }

    // "2026-03-02T16:00:00+02:00": the API stores UTC but keeps what the person meant.
    function iso(date) {
      const minutes = offset(date);
      const sign = minutes < 0 ? "-" : "+";
      const abs = Math.abs(minutes);
      return `${toInput(date)}:00${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
    }

    // "Tue 3 Mar 16:00"
    function when(date) {
      return `${dayFormat.format(date)} ${timeFormat.format(date)}`;
    }

    // "Tue 3 Mar 16:00–17:00", with the end's day when it is another day.
    function range(start, end) {
      const sameDay = toDateInput(start) === toDateInput(end);
      return `${when(start)}–${sameDay ? timeFormat.format(end) : when(end)}`;
    }

    return { toInput, toDateInput, fromInput, iso, when, range, time: (date) => timeFormat.format(date) };
  }

  // "%(name)s" placeholders, as Django's translations write them.
  function interpolate(text, values) {
    return text.replace(/%\((\w+)\)s/g, (whole, name) => (name in values ? String(values[name]) : whole));
  }

  TC.createTime = createTime;
  TC.interpolate = interpolate;
})();

// Progressive enhancement: add the reader's own time next to each deadline, in the same
// style as the page ("5 December 2026, 12:00" / "2026년 12월 5일 21:00"). The server
// hands over the day's CLDR pattern and how day and time are joined (app/core/dates.py).
// Without JavaScript the deadline still shows in the statement's own, named time zone.
(function () {
  "use strict";
  var lang = document.documentElement.lang || undefined;

  function partsOf(when) {
    var parts = {};
    new Intl.DateTimeFormat(lang, {
      year: "numeric", month: "long", day: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    }).formatToParts(when).forEach(function (p) { parts[p.type] = p.value; });
    return parts;
  }

  function dayText(parts, pattern) {
    // The few CLDR fields a long date uses: y, MMMM, d, and 'quoted text'.
    return pattern.replace(/'([^']*)'|y+|M+|d+/g, function (token, quoted) {
      if (quoted !== undefined) return quoted;
      if (token[0] === "y") return parts.year;
      if (token[0] === "M") return parts.month;
      return String(Number(parts.day));
    });
  }

  document.querySelectorAll("time[data-local-time]").forEach(function (el) {
    var when = new Date(el.getAttribute("datetime"));
    if (isNaN(when)) return;
    var parts = partsOf(when);
    var hour = parts.hour === "24" ? "00" : parts.hour;
    var day = dayText(parts, el.dataset.dayPattern || "d MMMM y");
    var text = (el.dataset.joiner || "{1}, {0}")
      .replace("{1}", day).replace("{0}", hour + ":" + parts.minute);
    // Nothing to add when the reader's clock reads the same as the statement's.
    if (el.textContent.indexOf(text) === 0) return;
    var note = document.createElement("span");
    note.className = "local-time";
    note.textContent = " (" + (el.dataset.localLabel || "your time:") + " " + text + ")";
    el.after(note);
  });
})();

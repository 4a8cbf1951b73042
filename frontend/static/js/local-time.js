// Progressive enhancement: add the reader's own local time next to each deadline.
// Without JavaScript the deadline still shows in the statement's own time zone.
(function () {
  "use strict";
  var lang = document.documentElement.lang || undefined;
  document.querySelectorAll("time[data-local-time]").forEach(function (el) {
    var when = new Date(el.getAttribute("datetime"));
    if (isNaN(when)) return;
    var text = new Intl.DateTimeFormat(lang, {
      year: "numeric", month: "long", day: "numeric",
      hour: "2-digit", minute: "2-digit", timeZoneName: "short"
    }).format(when);
    var note = document.createElement("span");
    note.className = "local-time";
    note.textContent = " (" + (el.dataset.localLabel || "your time:") + " " + text + ")";
    el.after(note);
  });
})();

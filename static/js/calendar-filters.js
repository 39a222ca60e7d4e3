// Filters for those who see every tutor's schedule: each change refetches the calendar.
// (Tutors get no filters: the API only ever gives them their own sessions.)
(function () {
  "use strict";
  const TC = (window.TrackerCalendar = window.TrackerCalendar || {});

  function createFilters({ config, api, time, notify, onChange }) {
    const form = document.getElementById("calendar-filters");
    form.querySelectorAll("select[data-source]").forEach((select) => {
      api.choices[select.dataset.source]()
        .then((items) => TC.fillSelect(select, items))
        .catch((error) => notify(TC.describeError(error, config.strings, time)));
    });
    form.addEventListener("submit", (event) => event.preventDefault());
    form.addEventListener("change", onChange);
    // The reset event fires before the fields are cleared.
    form.addEventListener("reset", () => window.setTimeout(onChange));

    function values() {
      const out = {};
      new FormData(form).forEach((value, name) => { if (value) out[name] = value; });
      return out;
    }

    // The one tutor and/or student whose availability to show behind the sessions.
    function availabilityOf() {
      const { tutor, student } = values();
      if (!tutor && !student) return null;
      return { tutor, student };
    }

    return { values, availabilityOf };
  }

  TC.createFilters = createFilters;
})();

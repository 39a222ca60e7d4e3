// How a session looks on the calendar: its status colour (the CSS custom properties of
// app.css) AND its status symbol and word, so that colour is never the only signal.
(function () {
  "use strict";
  const TC = (window.TrackerCalendar = window.TrackerCalendar || {});

  function createRender(config) {
    const statuses = Object.fromEntries(config.statuses.map((status) => [status.value, status]));

    // One API session as a FullCalendar event; the session rides along for the dialog.
    function toEvent(session) {
      const movable = config.canManage && session.can_manage && session.status === "scheduled";
      return {
        id: String(session.id),
        title: session.title,
        start: session.start,
        end: session.end,
        // White text on these (the theme's contrast colour) passes AA; see calendar.css.
        color: `var(--status-${session.status})`,
        editable: movable,
        className: `cal-event cal-event--${session.status}`,
        extendedProps: { session },
      };
    }

    function toBackground(span) {
      const label = span.owner === "tutor" ? config.strings.tutorOwn : config.strings.studentOwn;
      return {
        start: span.start,
        end: span.end,
        display: "background",
        title: label,
        className: "cal-available",
        color: `var(--cal-available-${span.owner})`,
      };
    }

    function element(tag, className, text) {
      const el = document.createElement(tag);
      if (className) el.className = className;
      if (text) el.textContent = text;
      return el;
    }

    // eventContent: symbol (seen) + status word (heard; seen too in the list view) + time + title.
    function eventContent(arg) {
      const session = arg.event.extendedProps.session;
      if (!session) return true; // the mirror of a time being selected: FullCalendar's own
      const status = statuses[session.status];
      const isList = arg.view.type.startsWith("list");
      const marker = element("span", `cal-marker cal-marker--${status.value}`);
      marker.append(element("span", "cal-marker__symbol", status.marker));
      marker.lastChild.setAttribute("aria-hidden", "true");
      marker.append(element("span", isList ? "cal-marker__word" : "visually-hidden", status.label));
      const nodes = [marker];
      if (arg.timeText) nodes.push(element("span", `${arg.timeClass || ""} cal-event__time`, arg.timeText));
      nodes.push(element("span", `${arg.titleClass || ""} cal-event__title`, arg.event.title));
      // In the list, FullCalendar's own button role would replace the list item's; the
      // item gets its role back (calendar-a11y.js) and a real button inside opens the dialog.
      const wrapper = isList ? element("button", "cal-event__body cal-event__body--list") : element("span", "cal-event__body");
      if (isList) wrapper.type = "button";
      wrapper.append(...nodes);
      return { domNodes: [wrapper] };
    }

    return { toEvent, toBackground, eventContent };
  }

  TC.createRender = createRender;
})();

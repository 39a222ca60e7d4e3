// FullCalendar's markup, made to pass axe (WCAG A/AA) without switching any rule off:
// - buttons whose accessible name contains their visible text (label-content-name-mismatch);
// - month cells named by their content, with the full date as text for screen readers,
//   instead of an aria-label that leaves out the sessions shown in them (same rule);
// - list items that stay list items (aria-required-children);
// - header cells whose text is not hidden from screen readers (empty-table-header);
// - scrolling areas reachable for keyboard users (scrollable-region-focusable).
// FullCalendar re-renders parts of its DOM (new dates, new events), so a MutationObserver
// re-applies the repairs after each render; they are idempotent and cheap.
(function () {
  "use strict";
  const TC = (window.TrackerCalendar = window.TrackerCalendar || {});

  function createA11y(config) {
    const strings = config.strings;
    const fullDate = new Intl.DateTimeFormat(config.locale, { timeZone: config.timeZone, dateStyle: "full" });

    // Options for the FullCalendar constructor.
    const options = {
      todayText: strings.today,
      todayHint: strings.today,
      prevHint: strings.previous,
      nextHint: strings.next,
      monthText: strings.month,
      weekTextLong: strings.week,
      dayText: strings.day,
      listText: strings.list,
      viewHint: strings.viewHint.replace("%(view)s", "$0"),
      viewChangeHint: strings.changeView,
      closeHint: strings.close,
      eventsHint: strings.events,
      timedText: strings.timeAxis,
      noEventsText: strings.noEvents,
      moreLinkText: strings.more,
      moreLinkHint: (count) => TC.interpolate(strings.moreHint, { count }),
      // The day number stays visible; the full date is there for screen readers.
      dayCellTopContent: (arg) => {
        const number = document.createElement("span");
        number.setAttribute("aria-hidden", "true");
        number.textContent = arg.text;
        const date = document.createElement("span");
        date.className = "visually-hidden cal-daynum";
        date.textContent = fullDate.format(arg.date);
        return { domNodes: [number, date] };
      },
    };

    function nameCellsByContent(root) {
      root.querySelectorAll(".cal-daynum").forEach((date) => {
        const inner = date.parentElement;
        if (inner.hasAttribute("aria-hidden")) inner.removeAttribute("aria-hidden");
        const cell = inner.closest("[role=gridcell]");
        if (cell && cell.hasAttribute("aria-label")) cell.removeAttribute("aria-label");
      });
    }

    // Header cells carry an aria-label but hide their text; show the text instead, and
    // give the time axis's empty row header its name as text.
    function revealHeaderText(root) {
      root.querySelectorAll("[role=columnheader] [aria-hidden], [role=rowheader] [aria-hidden]").forEach((inner) => {
        inner.removeAttribute("aria-hidden");
      });
      root.querySelectorAll("[role=rowheader]:empty").forEach((header) => {
        const text = document.createElement("span");
        text.className = "visually-hidden";
        text.textContent = header.getAttribute("aria-label");
        header.append(text);
      });
    }

    // A scroller sits between a grid's rows: made focusable itself, it would break the
    // grid (aria-required-children). Its first row header (or cell) takes the tab stop
    // instead; arrow keys then scroll the scroller around it.
    function makeScrollersReachable(root) {
      root.querySelectorAll("[style*=overflow]").forEach((el) => {
        const scrolls = /auto|scroll/.test(`${el.style.overflowX} ${el.style.overflowY}`);
        if (!scrolls || el.querySelector("[tabindex='0']")) return;
        const stop = el.querySelector("[role=rowheader], [role=gridcell]");
        if (stop) stop.setAttribute("tabindex", "0");
      });
    }

    // FullCalendar gives list items of clickable events role=button, which leaves the
    // list without items (aria-required-children); the button is inside them instead.
    function restoreListItems(root) {
      root.querySelectorAll("[role=list] > [role=button]").forEach((item) => {
        item.setAttribute("role", "listitem");
        item.removeAttribute("tabindex");
      });
    }

    function repair(root) {
      restoreListItems(root);
      nameCellsByContent(root);
      revealHeaderText(root);
      makeScrollersReachable(root);
    }

    // One repair per frame however many times FullCalendar renders in it. Scrollers are
    // created with their overflow style, so style changes (every resize) need no watching.
    function watch(root) {
      let queued = false;
      const repairSoon = () => {
        if (queued) return;
        queued = true;
        window.requestAnimationFrame(() => {
          queued = false;
          repair(root);
        });
      };
      repair(root);
      new MutationObserver(repairSoon).observe(root, {
        subtree: true,
        childList: true,
        attributes: true,
        attributeFilter: ["aria-label", "aria-hidden", "role"],
      });
    }

    return { options, watch };
  }

  TC.createA11y = createA11y;
})();

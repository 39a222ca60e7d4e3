// The calendar page: FullCalendar fed by /api/v1/sessions, wired to the dialogs, the
// filters, the version poll, drag-and-drop with undo, and swipes on phones.
// Runs after the other calendar*.js files (all `defer`, in document order).
(function () {
  "use strict";
  const TC = window.TrackerCalendar;
  const config = JSON.parse(document.getElementById("calendar-config").textContent);
  config.locale = document.documentElement.lang || "en";
  const strings = config.strings;
  const api = TC.createApi(config.apiRoot);
  const time = TC.createTime(config.timeZone, config.locale);
  const render = TC.createRender(config);
  const a11y = TC.createA11y(config);
  const element = document.getElementById("calendar");
  const phone = window.matchMedia("(max-width: 639.98px)");
  const SWIPE_MIN_PX = 60;

  // --- The live region: what just happened, with Undo when it can be undone ------------
  const notice = document.getElementById("calendar-notice");
  const noticeText = document.getElementById("calendar-notice-text");
  const undoButton = document.getElementById("calendar-undo");
  let undoAction = null;

  function notify(message, undo) {
    notice.classList.toggle("cal-notice--shown", Boolean(message));
    noticeText.textContent = message;
    undoAction = undo || null;
    undoButton.hidden = !undo;
  }

  undoButton.addEventListener("click", () => {
    const action = undoAction;
    notify("");
    if (action) action();
  });

  const describe = (error) => TC.describeError(error, strings, time);

  // --- Writes, shared by drag-and-drop and the dialogs ----------------------------------
  const actions = {
    async move(session, to, from, scope) {
      await api.updateSession(session.id, { start: time.iso(to.start), end: time.iso(to.end), scope });
      calendar.refetchEvents();
      notify(strings.moved, async () => {
        try {
          await api.updateSession(session.id, { start: time.iso(from.start), end: time.iso(from.end), scope });
          notify(strings.undone);
        } catch (error) {
          notify(describe(error));
        }
        calendar.refetchEvents();
      });
    },
    async cancel(session, body) {
      await api.cancelSession(session.id, body);
      calendar.refetchEvents();
      notify(strings.cancelled);
    },
    async create(body) {
      await api.createSession(body);
      calendar.refetchEvents();
      notify(body.repeat ? strings.createdSeries : strings.created);
    },
  };

  // A drop or resize that the server refuses (a clash: 409) goes back where it was.
  function onMove(info) {
    const session = info.event.extendedProps.session;
    const to = { start: info.event.start, end: info.event.end };
    const from = { start: info.oldEvent.start, end: info.oldEvent.end };
    actions.move(session, to, from, "this").catch((error) => {
      info.revert();
      notify(describe(error));
    });
  }

  // --- Where the events come from ------------------------------------------------------
  const filters = TC.createFilters
    ? TC.createFilters({ config, api, time, notify, onChange: () => calendar.refetchEvents() })
    : null;

  function fetchSessions(info) {
    const query = { start: info.startStr, end: info.endStr, ...(filters ? filters.values() : {}) };
    return api.sessions(query).then((sessions) => sessions.map(render.toEvent), (error) => {
      notify(error instanceof TC.ApiError && error.status === 0 ? strings.network : strings.loadFailed);
      return [];
    });
  }

  function fetchAvailability(info) {
    const whose = filters && filters.availabilityOf();
    if (!whose) return Promise.resolve([]);
    return api.background({ ...whose, start: info.startStr, end: info.endStr })
      .then((windows) => windows.map(render.toBackground), () => []);
  }

  // --- Toolbars: everything on wide screens; on phones the day's list first (what do
  // I teach today?), a week's list or the month a tap away, and swipes between days.
  function toolbars(isPhone) {
    return isPhone
      ? {
          headerToolbar: { start: "prev,next", center: "title", end: "today" },
          footerToolbar: { center: "listDay,listWeek,dayGridMonth" },
          buttons: { listDay: { text: strings.day }, listWeek: { text: strings.week } },
        }
      : {
          headerToolbar: { start: "prev,next today", center: "title", end: "dayGridMonth,timeGridWeek,timeGridDay,listWeek" },
          footerToolbar: false,
          buttons: {},
        };
  }

  const newSession = config.canManage && TC.createNewSession
    ? TC.createNewSession({ config, api, time, actions })
    : null;
  const sessionDialog = TC.createSessionDialog({ config, time, actions });
  let dragging = false;

  const calendar = new FullCalendar.Calendar(element, {
    ...a11y.options,
    ...toolbars(phone.matches),
    timeZone: config.timeZone,
    locale: config.locale,
    initialView: phone.matches ? "listDay" : "timeGridWeek",
    firstDay: 1,
    views: {
      // Lists and months grow with the page; a day's hours scroll inside the calendar,
      // opening at the start of a working day.
      list: { height: "auto" },
      // Short enough to share the phone's toolbar row with the arrows and "Today".
      listDay: { titleFormat: { weekday: "short", day: "numeric", month: "short" } },
      dayGridMonth: { height: "auto", dayMaxEvents: 4 },
      timeGrid: { contentHeight: 560, scrollTime: "07:00:00" },
    },
    nowIndicator: true,
    allDaySlot: false,
    editable: config.canManage,
    selectable: config.canManage,
    selectMirror: true,
    // One clock everywhere: the dialogs and messages use 24-hour times too.
    eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    slotHeaderFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    eventSources: [
      { id: "sessions", events: fetchSessions },
      { id: "availability", events: fetchAvailability },
    ],
    eventContent: render.eventContent,
    eventClick(info) {
      const session = info.event.extendedProps.session;
      if (!session) return;
      info.jsEvent.preventDefault();
      sessionDialog.show(session, info.el);
    },
    eventDragStart: () => { dragging = true; },
    eventDragStop: () => { dragging = false; },
    eventDrop: onMove,
    eventResize: onMove,
    select(info) {
      calendar.unselect();
      if (newSession) newSession.open(info.start, info.end);
    },
  });
  // Drawn in a task of its own: evaluating FullCalendar was a long one already, and
  // anything the person did meanwhile gets its turn in between.
  window.setTimeout(() => {
    calendar.render();
    a11y.watch(element);
  });

  phone.addEventListener("change", (event) => {
    Object.entries(toolbars(event.matches)).forEach(([name, value]) => calendar.setOption(name, value));
  });

  // --- Phones: swipe left for the next day/week, right for the previous one -------------
  let touch = null;
  element.addEventListener("touchstart", (event) => {
    touch = event.touches.length === 1 ? { x: event.touches[0].clientX, y: event.touches[0].clientY } : null;
  }, { passive: true });
  element.addEventListener("touchend", (event) => {
    if (!touch || dragging || !phone.matches) return;
    const dx = event.changedTouches[0].clientX - touch.x;
    const dy = event.changedTouches[0].clientY - touch.y;
    touch = null;
    if (Math.abs(dx) >= SWIPE_MIN_PX && Math.abs(dx) > 2 * Math.abs(dy)) {
      if (dx < 0) calendar.next();
      else calendar.prev();
    }
  }, { passive: true });

  // --- New session: by selecting a time, or with the button (keyboard, phones) ----------
  const newButton = document.getElementById("new-session-button");
  if (newButton && newSession) {
    newButton.addEventListener("click", () => {
      // The next whole hour, for an hour; the slot finder can propose better.
      const start = new Date(Math.ceil(Date.now() / 3600000) * 3600000);
      newSession.open(start, new Date(start.getTime() + 3600000), newButton);
    });
  }

  TC.startPolling({ api, seconds: config.pollSeconds, onChange: () => calendar.refetchEvents() });
})();

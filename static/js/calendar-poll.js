// Real-time enough, off the main request path (DESIGN.md §3): every few seconds ask for the
// sessions' version with If-None-Match. The server answers 304 with no body until anyone
// changes a session; then the calendar refetches. Hidden tabs do not poll.
(function () {
  "use strict";
  const TC = (window.TrackerCalendar = window.TrackerCalendar || {});

  function startPolling({ api, seconds, onChange }) {
    let etag = null;
    let timer = null;
    let inFlight = false;

    function schedule(delay) {
      window.clearTimeout(timer);
      timer = document.hidden ? null : window.setTimeout(tick, delay);
    }

    async function tick() {
      timer = null;
      if (inFlight) return;
      inFlight = true;
      try {
        const response = await api.version(etag);
        if (response.ok) {
          const tag = response.headers.get("ETag") || String((await response.json()).version);
          if (etag !== null && tag !== etag) onChange();
          etag = tag;
        }
      } catch (error) {
        // Offline or restarting: the next tick tries again.
      } finally {
        inFlight = false;
        schedule(seconds * 1000);
      }
    }

    // Hidden: the timer stops. Visible again: catch up at once.
    document.addEventListener("visibilitychange", () => schedule(0));
    schedule(0);
  }

  TC.startPolling = startPolling;
})();

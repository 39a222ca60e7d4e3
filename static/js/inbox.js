// The bell and open message pages stay current without a reload (DESIGN.md §3): every two
// seconds ask for the person's inbox version with If-None-Match. Nothing new answers 304
// with no body; news updates the counts and tells the page ("inbox-changed"), whose htmx
// parts refetch themselves. Hidden tabs do not poll.
(function () {
  "use strict";
  const bell = document.querySelector("[data-inbox-url]");
  if (!bell) return;
  const url = bell.getAttribute("data-inbox-url");
  const SECONDS = 2;
  let etag = null;
  let timer = null;

  function show(counts) {
    const note = bell.querySelector("[data-count]");
    note.textContent = counts.notifications > 0 ? String(counts.notifications) : "";
    note.hidden = counts.notifications === 0;
    bell.setAttribute("aria-label", bell.getAttribute("data-label").replace("%s", counts.notifications));
    document.querySelectorAll("[data-unread-messages]").forEach((el) => {
      el.textContent = counts.messages > 0 ? String(counts.messages) : "";
      el.hidden = counts.messages === 0;
    });
  }

  function schedule(delay) {
    window.clearTimeout(timer);
    timer = document.hidden ? null : window.setTimeout(tick, delay);
  }

  async function tick() {
    try {
      const headers = { Accept: "application/json" };
      if (etag) headers["If-None-Match"] = etag;
      const response = await fetch(url, { headers, credentials: "same-origin" });
      if (response.status === 200) {
        const changed = etag !== null;
        etag = response.headers.get("ETag");
        show(await response.json());
        if (changed) document.body.dispatchEvent(new CustomEvent("inbox-changed"));
      }
    } catch (error) {
      // Offline or restarting: the next tick tries again.
    } finally {
      schedule(SECONDS * 1000);
    }
  }

  document.addEventListener("visibilitychange", () => schedule(0));
  schedule(0);
})();

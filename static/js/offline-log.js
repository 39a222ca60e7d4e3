// The today page's log forms, made to work offline (DESIGN.md §5). A log is stored on the
// device first (log-queue.js), the card says "Waiting to sync", and it is sent to the API
// now if the network allows, else when the connection returns: on the `online` event, on
// the next page load, or by the service worker's Background Sync with no page open.
// A conflict (the session was cancelled or moved meanwhile) stays on the card until the
// tutor logs anyway or discards it. Without JavaScript the forms post to the server.
(function () {
  "use strict";
  const Queue = window.TrackerLogQueue;
  const root = document.getElementById("today-sessions");
  if (!root || !Queue || !window.indexedDB || !window.crypto || !window.crypto.randomUUID) return;
  const text = root.dataset;
  const userId = root.dataset.user;

  function csrfToken() {
    // base.html hands htmx the token on <body hx-headers>; the API takes the same one.
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function card(sessionId) {
    const form = root.querySelector(`form[data-session="${sessionId}"]`);
    if (!form) return null;
    const article = form.closest(".session-card");
    return {
      article,
      form,
      status: article.querySelector("[data-sync-status]"),
      actions: article.querySelector("[data-sync-actions]"),
      force: article.querySelector("[data-sync-force]"),
      badge: article.querySelector("[data-badge]"),
    };
  }

  // state: "idle" (the form), "invalid" (the form, with what to fix), "queued", "logged",
  // "conflict" or "refused".
  function show(sessionId, state, { key, message, outcome } = {}) {
    const parts = card(sessionId);
    if (!parts) return;
    parts.form.hidden = state !== "idle" && state !== "invalid";
    parts.actions.hidden = state !== "conflict" && state !== "refused";
    parts.force.hidden = state !== "conflict";
    parts.actions.dataset.key = key || "";
    parts.status.className = `sync-status sync-status--${state === "invalid" ? "refused" : state}`;
    parts.status.textContent = {
      idle: "", invalid: message, queued: text.textWaiting, logged: text.textLogged,
      conflict: message, refused: message || text.textRefused,
    }[state];
    if (state === "logged" && outcome) {
      parts.article.className = parts.article.className.replace(/session-card--\w+/, `session-card--${outcome}`);
      parts.badge.className = `badge badge--${outcome}`;
      parts.badge.textContent = outcome === "cancelled" ? text.textCancelled : text.textCompleted;
    }
  }

  function showResult(item, result) {
    if (result.state === "logged") {
      show(item.sessionId, "logged", { outcome: result.log.session.status });
      loggedSinceSaved = true;
    } else {
      show(item.sessionId, result.state, { key: item.key, message: result.problem && result.problem.detail });
    }
  }

  // What the API takes, from what the form would have posted.
  function bodyOf(form, submitter) {
    const prefix = form.dataset.prefix;
    const data = new FormData(form);
    const outcome = submitter ? submitter.value : "completed";
    const presence = `${prefix}-presence_`;
    const attendance = {};
    for (const [name, value] of data) {
      if (name.startsWith(presence) && value) attendance[name.slice(presence.length)] = value;
    }
    return {
      outcome,
      attendance: outcome === "completed" && Object.keys(attendance).length ? attendance : null,
      note: data.get(`${prefix}-note`) || "",
      cancelled_by: outcome === "cancelled" ? data.get(`${prefix}-cancelled_by`) || "" : "",
      // The start the tutor saw: if it was moved meanwhile, the server asks first.
      expected_start: form.dataset.start || null,
      force: false,
    };
  }

  // One sync at a time from this page; the worker may run its own, which the server's
  // idempotency keys make harmless.
  let syncing = Promise.resolve();
  let loggedSinceSaved = false;
  function sync() {
    syncing = syncing
      .then(() => Queue.syncAll({ userId, csrfToken: csrfToken(), onResult: showResult }))
      .catch(() => ({ waiting: 1 }))
      .then((outcome) => {
        resaveThisPage();
        return outcome;
      });
    return syncing;
  }

  // The worker's offline copy of this page still shows the forms of what was just logged:
  // have it saved again, or offline it would offer to log those sessions twice.
  function resaveThisPage() {
    const worker = "serviceWorker" in navigator && navigator.serviceWorker.controller;
    if (!loggedSinceSaved || !worker) return;
    loggedSinceSaved = false;
    worker.postMessage({ type: "page-changed", path: location.pathname });
  }

  async function askForBackgroundSync() {
    try {
      const registration = await navigator.serviceWorker.ready;
      if (registration.sync) await registration.sync.register("sync-logs");
    } catch (error) {
      // No Background Sync here: the `online` event and the next visit still send it.
    }
  }

  async function queueAndSend(form, submitter) {
    const sessionId = Number(form.dataset.session);
    const body = bodyOf(form, submitter);
    if (body.outcome === "cancelled" && !body.cancelled_by) {
      show(sessionId, "invalid", { message: text.textWhoCancelled });
      form.querySelector(`[name="${form.dataset.prefix}-cancelled_by"]`).focus();
      return;
    }
    try {
      await Queue.enqueue({ sessionId, userId, body, csrfToken: csrfToken() });
    } catch (error) {
      // The device refuses to store anything (private mode, full disk): post the form.
      form.dataset.plain = "true";
      form.requestSubmit(submitter);
      return;
    }
    show(sessionId, "queued");
    card(sessionId).status.focus();
    const { waiting } = await sync();
    if (waiting && "serviceWorker" in navigator) askForBackgroundSync();
  }

  root.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-session]");
    if (!form || form.dataset.plain) return;
    event.preventDefault();
    // A second tap before the form hides would queue the same log under a second key.
    if (form.dataset.busy) return;
    form.dataset.busy = "true";
    queueAndSend(form, event.submitter).finally(() => delete form.dataset.busy);
  });

  root.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-sync-force], [data-sync-discard]");
    if (!button) return;
    const actions = button.closest("[data-sync-actions]");
    const item = await Queue.get(actions.dataset.key);
    if (!item) return;
    if (button.hasAttribute("data-sync-discard")) {
      await Queue.discard(item.key);
      show(item.sessionId, "idle");
      card(item.sessionId).form.querySelector("button[type=submit]").focus();
      return;
    }
    // The same key: the server has not applied it, since a conflict stores nothing.
    await Queue.put({ ...item, body: { ...item.body, force: true }, state: "queued", problem: null });
    show(item.sessionId, "queued");
    card(item.sessionId).status.focus();
    await sync();
  });

  // The worker's Background Sync reports what it sent while this page is open.
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("message", (event) => {
      const message = event.data || {};
      if (message.type === "log-result") {
        showResult(message.item, message.result);
        resaveThisPage();
      }
    });
  }

  window.addEventListener("online", sync);

  // What this device still holds for this tutor (the page may come from the worker's
  // cache, showing the forms as they were), then a first attempt to send it.
  Queue.all()
    .then((items) => {
      items
        .filter((item) => String(item.userId) === String(userId))
        .forEach((item) => show(item.sessionId, item.state, { key: item.key, message: item.problem && item.problem.detail }));
    })
    .then(sync);
})();

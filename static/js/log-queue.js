// Session logs waiting on this device (DESIGN.md §5), shared by the today page and the
// service worker (which loads it with importScripts), so both send a log the same way.
//
// Each log is stored before it is sent, under a key made on the device, and sent with that
// key as its Idempotency-Key: the server applies a key once and answers a replay with the
// stored result, so sending again after a lost answer, from the page and the worker at
// once, or from a restored copy never logs a session twice.
(function (scope) {
  "use strict";
  const DB_NAME = "tracker-offline";
  const STORE = "logs";
  // Worth retrying later: offline, signed out or a stale CSRF token, the server busy.
  const TRANSIENT = new Set([401, 403, 408, 429]);

  let database = null;

  function open() {
    if (!database) {
      database = new Promise((resolve, reject) => {
        const request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "key" });
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      database.catch(() => { database = null; });
    }
    return database;
  }

  async function run(mode, action) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const request = action(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  }

  const put = (item) => run("readwrite", (store) => store.put(item));
  const get = (key) => run("readonly", (store) => store.get(key));
  const remove = (key) => run("readwrite", (store) => store.delete(key));
  const all = () => run("readonly", (store) => store.getAll());

  // A new log, stored before anything is sent. The token is kept for the worker, which
  // has no page to read one from; a page sends its own, fresher one.
  async function enqueue({ sessionId, userId, body, csrfToken }) {
    const item = {
      key: scope.crypto.randomUUID(),
      sessionId,
      userId,
      body,
      csrfToken,
      createdAt: new Date().toISOString(),
      state: "queued",
      problem: null,
    };
    await put(item);
    return item;
  }

  // One attempt. The answer decides the item's fate: gone once logged, kept as a conflict
  // or a refusal for the tutor to decide, left queued when it is worth trying again.
  async function send(item, csrfToken) {
    let response;
    try {
      response = await fetch(`/api/v1/sessions/${item.sessionId}/log`, {
        method: "POST",
        credentials: "same-origin",
        cache: "no-store",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "Idempotency-Key": item.key,
          "X-CSRFToken": csrfToken || item.csrfToken || "",
        },
        body: JSON.stringify(item.body),
      });
    } catch (error) {
      return { state: "queued", problem: null };
    }
    const data = await response.json().catch(() => ({}));
    if (response.ok) {
      await remove(item.key);
      return { state: "logged", log: data };
    }
    if (TRANSIENT.has(response.status) || response.status >= 500) return { state: "queued", problem: null };
    const state = response.status === 409 ? "conflict" : "refused";
    // Unless the tutor discarded it meanwhile: then it stays discarded.
    if (await get(item.key)) await put({ ...item, state, problem: data });
    return { state, problem: data };
  }

  // The page and the worker may sync at the same moment (the `online` event and Background
  // Sync), or the tutor discard a log while it is being sent: one at a time, across both.
  function exclusive(task) {
    const locks = scope.navigator && scope.navigator.locks;
    return locks ? locks.request("tracker-log-queue", task) : task();
  }

  // Send every queued log of this person, oldest first. Logs queued by someone else who
  // signed out on this device wait for them: sent now they would be logged in the wrong name.
  function syncAll({ userId, csrfToken, onResult }) {
    return exclusive(async () => {
      const keys = (await all())
        .filter((item) => item.state === "queued" && String(item.userId) === String(userId))
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
        .map((item) => item.key);
      let waiting = 0;
      for (const key of keys) {
        // Read again: without a lock (older browsers) another sync may have sent it.
        const item = await get(key);
        if (!item || item.state !== "queued") continue;
        const result = await send(item, csrfToken);
        if (result.state === "queued") waiting += 1;
        if (onResult) onResult(item, result);
      }
      return { waiting };
    });
  }

  const discard = (key) => exclusive(() => remove(key));

  scope.TrackerLogQueue = { enqueue, syncAll, discard, put, get, all };
})(self);

// The service worker (DESIGN.md §5): served at /sw.js by tracker/core/pwa.py so that it
// controls every page; that view prepends TRACKER_LOG_QUEUE_URL, the queue module's
// (hashed) address.
//
// What it keeps, and why:
// - tracker-shell: the offline page and static files. Install saves /offline/ and what it
//   loads; each page then sends the list of files it loaded, which covers the first visit
//   (not yet controlled) and whatever the calendar loads. Hashed names (production) are
//   served from here first, as their content never changes; unhashed ones (development)
//   go to the network first, so that edited files show at once.
// - tracker-user-pages: /calendar/ and /attendance/today/, network first, so that they
//   open offline as last seen. Other pages fall back to /offline/.
// - tracker-user-data: the calendar feed and its version, network first. The feed is also
//   warmed with the coming weeks when a signed-in page loads, and an offline request the
//   calendar never made online (another week) is answered from what was saved.
// Everything else, and every write, goes to the network only: logs made offline wait in
// IndexedDB (log-queue.js), never in a cache. The two tracker-user-* caches hold one
// person's data; pwa.js deletes them on sign-out.
"use strict";

importScripts(self.TRACKER_LOG_QUEUE_URL);

const SHELL = "tracker-shell-v1";
const PAGES = "tracker-user-pages-v1";
const DATA = "tracker-user-data-v1";
const OFFLINE_URL = "/offline/";
const OFFLINE_PAGES = new Set(["/calendar/", "/attendance/today/"]);
const FEED = "/api/v1/sessions";
const FEED_VERSION = "/api/v1/sessions/version";
// ManifestStaticFilesStorage's names: app.0123456789ab.css
const HASHED = /\.[0-9a-f]{12}(\.[A-Za-z0-9]+)$/;
const SAVED_AT = "X-Saved-At";
const DAY_MS = 24 * 60 * 60 * 1000;
// Warm once in a while, not on every page: the feed for three weeks is one request.
const WARM_EVERY_MS = 10 * 60 * 1000;
let lastWarm = 0;

// Pages are sent with Vary (Cookie, Accept-Language) whose values a worker cannot see; the
// caches hold one person's data in one language, so the address is the whole key.
const match = (request, cacheName) => caches.match(request, { cacheName, ignoreVary: true });

self.addEventListener("install", (event) => {
  event.waitUntil(precacheShell().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const current = [SHELL, PAGES, DATA];
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith("tracker-") && !current.includes(name)).map((name) => caches.delete(name)));
    // Control the page that registered the worker, so that it works offline from now on.
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") event.respondWith(page(request, url));
  else if (url.pathname.startsWith("/static/")) event.respondWith(asset(request, url));
  else if (url.pathname === FEED) event.respondWith(feed(request, url));
  else if (url.pathname === FEED_VERSION) event.respondWith(networkFirst(request, DATA));
});

self.addEventListener("message", (event) => {
  const message = event.data || {};
  if (message.type === "page-loaded") event.waitUntil(pageLoaded(message));
  if (message.type === "page-changed") event.waitUntil(savePage(message.path, { again: true }).catch(() => {}));
  // Whoever signs in next gets their own weeks at once.
  if (message.type === "signed-out") lastWarm = 0;
});

// Background Sync: the browser wakes the worker once it is back online, page open or not.
self.addEventListener("sync", (event) => {
  if (event.tag === "sync-logs") event.waitUntil(syncLogs());
});

// --- The shell -------------------------------------------------------------------------

async function precacheShell() {
  const response = await fetch(OFFLINE_URL, { cache: "reload" });
  if (!response.ok) throw new Error(`${OFFLINE_URL} answered ${response.status}`);
  const html = await response.clone().text();
  await (await caches.open(SHELL)).put(OFFLINE_URL, response);
  await saveAssets([...html.matchAll(/(?:href|src)="(\/static\/[^"]+)"/g)].map((found) => found[1]));
}

// Save static files not saved yet (a failure leaves that one for the next page).
async function saveAssets(urls) {
  const cache = await caches.open(SHELL);
  await Promise.all(urls.map(async (url) => {
    if (await cache.match(url, { ignoreVary: true })) return;
    try {
      const response = await fetch(url);
      if (response.status === 200) await putAsset(cache, url, response);
    } catch (error) {
      // Offline meanwhile: the next page load sends the list again.
    }
  }));
}

// A new hashed version replaces the old ones, so that the cache does not grow per deploy.
async function putAsset(cache, url, response) {
  const path = new URL(url, self.location.origin).pathname;
  if (HASHED.test(path)) {
    const family = path.replace(HASHED, "$1");
    const older = (await cache.keys()).filter((key) => {
      const other = new URL(key.url).pathname;
      return other !== path && HASHED.test(other) && other.replace(HASHED, "$1") === family;
    });
    await Promise.all(older.map((key) => cache.delete(key)));
  }
  await cache.put(url, response);
}

async function asset(request, url) {
  if (HASHED.test(url.pathname)) {
    const saved = await match(request, SHELL);
    if (saved) return saved;
  }
  try {
    const response = await fetch(request);
    if (response.status === 200) await putAsset(await caches.open(SHELL), request.url, response.clone());
    return response;
  } catch (error) {
    const saved = await match(request, SHELL);
    if (saved) return saved;
    throw error;
  }
}

// --- Pages -----------------------------------------------------------------------------

async function page(request, url) {
  const keep = OFFLINE_PAGES.has(url.pathname);
  try {
    const response = await fetch(request);
    // Not a redirect (to sign in) or an error page: only the page itself is worth keeping.
    if (keep && response.status === 200 && response.type === "basic") {
      await (await caches.open(PAGES)).put(url.pathname, response.clone());
    }
    return response;
  } catch (error) {
    return (keep && (await match(url.pathname, PAGES))) || (await match(OFFLINE_URL, SHELL)) || Response.error();
  }
}

async function savePage(path, { again = false } = {}) {
  if (!OFFLINE_PAGES.has(path) || (!again && (await match(path, PAGES)))) return;
  const response = await fetch(path, { credentials: "same-origin" });
  if (response.status === 200 && !response.redirected) await (await caches.open(PAGES)).put(path, response);
}

// A page tells what it loaded: saved for offline use, and the data warmed if signed in.
async function pageLoaded({ assets, path, signedIn }) {
  const work = [saveAssets(assets || [])];
  if (path) work.push(savePage(path).catch(() => {}));
  if (signedIn && Date.now() - lastWarm > WARM_EVERY_MS) {
    lastWarm = Date.now();
    work.push(warm().catch(() => { lastWarm = 0; }));
  }
  await Promise.all(work);
}

// --- The calendar feed -----------------------------------------------------------------

async function networkFirst(request, cacheName) {
  try {
    const response = await fetch(request);
    if (response.status === 200) await (await caches.open(cacheName)).put(request, response.clone());
    return response;
  } catch (error) {
    const saved = await match(request, cacheName);
    if (saved) return saved;
    throw error;
  }
}

async function feed(request, url) {
  try {
    const response = await fetch(request);
    if (response.status === 200) await saveFeed(request.url, response.clone());
    return response;
  } catch (error) {
    const saved = (await match(request, DATA)) || (await feedFromSaved(url));
    if (saved) return saved;
    throw error;
  }
}

async function saveFeed(key, response) {
  const headers = new Headers(response.headers);
  headers.set(SAVED_AT, String(Date.now()));
  const body = await response.blob();
  await (await caches.open(DATA)).put(key, new Response(body, { status: 200, headers }));
}

// The sessions of this week, next week and the week after (today + 14 days falls in one
// of them), in one request from a day before this Monday: the calendar's weeks start on
// Monday in the business's zone, which may be a few hours off the device's.
async function warm() {
  const today = new Date();
  today.setHours(0, 0, 0, 0);
  const monday = today.getTime() - ((today.getDay() + 6) % 7) * DAY_MS;
  const url = new URL(FEED, self.location.origin);
  url.searchParams.set("start", new Date(monday - DAY_MS).toISOString());
  url.searchParams.set("end", new Date(monday + 22 * DAY_MS).toISOString());
  const response = await fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } });
  if (response.status === 200) await saveFeed(url.href, response);
}

function savedRange(url) {
  const params = new URL(url).searchParams;
  if ([...params.keys()].some((name) => name !== "start" && name !== "end")) return null;
  const start = Date.parse(params.get("start"));
  const end = Date.parse(params.get("end"));
  return Number.isNaN(start) || Number.isNaN(end) ? null : { start, end };
}

// An unfiltered range never asked for online (another week, another view), answered from
// the saved unfiltered ranges when together they cover it; a partly known week would look
// emptier than it is, so that stays an error the calendar reports.
async function feedFromSaved(url) {
  const wanted = savedRange(url);
  if (!wanted) return null;
  const cache = await caches.open(DATA);
  const saved = [];
  for (const key of await cache.keys()) {
    const range = new URL(key.url).pathname === FEED && savedRange(key.url);
    if (!range) continue;
    const response = await cache.match(key, { ignoreVary: true });
    saved.push({ ...range, at: Number(response.headers.get(SAVED_AT) || 0), response });
  }
  if (!covers(saved, wanted)) return null;
  // The newest copy of each session wins: it may have moved between two saves.
  const sessions = new Map();
  saved.sort((a, b) => a.at - b.at);
  for (const entry of saved) {
    for (const session of await entry.response.json()) sessions.set(session.id, session);
  }
  const within = [...sessions.values()]
    .filter((session) => Date.parse(session.start) < wanted.end && Date.parse(session.end) > wanted.start)
    .sort((a, b) => a.start.localeCompare(b.start));
  return new Response(JSON.stringify(within), { headers: { "Content-Type": "application/json" } });
}

function covers(ranges, wanted) {
  let reached = wanted.start;
  for (const range of [...ranges].sort((a, b) => a.start - b.start)) {
    if (range.start > reached) break;
    reached = Math.max(reached, range.end);
  }
  return reached >= wanted.end;
}

// --- Logs made offline -----------------------------------------------------------------

async function syncLogs() {
  // Only the signed-in person's logs, in their name; signed out, they wait for them.
  const me = await fetch("/api/v1/me", { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } });
  if (!me.ok) return;
  const { id } = await me.json();
  const windows = await self.clients.matchAll({ type: "window" });
  const { waiting } = await self.TrackerLogQueue.syncAll({
    userId: id,
    onResult: (item, result) => windows.forEach((client) => client.postMessage({ type: "log-result", item: { key: item.key, sessionId: item.sessionId }, result })),
  });
  // A rejected sync is retried by the browser later.
  if (waiting) throw new Error(`${waiting} logs still waiting`);
}

// The calendar's only way to the server: JSON to and from /api/v1 with the session cookie,
// the CSRF token on writes, and problem+json errors turned into one ApiError to show.
(function () {
  "use strict";
  const TC = (window.TrackerCalendar = window.TrackerCalendar || {});

  class ApiError extends Error {
    constructor(status, problem) {
      super((problem && problem.detail) || String(status));
      this.status = status; // 0 when the server could not be reached
      this.problem = problem || {};
    }
  }

  function csrfToken() {
    // base.html hands htmx the token on <body hx-headers>; the calendar sends the same one.
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function createApi(root) {
    async function send(method, path, options) {
      const { query, body, headers } = options || {};
      const url = new URL(root + path, window.location.origin);
      Object.entries(query || {}).forEach(([name, value]) => {
        if (value !== "" && value !== null && value !== undefined) url.searchParams.set(name, value);
      });
      // no-store: the feed changes under us, and the version poll does its own If-None-Match.
      const init = { method, credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json", ...headers } };
      if (body !== undefined) {
        init.body = JSON.stringify(body);
        init.headers["Content-Type"] = "application/json";
      }
      if (method !== "GET") init.headers["X-CSRFToken"] = csrfToken();
      try {
        return await fetch(url, init);
      } catch (error) {
        throw new ApiError(0, {});
      }
    }

    async function json(method, path, options) {
      const response = await send(method, path, options);
      const data = response.status === 204 ? null : await response.json().catch(() => ({}));
      if (!response.ok) throw new ApiError(response.status, data);
      return data;
    }

    // Lists for pickers: the first 100 of each is what a small business has.
    async function choices(path, query, label) {
      const data = await json("GET", path, { query: { page_size: 100, ...query } });
      const rows = Array.isArray(data) ? data : data.results || [];
      return rows.map((row) => ({ value: String(row.id), label: label(row) }));
    }

    const personName = (row) => [row.first_name, row.last_name].filter(Boolean).join(" ") || row.username || String(row.id);
    const cache = new Map();
    const cached = (key, load) => {
      if (!cache.has(key)) cache.set(key, load().catch((error) => { cache.delete(key); throw error; }));
      return cache.get(key);
    };

    return {
      sessions: (query) => json("GET", "/sessions", { query }),
      createSession: (body) => json("POST", "/sessions", { body }),
      updateSession: (id, body) => json("PATCH", `/sessions/${id}`, { body }),
      cancelSession: (id, body) => json("POST", `/sessions/${id}/cancel`, { body }),
      // The raw response: the poller reads its ETag and 304s.
      version: (etag) => send("GET", "/sessions/version", { headers: etag ? { "If-None-Match": etag } : {} }),
      slots: (query) => json("GET", "/slots", { query }),
      background: (query) => json("GET", "/availability/background", { query }),
      choices: {
        tutors: () => cached("tutors", () => choices("/users", { role: "tutor" }, personName)),
        students: () => cached("students", () => choices("/students", {}, personName)),
        branches: () => cached("branches", () => choices("/branches", {}, (row) => row.name)),
        subjects: () => cached("subjects", () => choices("/subjects", {}, (row) => row.name)),
      },
    };
  }

  // Fill a <select> with choices, keeping its leading placeholder option(s) and value.
  function fillSelect(select, items) {
    const keep = Array.from(select.options).filter((option) => option.value === "");
    const selected = new Set(Array.from(select.selectedOptions).map((option) => option.value));
    select.replaceChildren(...keep, ...items.map((item) => {
      const option = new Option(item.label, item.value);
      option.selected = selected.has(item.value);
      return option;
    }));
  }

  // One sentence for the person: the clash named, the server's reason, or "offline".
  function describeError(error, strings, time) {
    if (!(error instanceof ApiError)) throw error;
    const problem = error.problem;
    if (error.status === 0) return strings.network;
    if (error.status === 409) {
      const clash = problem.clashing_session;
      if (!clash) return strings.clashUnknown;
      return TC.interpolate(strings.clash, {
        tutor: (clash.tutor && clash.tutor.name) || "",
        start: time.when(new Date(clash.start)),
        end: time.time(new Date(clash.end)),
      });
    }
    const fields = (problem.errors || []).map((item) => (item.field ? `${item.field}: ${item.message}` : item.message));
    return TC.interpolate(strings.saveFailed, { detail: [problem.detail || error.message, ...fields].join(" ") });
  }

  TC.ApiError = ApiError;
  TC.describeError = describeError;
  TC.createApi = createApi;
  TC.fillSelect = fillSelect;
})();

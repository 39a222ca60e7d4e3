// Makes the site an installable app that opens offline (DESIGN.md §5): registers the
// service worker (static/sw.js, served at /sw.js) and tells it what this page loaded.
// Loaded on every page by base.html.
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) return;

  // Caches named tracker-user-* hold the signed-in person's pages and sessions (sw.js).
  const USER_CACHES = "tracker-user-";
  const SIGN_OUT_WAIT_MS = 1500;
  const signOutForm = document.querySelector('form[action$="/accounts/logout/"]');

  // Root scope: the worker must control /calendar/ and /attendance/today/ alike.
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((error) => {
    console.warn("Offline use is unavailable:", error);
  });

  // The stylesheets and scripts this page loaded, under the (hashed) names it used: the
  // worker saves them, which the first visit needs as it was not controlled yet.
  function loadedFiles() {
    const links = Array.from(document.querySelectorAll('link[rel="stylesheet"], link[rel="manifest"], link[rel="icon"]'), (link) => link.href);
    const scripts = Array.from(document.querySelectorAll("script[src]"), (script) => script.src);
    return links.concat(scripts).filter((href) => new URL(href).origin === location.origin);
  }

  navigator.serviceWorker.ready.then((registration) => {
    registration.active.postMessage({
      type: "page-loaded",
      assets: loadedFiles(),
      // An uncontrolled page was not seen by the worker: it fetches the page to keep it.
      path: navigator.serviceWorker.controller ? null : location.pathname,
      signedIn: Boolean(signOutForm),
    });
  });

  // Signing out forgets this person's saved pages and sessions before leaving, so the next
  // person on the device never sees them offline. Logs still waiting stay: they are
  // marked with their tutor and sent only when that tutor is signed in again.
  async function forgetSignedInData() {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith(USER_CACHES)).map((name) => caches.delete(name)));
    const registration = await navigator.serviceWorker.getRegistration("/");
    if (registration && registration.active) registration.active.postMessage({ type: "signed-out" });
  }

  if (signOutForm) {
    signOutForm.addEventListener("submit", (event) => {
      event.preventDefault();
      // Signing out must never hang on the caches.
      const timeout = new Promise((resolve) => window.setTimeout(resolve, SIGN_OUT_WAIT_MS));
      Promise.race([forgetSignedInData().catch(() => {}), timeout]).then(() => signOutForm.submit());
    });
  }
})();

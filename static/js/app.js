// Page-wide behaviour that needs no framework. Loaded with `defer`, no inline script (CSP).
(function () {
  "use strict";
  // Move focus to the main region after an htmx swap of it, so screen readers follow.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "main") {
      event.detail.target.focus();
    }
  });
})();

// The header's search box: htmx fetches the suggestions while the person types; this makes
// them reachable from the keyboard (down/up arrows, Escape to close) and closes them when
// focus leaves the box. Without it the box still works: Tab reaches the links, Enter
// submits to the search page.
(function () {
  "use strict";
  const form = document.querySelector(".site-search");
  if (!form) return;
  const input = form.querySelector(".site-search__input");
  const box = form.querySelector(".site-search__suggestions");
  const links = () => Array.from(box.querySelectorAll("a"));

  function close() {
    box.hidden = true;
  }

  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !box.hidden && links().length) {
      event.preventDefault();
      close();
      input.focus();
      return;
    }
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    const all = links();
    if (!all.length) return;
    event.preventDefault();
    box.hidden = false;
    const at = all.indexOf(document.activeElement);
    if (event.key === "ArrowDown") {
      all[Math.min(at + 1, all.length - 1)].focus();
    } else if (at <= 0) {
      input.focus();
    } else {
      all[at - 1].focus();
    }
  });

  // Tabbing away closes the list. A tap elsewhere does too; it is watched on its own
  // because a tap on a suggestion does not focus it in every browser.
  form.addEventListener("focusout", (event) => {
    if (event.relatedTarget && !form.contains(event.relatedTarget)) close();
  });
  document.addEventListener("pointerdown", (event) => {
    if (!form.contains(event.target)) close();
  });

  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target === box) box.hidden = false;
  });

  // Enter goes to the results page: a suggestion still waiting to be fetched is not needed.
  let leaving = false;
  form.addEventListener("submit", () => {
    leaving = true;
  });
  input.addEventListener("htmx:beforeRequest", (event) => {
    if (leaving) event.preventDefault();
  });

  // Words typed while the page was still loading came before htmx was listening: ask
  // for them now (htmx sets itself up first, on this same event).
  document.addEventListener("DOMContentLoaded", () => {
    if (document.activeElement === input && input.value.trim() && window.htmx) {
      window.htmx.trigger(input, "search");
    }
  });
})();

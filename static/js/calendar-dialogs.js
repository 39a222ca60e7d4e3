// The session dialog: a native <dialog> (Esc closes it, focus stays inside), with the
// session's details and, for those who may manage it, the forms to move or cancel it.
(function () {
  "use strict";
  const TC = (window.TrackerCalendar = window.TrackerCalendar || {});

  // Opening moves focus to the heading, so a screen reader starts with what this is;
  // closing returns it to what opened the dialog (or to the page's main region when that
  // is gone, or was a pointer selecting a time).
  function openDialog(dialog, opener) {
    if (dialog.open) return; // a click and a key press can both ask for it
    dialog.returnFocusTo = opener || document.activeElement;
    dialog.showModal();
    const heading = dialog.querySelector("h2");
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }

  function setUpDialog(dialog) {
    dialog.querySelectorAll("[data-close]").forEach((button) => {
      button.addEventListener("click", () => dialog.close());
    });
    dialog.addEventListener("close", () => {
      const back = dialog.returnFocusTo;
      const usable = back && back.isConnected && back !== document.body;
      (usable ? back : document.getElementById("main")).focus();
    });
  }

  function showErrors(box, message) {
    box.textContent = message;
    box.hidden = !message;
  }

  function createSessionDialog({ config, time, actions }) {
    const strings = config.strings;
    const statuses = Object.fromEntries(config.statuses.map((status) => [status.value, status]));
    const dialog = document.getElementById("session-dialog");
    const moveForm = document.getElementById("move-form");
    const cancelForm = document.getElementById("cancel-form");
    let current = null;
    setUpDialog(dialog);

    function setRow(name, value) {
      const row = dialog.querySelector(`[data-row="${name}"]`);
      const field = row.querySelector("[data-field]");
      row.hidden = !value;
      if (field.tagName === "A") {
        // Only web links: the link is typed in by people.
        field.href = /^https?:\/\//i.test(value || "") ? value : "#";
      }
      field.textContent = value || "";
    }

    function fill(session) {
      const status = statuses[session.status];
      const start = new Date(session.start);
      const end = new Date(session.end);
      document.getElementById("session-dialog-title").textContent = session.title;
      const line = document.getElementById("session-dialog-status");
      const chip = document.createElement("span");
      chip.className = `cal-chip cal-chip--${status.value}`;
      chip.setAttribute("aria-hidden", "true");
      chip.textContent = status.marker;
      line.replaceChildren(chip, document.createTextNode(status.label));
      setRow("when", time.range(start, end));
      setRow("tutor", session.tutor && session.tutor.name);
      setRow("students", session.students.map((student) => student.name).join(", ") || strings.noStudents);
      setRow("subject", session.subject && session.subject.name);
      setRow("location", session.location);
      setRow("online_link", session.online_link);
      setRow("series", session.series_id ? strings.repeats : "");
      setRow("billable", session.status === "cancelled" ? (session.billable ? strings.billable : strings.notBillable) : "");
      setRow("cancellation_reason", session.cancellation_reason);
      setRow("notes", session.notes);
      return { start, end };
    }

    function prepareForms(session, when) {
      const manageable = config.canManage && session.can_manage && session.status === "scheduled";
      [moveForm, cancelForm].forEach((form) => {
        if (!form) return;
        form.reset();
        form.hidden = !manageable;
        form.querySelectorAll("[data-series-only]").forEach((el) => { el.hidden = !session.series_id; });
        showErrors(form.querySelector("[role=alert]"), "");
      });
      if (manageable && moveForm) {
        moveForm.elements.start.value = time.toInput(when.start);
        moveForm.elements.end.value = time.toInput(when.end);
      }
    }

    function show(session, opener) {
      current = { session, when: fill(session) };
      prepareForms(session, current.when);
      openDialog(dialog, opener);
    }

    async function submit(form, work) {
      const button = form.querySelector("[type=submit]");
      button.disabled = true;
      try {
        await work();
        // The session's element is redrawn; the message about what happened is what stays.
        dialog.returnFocusTo = document.getElementById("calendar-notice");
        dialog.close();
      } catch (error) {
        showErrors(form.querySelector("[role=alert]"), TC.describeError(error, strings, time));
      } finally {
        button.disabled = false;
      }
    }

    if (moveForm) {
      moveForm.addEventListener("submit", (event) => {
        event.preventDefault();
        const start = time.fromInput(moveForm.elements.start.value);
        const end = time.fromInput(moveForm.elements.end.value);
        const scope = current.session.series_id ? moveForm.elements.scope.value : "this";
        submit(moveForm, () => actions.move(current.session, { start, end }, current.when, scope));
      });
    }
    if (cancelForm) {
      cancelForm.addEventListener("submit", (event) => {
        event.preventDefault();
        const body = {
          reason: cancelForm.elements.reason.value.trim(),
          billable: cancelForm.elements.billable.checked,
          scope: current.session.series_id ? cancelForm.elements.scope.value : "this",
        };
        submit(cancelForm, () => actions.cancel(current.session, body));
      });
    }

    return { show };
  }

  TC.openDialog = openDialog;
  TC.setUpDialog = setUpDialog;
  TC.showErrors = showErrors;
  TC.createSessionDialog = createSessionDialog;
})();

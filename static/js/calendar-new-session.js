// The "new session" dialog for moderators and admins: who, when, how it repeats, and a
// slot finder that proposes free times for the chosen tutor and student.
(function () {
  "use strict";
  const TC = (window.TrackerCalendar = window.TrackerCalendar || {});
  const SLOT_SEARCH_DAYS = 14;

  function createNewSession({ config, api, time, actions }) {
    const strings = config.strings;
    const dialog = document.getElementById("new-session-dialog");
    const form = document.getElementById("new-session-form");
    const errors = document.getElementById("new-session-errors");
    const weekdays = document.getElementById("ns-weekdays");
    const repeatEnd = document.getElementById("ns-repeat-end");
    const slotStatus = document.getElementById("ns-slot-status");
    const slotList = document.getElementById("ns-slot-list");
    const fields = form.elements;
    let choicesLoaded = null;
    TC.setUpDialog(dialog);

    function loadChoices() {
      choicesLoaded = choicesLoaded || Promise.all(
        Array.from(form.querySelectorAll("select[data-source]")).map((select) =>
          api.choices[select.dataset.source]().then((items) => TC.fillSelect(select, items)))
      ).catch((error) => {
        choicesLoaded = null;
        TC.showErrors(errors, TC.describeError(error, strings, time));
      });
      return choicesLoaded;
    }

    function showRepeatFields() {
      const freq = fields.freq.value;
      weekdays.hidden = !(freq === "weekly" || freq === "fortnightly");
      repeatEnd.hidden = !freq;
    }

    function clearSlots(message) {
      slotStatus.textContent = message || "";
      slotList.replaceChildren();
      slotList.hidden = true;
    }

    function open(start, end, opener) {
      form.reset();
      form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
      TC.showErrors(errors, "");
      clearSlots();
      fields.start.value = time.toInput(start);
      fields.end.value = time.toInput(end);
      // A weekly series starts on the day that was picked, unless told otherwise.
      const weekday = (new Date(`${time.toDateInput(start)}T12:00:00Z`).getUTCDay() + 6) % 7;
      document.getElementById(`ns-weekday-${weekday}`).checked = true;
      showRepeatFields();
      loadChoices();
      TC.openDialog(dialog, opener);
    }

    function selectedStudents() {
      return Array.from(fields.students.selectedOptions).map((option) => Number(option.value));
    }

    function body() {
      const freq = fields.freq.value;
      const start = time.fromInput(fields.start.value);
      const end = time.fromInput(fields.end.value);
      return {
        tutor: fields.tutor.value ? Number(fields.tutor.value) : null,
        students: selectedStudents(),
        subject: fields.subject.value ? Number(fields.subject.value) : null,
        start: start && time.iso(start),
        end: end && time.iso(end),
        location: fields.location.value.trim(),
        online_link: fields.online_link.value.trim(),
        notes: fields.notes.value.trim(),
        repeat: freq ? {
          freq,
          weekdays: weekdays.hidden ? [] : Array.from(form.querySelectorAll("[name=weekdays]:checked")).map((box) => Number(box.value)),
          until: fields.until.value || null,
          count: fields.count.value ? Number(fields.count.value) : null,
        } : null,
      };
    }

    // Field errors from a 422 mark their inputs; the summary is read out by role=alert.
    function markInvalid(error) {
      ((error.problem && error.problem.errors) || []).forEach((item) => {
        const name = (item.field || "").split(".").pop();
        const input = fields[name === "freq" ? "freq" : name];
        if (input && input.setAttribute) input.setAttribute("aria-invalid", "true");
      });
    }

    async function findSlots() {
      const student = selectedStudents()[0];
      if (!fields.tutor.value || !student) {
        clearSlots(strings.slotsNeedPeople);
        return;
      }
      const start = time.fromInput(fields.start.value) || new Date();
      const end = time.fromInput(fields.end.value);
      const minutes = end && end > start ? Math.round((end - start) / 60000) : 60;
      const from = time.toDateInput(start);
      const until = time.toDateInput(new Date(start.getTime() + SLOT_SEARCH_DAYS * 86400000));
      try {
        const slots = await api.slots({ tutor: fields.tutor.value, student, duration: minutes, start: from, end: until });
        clearSlots(slots.length ? TC.interpolate(strings.slotsFound, { count: slots.length }) : strings.noSlots);
        slotList.append(...slots.slice(0, 12).map((slot) => {
          const item = document.createElement("li");
          const button = document.createElement("button");
          const slotStart = new Date(slot.start);
          const slotEnd = new Date(slot.end);
          button.type = "button";
          button.className = "button";
          button.textContent = TC.interpolate(strings.chooseSlot, { time: time.range(slotStart, slotEnd) });
          button.addEventListener("click", () => {
            fields.start.value = time.toInput(slotStart);
            fields.end.value = time.toInput(slotEnd);
            clearSlots(time.range(slotStart, slotEnd));
            fields.start.focus();
          });
          item.append(button);
          return item;
        }));
        slotList.hidden = !slots.length;
      } catch (error) {
        clearSlots(TC.describeError(error, strings, time));
      }
    }

    fields.freq.addEventListener("change", showRepeatFields);
    document.getElementById("ns-find-slot").addEventListener("click", findSlots);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = form.querySelector("[type=submit]");
      form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
      button.disabled = true;
      try {
        await actions.create(body());
        dialog.returnFocusTo = document.getElementById("calendar-notice");
        dialog.close();
      } catch (error) {
        markInvalid(error);
        TC.showErrors(errors, TC.describeError(error, strings, time));
        errors.scrollIntoView({ block: "nearest" });
      } finally {
        button.disabled = false;
      }
    });

    return { open };
  }

  TC.createNewSession = createNewSession;
})();

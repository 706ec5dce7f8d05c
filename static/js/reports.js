/* The Reports pages' niceties; every page works without this file.
 *
 * - Builder: the fixed dates show only for "Fixed dates", and the "Add a section" form shows
 *   only the options of the chosen kind of section (data-types on each option's wrapper).
 * - Run page: polls the run's status every second and shows the progress, then the download
 *   button or the error. Without JavaScript the page has a plain "Refresh" link. */
(function () {
  "use strict";

  var POLL_MS = 1000;
  var MAX_FAILURES = 10;

  function each(selector, root, callback) {
    Array.prototype.forEach.call((root || document).querySelectorAll(selector), callback);
  }

  /* Builder: period ---------------------------------------------------------------------------- */

  function setUpPeriod() {
    var select = document.querySelector("[data-period] select");
    var dates = document.querySelector("[data-fixed-dates]");
    if (!select || !dates) {
      return;
    }
    var hint = document.querySelector("[data-fixed-hint]");
    function update() {
      var fixed = select.value === "fixed";
      dates.hidden = !fixed;
      if (hint) {
        hint.hidden = true;
      }
    }
    select.addEventListener("change", update);
    update();
  }

  /* Builder: the options of the chosen section type -------------------------------------------- */

  function setUpSectionForm(form) {
    var radios = form.querySelectorAll("[data-section-type]");
    var options = form.querySelector("[data-section-options]");
    if (!radios.length || !options) {
      return;
    }
    each("[data-no-js-hint]", form, function (hint) {
      hint.hidden = true;
    });
    function update() {
      var checked = form.querySelector("[data-section-type]:checked");
      var kind = checked ? checked.value : "";
      var shown = 0;
      each("[data-types]", options, function (wrapper) {
        var types = (wrapper.getAttribute("data-types") || "").split(" ");
        var visible = kind !== "" && types.indexOf(kind) !== -1;
        wrapper.hidden = !visible;
        if (visible) {
          shown += 1;
        }
      });
      options.hidden = shown === 0;
    }
    Array.prototype.forEach.call(radios, function (radio) {
      radio.addEventListener("change", update);
    });
    update();
  }

  /* Run page: progress --------------------------------------------------------------------------- */

  function setUpProgress(card) {
    var url = card.getAttribute("data-run-status-url");
    if (!url || card.getAttribute("data-settled") === "true") {
      return;
    }
    var bar = card.querySelector("[data-progress-bar]");
    var label = card.querySelector("[data-progress-label]");
    var box = card.querySelector("[data-progress]");
    var pill = card.querySelector("[data-run-status]");
    var errorBox = card.querySelector("[data-progress-error]");
    var download = card.querySelector("[data-download]");
    var link = card.querySelector("[data-download-link]");
    var refresh = card.querySelector("[data-refresh-link]");
    var failures = 0;
    if (refresh) {
      refresh.parentNode.hidden = true;
    }

    function pillClass(status) {
      if (status === "ready" || status === "sent") {
        return "run run--succeeded";
      }
      if (status === "failed") {
        return "run run--failed";
      }
      if (status === "partly_sent" || status === "awaiting_review" || status === "skipped") {
        return "run run--partial";
      }
      return "run run--running";
    }

    function show(data) {
      if (bar) {
        bar.value = data.progress;
        bar.textContent = data.progress + "%";
      }
      if (label && data.label) {
        label.textContent = data.label;
      }
      if (pill) {
        pill.textContent = data.status_label;
        pill.className = pillClass(data.status);
      }
      if (!data.settled) {
        return;
      }
      if (box) {
        box.hidden = true;
      }
      if (data.failed && errorBox) {
        errorBox.textContent = (card.getAttribute("data-text-failed") || "") + " " + (data.error || "");
        errorBox.hidden = false;
      }
      if (data.download_url && download && link) {
        link.setAttribute("href", data.download_url);
        download.hidden = false;
        link.focus();
      }
    }

    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.json();
        })
        .then(function (data) {
          failures = 0;
          show(data);
          if (!data.settled) {
            window.setTimeout(poll, POLL_MS);
          }
        })
        .catch(function () {
          failures += 1;
          if (failures >= MAX_FAILURES) {
            if (label) {
              label.textContent = card.getAttribute("data-text-lost") || "";
            }
            if (refresh) {
              refresh.parentNode.hidden = false;
            }
            return;
          }
          window.setTimeout(poll, POLL_MS * failures);
        });
    }

    window.setTimeout(poll, POLL_MS);
  }

  function start() {
    setUpPeriod();
    each("[data-section-form]", document, setUpSectionForm);
    each("[data-run-status-url]", document, setUpProgress);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

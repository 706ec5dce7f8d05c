/* Share links (templates/reports/share/form.html and created.html), no inline script:
 *
 * - the form shows only the fields of the chosen choice: a block
 *   <div data-when="kind" data-value="run"> is shown while the radio named "kind" has "run";
 * - "Copy the link": <button data-copy="input-id" data-copied="…">, hidden until this script
 *   shows it, so without JavaScript the selectable address is all there is. */
(function () {
  "use strict";

  function checkedValue(form, name) {
    var checked = form.querySelector('input[name="' + name + '"]:checked');
    return checked ? checked.value : "";
  }

  document.querySelectorAll("form").forEach(function (form) {
    var blocks = Array.prototype.slice.call(form.querySelectorAll("[data-when]"));
    if (!blocks.length) {
      return;
    }
    function update() {
      blocks.forEach(function (block) {
        var name = block.getAttribute("data-when");
        block.hidden = checkedValue(form, name) !== block.getAttribute("data-value");
      });
    }
    form.addEventListener("change", update);
    update();
  });

  function copied(button) {
    var label = button.textContent;
    button.textContent = button.getAttribute("data-copied") || label;
    window.setTimeout(function () {
      button.textContent = label;
    }, 2000);
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    if (!input) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      input.select();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(
          function () {
            copied(button);
          },
          function () {
            // Refused (permissions): the address stays selected for Ctrl+C.
          }
        );
      } else if (document.execCommand && document.execCommand("copy")) {
        copied(button);
      }
    });
  });
})();

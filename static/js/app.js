/* Menus are <details> elements, usable without JavaScript; this only closes an open menu when
 * the user clicks elsewhere, opens another one or presses Escape. */
(function () {
  "use strict";

  function menus() {
    return Array.prototype.slice.call(document.querySelectorAll("details[data-menu]"));
  }

  document.addEventListener("click", function (event) {
    menus().forEach(function (menu) {
      if (menu.open && !menu.contains(event.target)) {
        menu.open = false;
      }
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    menus().forEach(function (menu) {
      if (menu.open) {
        menu.open = false;
        var summary = menu.querySelector("summary");
        if (summary && menu.contains(document.activeElement)) {
          summary.focus();
        }
      }
    });
  });

  document.addEventListener(
    "toggle",
    function (event) {
      var opened = event.target;
      if (!(opened instanceof HTMLDetailsElement) || !opened.open || !opened.hasAttribute("data-menu")) {
        return;
      }
      menus().forEach(function (menu) {
        if (menu !== opened) {
          menu.open = false;
        }
      });
    },
    true
  );
})();

/* A phone shows the workspace tabs in one row that scrolls sideways: bring the current one into
 * view, so that a page reached from a link still shows where it is. */
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var list = document.querySelector(".workspace-nav__list");
    var current = list && list.querySelector('[aria-current="page"]');
    if (current && list.scrollWidth > list.clientWidth) {
      var tab = current.getBoundingClientRect();
      var row = list.getBoundingClientRect();
      list.scrollLeft += tab.left - row.left - (row.width - tab.width) / 2;
    }
  });
})();

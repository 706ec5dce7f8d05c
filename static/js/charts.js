/* Draw every figure the server embedded with json_script.
 *
 * A chart container names its figure: <div class="chart" data-figure="figure-x"> and
 * <script id="figure-x" type="application/json">{...}</script>. The figure JSON is built by
 * dashboards/charts.py; this file only hands it to plotly.js, served by Rapport itself. */
(function () {
  "use strict";

  var CONFIG = {
    responsive: true,
    displaylogo: false,
    // The modebar would cover the legend; zoom by dragging, double-click to reset.
    displayModeBar: false,
  };

  function language() {
    var lang = (document.documentElement.getAttribute("lang") || "en").toLowerCase();
    return lang.split("-")[0];
  }

  function showError(container, message) {
    container.textContent = "";
    var p = document.createElement("p");
    p.className = "chart__error";
    p.textContent = message;
    container.appendChild(p);
  }

  function draw(container) {
    var source = document.getElementById(container.getAttribute("data-figure"));
    if (!source) {
      return;
    }
    var figure;
    try {
      figure = JSON.parse(source.textContent);
    } catch (error) {
      showError(container, container.getAttribute("data-error") || "The chart could not be read.");
      return;
    }
    container.textContent = "";
    var config = Object.assign({}, CONFIG, { locale: language() });
    window.Plotly.newPlot(container, figure.data, figure.layout, config);
  }

  function drawAll() {
    var containers = document.querySelectorAll(".chart[data-figure]");
    if (!containers.length) {
      return;
    }
    if (!window.Plotly) {
      containers.forEach(function (container) {
        showError(container, container.getAttribute("data-error") || "Charts could not be loaded.");
      });
      return;
    }
    containers.forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();

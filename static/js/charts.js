/* Draw every figure the server embedded with json_script, and give each chart its data.
 *
 * A chart container names its figure: <div class="chart" data-figure="figure-x"> and
 * <script id="figure-x" type="application/json">{...}</script>. The figure JSON is built by
 * dashboards/charts.py; this file hands it to plotly.js, served by Rapport itself.
 *
 * Inside a .chart-block (templates/includes/chart.html) the chart also gets a toolbar: its data
 * as an HTML table, the same table as CSV, and the drawing as PNG. The table is read from the
 * figure itself, so it always shows exactly what is drawn. Texts come translated from the
 * block's data-text-* attributes; nothing here is inline in the page (the CSP forbids it). */
(function () {
  "use strict";

  var CONFIG = {
    responsive: true,
    displaylogo: false,
    // The modebar would cover the legend; zoom by dragging, double-click to reset.
    displayModeBar: false,
  };

  // Traces that dashboards/charts.py marks as drawing aids rather than data (annotation markers,
  // outlines, greyed-out cells): meta = {"rapport": "annotations" | "decoration"}.
  var NOT_DATA = { annotations: true, decoration: true };
  var SERIES_TYPES = { scatter: true, scattergl: true, bar: true };
  // plotly.py sends numpy arrays as base64 typed arrays ({dtype, bdata, shape}).
  var TYPED = {
    i1: Int8Array, u1: Uint8Array, u1c: Uint8ClampedArray, i2: Int16Array, u2: Uint16Array,
    i4: Int32Array, u4: Uint32Array, f4: Float32Array, f8: Float64Array,
  };
  if (typeof BigInt64Array !== "undefined") {
    TYPED.i8 = BigInt64Array;
    TYPED.u8 = BigUint64Array;
  }
  var ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(?:Z|[+-]00:?00)?$/;
  // A spreadsheet runs a cell starting with one of these as a formula (CSV injection)...
  var FORMULA_START = /^[=+\-@\t\r]/;
  // ...unless it is just a number such as -12.5.
  var PLAIN_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

  function language() {
    var lang = (document.documentElement.getAttribute("lang") || "en").toLowerCase();
    return lang.split("-")[0];
  }

  function pageLocale() {
    return document.documentElement.getAttribute("lang") || undefined;
  }

  function showError(container, message) {
    container.textContent = "";
    var p = document.createElement("p");
    p.className = "chart__error";
    p.textContent = message;
    container.appendChild(p);
  }

  /* Reading the figure ------------------------------------------------------------------------ */

  function decode(value) {
    if (Array.isArray(value)) {
      return value;
    }
    if (!value || typeof value.bdata !== "string" || !TYPED[value.dtype]) {
      return null;
    }
    var binary = atob(value.bdata);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    var flat = Array.from(new TYPED[value.dtype](bytes.buffer), Number);
    var shape = value.shape ? String(value.shape).split(",").map(Number) : [];
    if (shape.length !== 2) {
      return flat;
    }
    var rows = [];
    for (var r = 0; r < shape[0]; r++) {
      rows.push(flat.slice(r * shape[1], (r + 1) * shape[1]));
    }
    return rows;
  }

  // Coordinates of a trace, or the positions plotly.js would give them (x0 + i * dx).
  function coordinates(trace, axis, count) {
    var values = decode(trace[axis]);
    if (values) {
      return values;
    }
    var start = trace[axis + "0"] || 0;
    var step = trace["d" + axis] || 1;
    var positions = [];
    for (var i = 0; i < count; i++) {
      positions.push(start + i * step);
    }
    return positions;
  }

  // Texts in a figure come with "&", "<" and ">" as entities (dashboards.charts.chart_text), as
  // plotly.js reads HTML in them; the table and the CSV show the words as the user typed them.
  var ENTITIES = { amp: "&", lt: "<", gt: ">" };

  function plain(text) {
    return String(text).replace(/&(amp|lt|gt);/g, function (_, name) {
      return ENTITIES[name];
    });
  }

  function missing(value) {
    return value === null || value === undefined || (typeof value === "number" && isNaN(value));
  }

  function parseDate(value) {
    var match = typeof value === "string" ? ISO_DATE.exec(value) : null;
    if (!match) {
      return null;
    }
    var parts = match.slice(1, 7).map(function (part) {
      return Number(part || 0);
    });
    var day = match[1] + "-" + match[2] + "-" + match[3];
    var midnight = !parts[3] && !parts[4] && !parts[5];
    var time = [match[4] || "00", match[5] || "00", match[6] || "00"].join(":");
    return {
      key: midnight ? day : day + "T" + time,
      utc: Date.UTC(parts[0], parts[1] - 1, parts[2], parts[3], parts[4], parts[5]),
      midnight: midnight,
    };
  }

  function axisLayout(layout, reference, letter) {
    return layout[letter + "axis" + String(reference || letter).slice(1)] || {};
  }

  function axisTitle(axis) {
    var title = axis.title;
    return (title && typeof title === "object" ? title.text : title) || "";
  }

  /* Cells: the raw value for the CSV, the formatted text for the table ------------------------ */

  function Formats(locale) {
    this.locale = locale;
    this.numbers = {};
    this.day = new Intl.DateTimeFormat(locale, {
      year: "numeric", month: "short", day: "numeric", timeZone: "UTC",
    });
    this.moment = new Intl.DateTimeFormat(locale, {
      year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit",
      timeZone: "UTC",
    });
  }

  // The d3 format the chart uses on that axis (",.0f", ".1%"), so the table rounds as the chart.
  Formats.prototype.number = function (d3format) {
    var key = d3format || "";
    if (!this.numbers[key]) {
      var options = { maximumFractionDigits: 2 };
      var digits = /\.(\d+)[a-z%]?$/.exec(key);
      if (digits) {
        options = { minimumFractionDigits: Number(digits[1]), maximumFractionDigits: Number(digits[1]) };
      }
      if (/%$/.test(key)) {
        options.style = "percent";
      }
      this.numbers[key] = new Intl.NumberFormat(this.locale, options);
    }
    return this.numbers[key];
  };

  Formats.prototype.cell = function (value, d3format) {
    if (missing(value)) {
      return { csv: "", text: "—", numeric: false, empty: true };
    }
    if (typeof value === "number") {
      return { csv: value, text: this.number(d3format).format(value), numeric: true };
    }
    var date = parseDate(value);
    if (date) {
      var text = (date.midnight ? this.day : this.moment).format(new Date(date.utc));
      return { csv: date.key, text: text, numeric: false };
    }
    var words = plain(value);
    return { csv: words, text: words, numeric: false };
  };

  function rowKey(value) {
    var date = parseDate(value);
    if (date) {
      return { key: "d" + date.key, kind: "date", sort: date.key };
    }
    if (typeof value === "number") {
      return { key: "n" + value, kind: "number", sort: value };
    }
    return { key: "s" + value, kind: "text", sort: String(value) };
  }

  /* Tables from traces -------------------------------------------------------------------------
   * A table is {title, head: [cell], rows: [[cell]]}; the first cell of each row is its header. */

  // Scatter and bar traces: one row per x value (y for horizontal bars), one column per trace.
  function seriesTable(traces, layout, texts, formats) {
    var rows = {};
    var order = [];
    var columns = [];
    var dates = false;
    var periods = false;
    var categoryAxis = {};
    traces.forEach(function (trace, index) {
      var across = trace.type === "bar" && trace.orientation === "h";
      var values = decode(across ? trace.x : trace.y) || [];
      var keys = coordinates(trace, across ? "y" : "x", values.length);
      var valueAxis = across ? axisLayout(layout, trace.xaxis, "x") : axisLayout(layout, trace.yaxis, "y");
      categoryAxis = across ? axisLayout(layout, trace.yaxis, "y") : axisLayout(layout, trace.xaxis, "x");
      periods = periods || (!across && trace.xperiod !== undefined && trace.xperiod !== null);
      var name = trace.name ? plain(trace.name) : (traces.length > 1 ? texts.value + " " + (index + 1) : texts.value);
      var column = columns.filter(function (candidate) {
        return candidate.name === name && keys.every(function (key) {
          return !(rowKey(key).key in candidate.cells);
        });
      })[0];
      if (!column) {
        column = { name: name, cells: {}, format: valueAxis.tickformat };
        columns.push(column);
      }
      keys.forEach(function (key, position) {
        if (missing(key)) {
          return;
        }
        var row = rowKey(key);
        if (!(row.key in rows)) {
          rows[row.key] = { value: key, row: row };
          order.push(row.key);
        }
        dates = dates || row.kind === "date";
        column.cells[row.key] = values[position];
      });
    });
    var kinds = order.map(function (key) {
      return rows[key].row.kind;
    });
    var sameKind = kinds.every(function (kind) {
      return kind === kinds[0];
    });
    if (sameKind && kinds[0] !== "text") {
      order.sort(function (a, b) {
        var left = rows[a].row.sort;
        var right = rows[b].row.sort;
        return left < right ? -1 : left > right ? 1 : 0;
      });
    } else if (Array.isArray(categoryAxis.categoryarray)) {
      var rank = categoryAxis.categoryarray.map(String);
      order.sort(function (a, b) {
        var left = rank.indexOf(String(rows[a].value));
        var right = rank.indexOf(String(rows[b].value));
        return (left < 0 ? Infinity : left) - (right < 0 ? Infinity : right);
      });
    }
    var corner = axisTitle(categoryAxis) || (periods ? texts.period : dates ? texts.date : texts.label);
    return {
      title: "",
      head: [{ csv: corner, text: corner }].concat(columns.map(function (column) {
        return { csv: column.name, text: column.name, numeric: true };
      })),
      rows: order.map(function (key) {
        return [formats.cell(rows[key].value)].concat(columns.map(function (column) {
          return formats.cell(column.cells[key], column.format);
        }));
      }),
    };
  }

  // Heatmaps on one grid are drawn as layers (for instance greyed-out cells under the values):
  // they make one table, rows = y, columns = x, the top layer's value in each cell.
  function heatmapTables(traces, layout, formats) {
    var grids = {};
    var order = [];
    traces.forEach(function (trace) {
      var z = decode(trace.z) || [];
      var x = coordinates(trace, "x", z.length ? z[0].length : 0);
      var y = coordinates(trace, "y", z.length);
      var key = JSON.stringify([x, y]);
      if (!grids[key]) {
        grids[key] = { x: x, y: y, traces: [] };
        order.push(key);
      }
      grids[key].traces.push({ z: z, trace: trace });
    });
    return order.map(function (key) {
      var grid = grids[key];
      var top = grid.traces[grid.traces.length - 1].trace;
      var format = (top.colorbar || {}).tickformat;
      var corner = axisTitle(axisLayout(layout, top.yaxis, "y"));
      return {
        title: grid.traces.map(function (layer) {
          return plain(layer.trace.name || "");
        }).filter(Boolean).join(", "),
        head: [{ csv: corner, text: corner }].concat(grid.x.map(function (value) {
          var cell = formats.cell(value);
          cell.numeric = true;
          return cell;
        })),
        rows: grid.y.map(function (label, row) {
          return [formats.cell(label)].concat(grid.x.map(function (_, column) {
            var value = null;
            grid.traces.forEach(function (layer) {
              var candidate = (layer.z[row] || [])[column];
              if (!missing(candidate)) {
                value = candidate;
              }
            });
            return formats.cell(value, format);
          }));
        }),
      };
    });
  }

  function pieTable(trace, texts, formats) {
    var values = decode(trace.values) || [];
    var labels = decode(trace.labels) || coordinates(trace, "label", values.length);
    var name = trace.name ? plain(trace.name) : texts.value;
    return {
      title: plain(trace.name || ""),
      head: [{ csv: texts.label, text: texts.label }, { csv: name, text: name, numeric: true }],
      rows: labels.map(function (label, index) {
        return [formats.cell(label), formats.cell(values[index], trace.valueformat)];
      }),
    };
  }

  function indicatorTable(traces, texts, formats) {
    return {
      title: "",
      head: [{ csv: texts.label, text: texts.label }, { csv: texts.value, text: texts.value, numeric: true }],
      rows: traces.map(function (trace) {
        var title = axisTitle(trace) || trace.name || texts.value;
        return [formats.cell(title), formats.cell(trace.value, (trace.number || {}).valueformat)];
      }),
    };
  }

  // A heatmap layer painted in one colour whatever its values only marks cells (say, "too few
  // posts"); the values it carries are placeholders.
  function isMask(trace) {
    var scale = trace.colorscale;
    if (trace.type !== "heatmap" || !Array.isArray(scale) || !scale.length) {
      return false;
    }
    return scale.every(function (stop) {
      return String(stop[1]).toLowerCase() === String(scale[0][1]).toLowerCase();
    });
  }

  function isData(trace) {
    if (trace.visible === false || isMask(trace)) {
      return false;
    }
    if (trace.meta && NOT_DATA[trace.meta.rapport]) {
      return false;
    }
    // A trace the chart itself never reports on hover is an outline or a guide, not data.
    return trace.hoverinfo !== "skip" && trace.hoverinfo !== "none";
  }

  function figureTables(figure, texts) {
    var layout = figure.layout || {};
    var formats = new Formats(pageLocale());
    var traces = (figure.data || []).filter(isData);
    function ofType(check) {
      return traces.filter(function (trace) {
        return check(trace.type || "scatter");
      });
    }
    var tables = [];
    var series = ofType(function (type) {
      return SERIES_TYPES[type];
    });
    if (series.length) {
      tables.push(seriesTable(series, layout, texts, formats));
    }
    var heatmaps = ofType(function (type) {
      return type === "heatmap";
    });
    tables = tables.concat(heatmapTables(heatmaps, layout, formats));
    ofType(function (type) {
      return type === "pie";
    }).forEach(function (trace) {
      tables.push(pieTable(trace, texts, formats));
    });
    var indicators = ofType(function (type) {
      return type === "indicator";
    });
    if (indicators.length) {
      tables.push(indicatorTable(indicators, texts, formats));
    }
    return tables.filter(function (table) {
      return table.rows.length;
    });
  }

  /* Output: HTML table, CSV, files ------------------------------------------------------------ */

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  // Texts (trace names are account names) always go in through textContent, never as HTML.
  function renderTable(table, caption, label) {
    var wrap = element("div", "table-wrap chart-data__wrap");
    // The box scrolls: keyboard users must be able to focus it to scroll it.
    wrap.tabIndex = 0;
    wrap.setAttribute("role", "region");
    wrap.setAttribute("aria-label", [caption, label, table.title].filter(Boolean).join(" — "));
    var node = element("table", "table chart-data__table");
    var title = element("caption", "chart-data__caption");
    title.appendChild(element("span", "chart-data__eyebrow", caption));
    title.appendChild(document.createTextNode(" "));
    title.appendChild(element("span", "chart-data__title", [label, table.title].filter(Boolean).join(" — ")));
    node.appendChild(title);
    var head = element("thead");
    var headRow = element("tr");
    table.head.forEach(function (cell, index) {
      // An untitled corner (heatmaps) is an empty data cell, not a header without a name.
      var corner = !index && !cell.text;
      var th = element(corner ? "td" : "th", cell.numeric ? "num" : "", cell.text);
      if (!corner) {
        th.scope = "col";
      }
      headRow.appendChild(th);
    });
    head.appendChild(headRow);
    node.appendChild(head);
    var body = element("tbody");
    table.rows.forEach(function (cells) {
      var tr = element("tr");
      cells.forEach(function (cell, index) {
        var td = element(index ? "td" : "th", cell.numeric || index ? "num" : "", cell.text);
        if (!index) {
          td.scope = "row";
        }
        if (cell.empty) {
          td.classList.add("chart-data__empty");
        }
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    node.appendChild(body);
    wrap.appendChild(node);
    return wrap;
  }

  function csvField(value) {
    var text = typeof value === "number" ? (isFinite(value) ? String(value) : "") : String(value);
    if (typeof value !== "number" && FORMULA_START.test(text) && !PLAIN_NUMBER.test(text)) {
      text = "'" + text;
    }
    return '"' + text.replace(/"/g, '""') + '"';
  }

  function csvText(tables) {
    var lines = [];
    tables.forEach(function (table, index) {
      if (index) {
        lines.push("");
      }
      if (tables.length > 1 && table.title) {
        lines.push(csvField(table.title));
      }
      [table.head].concat(table.rows).forEach(function (cells) {
        lines.push(cells.map(function (cell) {
          return csvField(cell.csv);
        }).join(","));
      });
    });
    // A byte order mark tells Excel the file is UTF-8 (accents in account names).
    return "\uFEFF" + lines.join("\r\n") + "\r\n";
  }

  function today() {
    var now = new Date();
    var pad = function (n) {
      return String(n).padStart(2, "0");
    };
    return now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate());
  }

  function save(blob, filename) {
    var url = URL.createObjectURL(blob);
    var link = element("a");
    link.href = url;
    link.download = filename;
    link.hidden = true;
    document.body.appendChild(link);
    link.click();
    link.remove();
    window.setTimeout(function () {
      URL.revokeObjectURL(url);
    }, 10000);
  }

  /* The toolbar ------------------------------------------------------------------------------- */

  function blockTexts(block) {
    var texts = {};
    ["table", "hide", "csv", "png", "caption", "date", "period", "label", "value", "pngError"].forEach(
      function (key) {
        texts[key] = block.dataset["text" + key.charAt(0).toUpperCase() + key.slice(1)] || "";
      }
    );
    return texts;
  }

  function button(text) {
    var node = element("button", "button button--secondary button--small chart-toolbar__button", text);
    node.type = "button";
    return node;
  }

  function addToolbar(block, container, figure, drawn) {
    var texts = blockTexts(block);
    var tables = figureTables(figure, texts);
    var stem = (container.dataset.name || container.id || "chart") + "-";
    var label = container.getAttribute("aria-label") || "";
    var toolbar = element("div", "chart-toolbar");
    var panel = null;
    if (tables.length) {
      panel = element("div", "chart-data");
      panel.id = (container.id || "chart-" + Math.random().toString(36).slice(2)) + "-data";
      panel.hidden = true;
      var toggle = button(texts.table);
      toggle.setAttribute("aria-expanded", "false");
      toggle.setAttribute("aria-controls", panel.id);
      toggle.addEventListener("click", function () {
        if (!panel.childNodes.length) {
          tables.forEach(function (table) {
            panel.appendChild(renderTable(table, texts.caption, label));
          });
        }
        panel.hidden = !panel.hidden;
        toggle.setAttribute("aria-expanded", String(!panel.hidden));
        toggle.textContent = panel.hidden ? texts.table : texts.hide;
      });
      var csv = button(texts.csv);
      csv.addEventListener("click", function () {
        save(new Blob([csvText(tables)], { type: "text/csv;charset=utf-8" }), stem + today() + ".csv");
      });
      toolbar.appendChild(toggle);
      toolbar.appendChild(csv);
    }
    if (drawn) {
      var png = button(texts.png);
      var status = element("p", "chart-toolbar__status");
      status.setAttribute("role", "status");
      png.addEventListener("click", function () {
        var size = container.getBoundingClientRect();
        png.disabled = true;
        status.textContent = "";
        window.Plotly.downloadImage(container, {
          format: "png",
          filename: stem + today(),
          width: Math.round(size.width),
          height: Math.round(size.height),
          scale: 2,
        }).catch(function () {
          status.textContent = texts.pngError;
        }).then(function () {
          png.disabled = false;
        });
      });
      toolbar.appendChild(png);
      toolbar.appendChild(status);
    }
    if (!toolbar.childNodes.length) {
      return;
    }
    container.insertAdjacentElement("afterend", toolbar);
    if (panel) {
      toolbar.insertAdjacentElement("afterend", panel);
    }
  }

  /* Drawing ----------------------------------------------------------------------------------- */

  function readFigure(container) {
    var source = document.getElementById(container.getAttribute("data-figure"));
    if (!source) {
      return null;
    }
    try {
      return JSON.parse(source.textContent);
    } catch (error) {
      showError(container, container.getAttribute("data-error") || "The chart could not be read.");
      return null;
    }
  }

  function draw(container) {
    var figure = readFigure(container);
    if (!figure) {
      return;
    }
    var block = container.closest("[data-chart-block]");
    if (!window.Plotly) {
      showError(container, container.getAttribute("data-error") || "Charts could not be loaded.");
      // The table and the CSV need no plotly.js: the data stays readable.
      if (block) {
        addToolbar(block, container, figure, false);
      }
      return;
    }
    container.textContent = "";
    var config = Object.assign({}, CONFIG, { locale: language() });
    window.Plotly.newPlot(container, figure.data, figure.layout, config).then(
      function () {
        if (block) {
          addToolbar(block, container, figure, true);
        }
      },
      function () {
        showError(container, container.getAttribute("data-error") || "The chart could not be drawn.");
        if (block) {
          addToolbar(block, container, figure, false);
        }
      }
    );
  }

  function drawAll() {
    document.querySelectorAll(".chart[data-figure]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();

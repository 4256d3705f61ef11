/* paramcalc: builds the report page from the JSON embedded in it: totals, graphs, charts, the per-layer table. */
"use strict";

(function () {
  var P = window.Paramcalc;
  var data = JSON.parse(document.getElementById("paramcalc-data").textContent);
  var main = document.getElementById("main");
  var COLOURS = ["#3b78b5", "#c0642a", "#3f8a4a", "#7350a8", "#b83b3b", "#b38a1c"];
  P.data = data;
  P.graphs = [];
  P.charts = [];

  function el(tag, cls, html) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (html !== undefined) e.innerHTML = html;
    return e;
  }

  function section(title, parent) {
    var s = el("section", "panel");
    s.appendChild(el("h2", "", P.escape(title)));
    (parent || main).appendChild(s);
    return s;
  }

  function totalsTable(design) {
    var rows = design.totals.map(function (t) {
      var exact = t[1] === t[2] ? "" : '<span class="exact">' + P.escape(t[1]) + "</span>";
      return "<tr><th>" + P.escape(t[0]) + "</th><td>" + P.escape(t[2]) + " " + exact + "</td></tr>";
    }).join("");
    var where = P.escape(design.file) + (design.symbols ? " \u00b7 " + P.escape(design.symbols) : "") +
      " \u00b7 batch " + design.batch + ", " + design.dtype;
    return '<p class="where">' + where + '</p><table class="totals">' + rows + "</table>";
  }

  function comparisonTable(c) {
    var head = "<tr>" + c.header.map(function (h) { return "<th>" + P.escape(h) + "</th>"; }).join("") + "</tr>";
    var body = c.rows.map(function (r) {
      return "<tr>" + r.map(function (cell, i) {
        return (i ? "<td>" : "<th>") + P.escape(cell) + (i ? "</td>" : "</th>");
      }).join("") + "</tr>";
    }).join("");
    var diffs = c.differences.map(function (d) { return "<li>" + P.escape(d) + "</li>"; }).join("");
    return '<table class="compare">' + head + body + '</table><p class="note">' + P.escape(c.note) + "</p>" +
      (diffs ? "<ul>" + diffs + "</ul>" : "");
  }

  function numeric(v) { return typeof v === "number" ? v : null; }

  function chart(host, config) {
    var box = el("div", "chart-box");
    var canvas = el("canvas");
    box.appendChild(canvas);
    host.appendChild(box);
    config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false }, config.options);
    var c = new Chart(canvas, config);
    P.charts.push(c);
    return c;
  }

  function axis(title, bytes) {
    return { title: { display: true, text: title }, beginAtZero: true,
             ticks: { callback: function (v) { return P.human(v, bytes); } } };
  }

  function stageChart(host, design) {
    var stages = design.stages.filter(function (s) { return numeric(s.params) !== null; });
    if (!stages.length) { host.appendChild(el("p", "note", "Sizes are symbolic: give them values with --set.")); return; }
    host.appendChild(el("h3", "", "Params and MACs by stage" + (P.data.designs.length > 1 ? " \u00b7 " +
      P.escape(design.label) : "")));
    chart(host, {
      type: "bar",
      data: { labels: stages.map(function (s) { return s.name; }), datasets: [
        { label: "params", data: stages.map(function (s) { return s.params; }), backgroundColor: "#3b78b5", yAxisID: "y" },
        { label: "MACs", data: stages.map(function (s) { return numeric(s.macs); }), backgroundColor: "#c0642a", yAxisID: "y1" }] },
      options: { scales: { y: axis("params"), y1: Object.assign(axis("MACs"), { position: "right", grid: { drawOnChartArea: false } }) },
                 plugins: { tooltip: { callbacks: { label: function (ctx) {
                   return ctx.dataset.label + ": " + P.exact(ctx.raw) + " (" + P.human(ctx.raw) + ")"; } } } } }
    });
  }

  function fieldPoints(design) {
    var pts = [];
    design.layers.forEach(function (l, i) { if (l.rf_size !== null) pts.push({ x: i + 1, y: l.rf_size, name: l.name }); });
    return pts;
  }

  function memoryPoints(design) {
    return design.live_bytes.map(function (v, i) { return { x: i + 1, y: v, name: design.layers[i].name }; });
  }

  function pointLabel(unit, bytes) {
    return function (ctx) {
      var p = ctx.raw;
      return (p.name || "") + ": " + (bytes ? P.human(p.y, true) : p.y + unit);
    };
  }

  function fieldChart(host, designs) {
    host.appendChild(el("h3", "", "Receptive field growing with depth"));
    var datasets = designs.map(function (d, k) {
      return { label: d.label, data: fieldPoints(d), borderColor: COLOURS[k % COLOURS.length], pointRadius: 1.5,
               showLine: true, stepped: true, borderWidth: 1.5 };
    });
    chart(host, { type: "scatter", data: { datasets: datasets }, options: {
      scales: { x: { title: { display: true, text: "layer (forward order)" } },
                y: { title: { display: true, text: "receptive field (input pixels, largest side)" }, beginAtZero: true } },
      plugins: { legend: { display: designs.length > 1 }, tooltip: { callbacks: { label: pointLabel(" px") } } } } });
  }

  function memoryChart(host, designs) {
    host.appendChild(el("h3", "", "Activation memory over the forward pass"));
    var datasets = [];
    designs.forEach(function (d, k) {
      var colour = COLOURS[k % COLOURS.length];
      datasets.push({ label: d.label, data: memoryPoints(d), borderColor: colour, backgroundColor: colour + "33",
                      fill: designs.length === 1, pointRadius: 0, showLine: true, borderWidth: 1.5 });
      if (d.peak) {
        datasets.push({ label: "peak " + P.human(d.peak.bytes, true) + " at " + d.peak.layer,
                        data: [{ x: d.peak.index + 1, y: d.peak.bytes, name: "peak at " + d.peak.layer }],
                        borderColor: "#b83b3b", backgroundColor: "#b83b3b", pointRadius: 6, pointStyle: "triangle" });
      }
    });
    var symbolic = designs.every(function (d) { return !d.peak; });
    if (symbolic) { host.appendChild(el("p", "note", "Sizes are symbolic: give them values with --set.")); return; }
    chart(host, { type: "scatter", data: { datasets: datasets }, options: {
      scales: { x: { title: { display: true, text: "layer (forward order)" } }, y: axis("bytes alive (inference)", true) },
      plugins: { tooltip: { callbacks: { label: pointLabel("", true) } } } } });
  }

  function layerTable(host, design, graph) {
    var total = numeric(design.layers.reduce(function (s, l) { return typeof l.params === "number" && s !== null ?
      s + l.params : null; }, 0));
    var columns = [["#", "index"], ["layer", "name"], ["type", "type"], ["output", "shape"], ["params", "params"],
                   ["% params", "share"], ["MACs", "macs"], ["activations", "activation_bytes"], ["receptive field", "rf"]];
    var rows = design.layers.map(function (l, i) {
      return { index: i + 1, name: l.name, type: l.type, shape: l.shape, params: l.params, macs: l.macs,
               share: total && typeof l.params === "number" ? 100 * l.params / total : null,
               activation_bytes: l.activation_bytes, rf: l.rf, rf_size: l.rf_size };
    });
    var filter = el("input", "filter");
    filter.placeholder = "filter layers by name or type";
    host.appendChild(filter);
    var table = el("table", "layers");
    host.appendChild(table);
    var sortKey = "index", ascending = true;
    function cell(r, key) {
      var v = r[key];
      if (key === "share") return v === null ? "" : v.toFixed(2) + "%";
      if (key === "params" || key === "macs") return P.isZero(v) ? "" : P.exact(v);
      if (key === "activation_bytes") return P.human(v, true);
      return P.escape(v === null ? "" : v);
    }
    function sortValue(r) {
      if (sortKey === "rf") return r.rf_size === null ? -1 : r.rf_size;
      return r[sortKey];
    }
    function draw() {
      var needle = filter.value.toLowerCase();
      var shown = rows.filter(function (r) { return !needle || (r.name + " " + r.type).toLowerCase().indexOf(needle) >= 0; });
      shown.sort(function (a, b) {
        var x = sortValue(a), y = sortValue(b), order;
        if (typeof x === "number" && typeof y === "number") order = x - y;
        else if (typeof x === "number") order = -1;
        else if (typeof y === "number") order = 1;
        else order = String(x).localeCompare(String(y));
        return ascending ? order : -order;
      });
      var head = "<thead><tr>" + columns.map(function (c) {
        var mark = c[1] === sortKey ? (ascending ? " \u25b2" : " \u25bc") : "";
        return '<th data-key="' + c[1] + '">' + c[0] + mark + "</th>";
      }).join("") + "</tr></thead>";
      var body = shown.map(function (r) {
        return '<tr data-name="' + P.escape(r.name) + '">' + columns.map(function (c) {
          return "<td>" + cell(r, c[1]) + "</td>"; }).join("") + "</tr>";
      }).join("");
      table.innerHTML = head + "<tbody>" + body + "</tbody>";
    }
    table.addEventListener("click", function (e) {
      var th = e.target.closest("th");
      if (th) {
        var key = th.getAttribute("data-key");
        ascending = key === sortKey ? !ascending : (key === "name" || key === "type" || key === "index");
        sortKey = key;
        draw();
        return;
      }
      var tr = e.target.closest("tr[data-name]");
      if (tr && graph) graph.reveal(tr.getAttribute("data-name"));
    });
    filter.addEventListener("input", draw);
    draw();
  }

  function run() {
    var designs = data.designs;
    document.title = data.title;
    var header = document.getElementById("title");
    header.textContent = data.title;
    var graphsOnly = data.kind === "drawing";
    if (data.comparison) section("Side by side").insertAdjacentHTML("beforeend", comparisonTable(data.comparison));
    var columns = el("div", "columns n" + designs.length);
    main.appendChild(columns);
    designs.forEach(function (d) {
      var col = el("div", "column");
      columns.appendChild(col);
      if (!graphsOnly) section(designs.length > 1 ? d.label : "Totals", col).insertAdjacentHTML("beforeend", totalsTable(d));
      var gs = section(graphsOnly ? d.label : "Graph" + (designs.length > 1 ? " \u00b7 " + d.label : ""), col);
      gs.classList.add("graph-panel");
      var host = el("div", "graph");
      gs.appendChild(host);
      P.graphs.push(new P.GraphView(host, d));
      if (!graphsOnly) stageChart(section("Where the parameters and MACs are", col), d);
      if (d.warnings.length) {
        section("Warnings", col).insertAdjacentHTML("beforeend", "<ul>" + d.warnings.map(function (w) {
          return "<li>" + P.escape(w) + "</li>"; }).join("") + "</ul>");
      }
    });
    if (!graphsOnly) {
      var curves = el("div", "columns n2");
      main.appendChild(curves);
      fieldChart(section("Receptive field", curves), designs);
      memoryChart(section("Activation memory", curves), designs);
      designs.forEach(function (d, k) {
        var s = section("Layers" + (designs.length > 1 ? " \u00b7 " + d.label : "") + " (" + d.layers.length + ")");
        layerTable(s, d, P.graphs[k]);
      });
    }
    document.body.setAttribute("data-ready", "1");
  }

  try {
    run();
  } catch (e) {
    document.body.setAttribute("data-ready", "error");
    throw e;
  }
})();

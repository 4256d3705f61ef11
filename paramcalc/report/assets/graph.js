/* paramcalc: the interactive layer graph of a report. Blocks are collapsible groups; layout.js places what is visible. */
"use strict";

var Paramcalc = window.Paramcalc || {};
window.Paramcalc = Paramcalc;

Paramcalc.human = function (value, bytes) {
  if (value === null || value === undefined) return "n/a";
  if (typeof value === "string") return value;
  var units = bytes ? [[Math.pow(2, 40), " TiB"], [Math.pow(2, 30), " GiB"], [Math.pow(2, 20), " MiB"], [1024, " KiB"]]
    : [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "K"]];
  for (var i = 0; i < units.length; i++) {
    if (Math.abs(value) >= units[i][0]) return (value / units[i][0]).toFixed(1) + units[i][1];
  }
  return bytes ? value + " B" : String(value);
};

Paramcalc.exact = function (value) {
  if (value === null || value === undefined) return "n/a";
  return typeof value === "number" ? value.toLocaleString("en-US") : String(value);
};

Paramcalc.escape = function (text) {
  return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
};

Paramcalc.isZero = function (value) { return value === 0 || value === "0"; };

Paramcalc.MERGE_SYMBOLS = { add: "+", concat: "||", multiply: "x" };

/* One graph view: design = the report data of one architecture; host = the element to draw into. */
Paramcalc.GraphView = function (host, design) {
  this.host = host;
  this.design = design;
  this.zoom = 1;
  this.expanded = new Set();
  var depth = design.depth;
  for (var g in design.groups) {
    if (depth === null || design.groups[g].level < depth) this.expanded.add(g);
  }
  this.inputNames = new Set(design.inputs.map(function (i) { return i.name; }));
  this.measure = document.createElement("canvas").getContext("2d");
  this.measure.font = "11px 'DejaVu Sans', Arial, Helvetica, sans-serif";
  this.boldMeasure = document.createElement("canvas").getContext("2d");
  this.boldMeasure.font = "bold 11px 'DejaVu Sans', Arial, Helvetica, sans-serif";
  this.build();
};

Paramcalc.GraphView.prototype.build = function () {
  var self = this;
  this.host.innerHTML = "";
  var bar = document.createElement("div");
  bar.className = "graph-bar";
  bar.innerHTML = '<button data-act="collapse">collapse all</button> <button data-act="expand">expand all</button> ' +
    '<button data-act="out">&minus;</button> <button data-act="in">+</button> <button data-act="fit">fit width</button> ' +
    '<span class="graph-status"></span><span class="hint">click a dashed block to open it, a group title to close it</span>';
  bar.addEventListener("click", function (e) {
    var act = e.target.getAttribute("data-act");
    if (act === "collapse") { self.expanded.clear(); self.render(); }
    else if (act === "expand") { for (var g in self.design.groups) self.expanded.add(g); self.render(); }
    else if (act === "in") { self.setZoom(self.zoom * 1.25); }
    else if (act === "out") { self.setZoom(self.zoom / 1.25); }
    else if (act === "fit") { self.setZoom(Math.min(1, (self.canvas.clientWidth - 8) / self.width)); }
  });
  this.status = bar.querySelector(".graph-status");
  this.canvas = document.createElement("div");
  this.canvas.className = "graph-canvas";
  this.tooltip = document.createElement("div");
  this.tooltip.className = "graph-tooltip";
  this.host.appendChild(bar);
  this.host.appendChild(this.canvas);
  this.host.appendChild(this.tooltip);
  this.canvas.addEventListener("click", function (e) { self.onClick(e); });
  this.canvas.addEventListener("mousemove", function (e) { self.onHover(e); });
  this.canvas.addEventListener("mouseleave", function () { self.tooltip.style.display = "none"; });
  this.render();
};

/* The id that shows a layer: its outermost closed group, or the layer itself. */
Paramcalc.GraphView.prototype.visibleId = function (layer) {
  for (var i = 0; i < layer.scope.length; i++) {
    if (!this.expanded.has(layer.scope[i])) return layer.scope[i];
  }
  return layer.name;
};

Paramcalc.GraphView.prototype.shortName = function (name, parent) {
  return parent && name.indexOf(parent + ".") === 0 ? name.slice(parent.length + 1) : name;
};

Paramcalc.GraphView.prototype.lines = function (node) {
  var H = Paramcalc.human;
  if (node.kind === "input") return [node.label, "input " + node.shape];
  if (node.kind === "merge") return [Paramcalc.MERGE_SYMBOLS[node.type] + " " + node.type, node.shape];
  var head = node.kind === "block" ? node.type + " (" + node.members + " layers)" :
    (node.type + " " + (node.detail || "")).trim();
  var lines = [node.label, head + "  " + node.shape];
  var figures = [];
  if (!Paramcalc.isZero(node.params)) figures.push(H(node.params) + " params");
  if (!Paramcalc.isZero(node.macs)) figures.push(H(node.macs) + " MACs");
  if (figures.length) lines.push(figures.join(" \u00b7 "));
  return lines;
};

/* Visible nodes, edges and open groups for the current expansion. */
Paramcalc.GraphView.prototype.visible = function () {
  var d = this.design, self = this;
  var nodes = [], byId = {}, edges = [], seen = {}, parentOf = {}, open = {};
  var outputs = new Set(d.outputs);
  d.inputs.forEach(function (inp) {
    var n = { id: inp.name, kind: "input", type: "input", family: "input", label: inp.name, shape: inp.shape,
              params: 0, macs: 0, members: 0, parent: null, rf: "", line: null };
    nodes.push(n); byId[n.id] = n;
  });
  var shownAs = {};
  d.inputs.forEach(function (inp) { shownAs[inp.name] = inp.name; });
  d.layers.forEach(function (layer) {
    var id = self.visibleId(layer);
    shownAs[layer.name] = id;
    var openScope = [];
    for (var i = 0; i < layer.scope.length && self.expanded.has(layer.scope[i]); i++) openScope.push(layer.scope[i]);
    var parent = openScope.length ? openScope[openScope.length - 1] : null;
    openScope.forEach(function (g, k) { if (!(g in open)) { open[g] = k ? openScope[k - 1] : null; } });
    var n = byId[id];
    if (!n) {
      if (id === layer.name) {
        n = { id: id, kind: layer.kind, type: layer.type, family: layer.family, label: self.shortName(id, parent),
              shape: layer.shape, params: layer.params, macs: layer.macs, members: 1, detail: layer.detail,
              parent: parent, rf: layer.rf, line: layer.line };
      } else {
        var g = d.groups[id];
        n = { id: id, kind: "block", type: g.type, family: "block", label: self.shortName(id, parent),
              shape: layer.shape, params: g.params, macs: g.macs, members: g.members, parent: parent,
              rf: layer.rf, line: layer.line };
      }
      nodes.push(n); byId[id] = n;
    }
    n.shape = layer.shape;
    n.rf = layer.rf;
    if (outputs.has(layer.name)) n.output = true;
  });
  d.layers.forEach(function (layer) {
    var t = shownAs[layer.name];
    layer.inputs.forEach(function (src) {
      var s = shownAs[src];
      var key = s + "\u0000" + t;
      if (s !== t && !seen[key]) { seen[key] = true; edges.push([s, t]); }
    });
  });
  return { nodes: nodes, byId: byId, edges: edges, groups: open };
};

Paramcalc.GraphView.prototype.render = function () {
  var started = performance.now();
  var view = this.visible(), self = this;
  var sized = view.nodes.map(function (n) {
    var lines = self.lines(n), width = 0;
    lines.forEach(function (line, i) {
      width = Math.max(width, (i === 0 ? self.boldMeasure : self.measure).measureText(line).width);
    });
    n.lines = lines;
    return { id: n.id, width: Math.max(48, width + 20 + (n.kind === "merge" ? 8 : 0)), height: lines.length * 14 + 12,
             parent: n.parent };
  });
  var placed = Paramcalc.layered(sized, view.edges, view.groups);
  this.width = placed.width;
  this.height = placed.height;
  var out = [];
  // groups, outermost first so inner ones paint above
  var groupIds = Object.keys(view.groups).sort(function (a, b) {
    return self.design.groups[a].level - self.design.groups[b].level;
  });
  groupIds.forEach(function (gid) {
    var box = placed.groups[gid], info = self.design.groups[gid];
    var title = self.shortName(gid, view.groups[gid]) + " (" + info.type + ") \u00b7 " + Paramcalc.human(info.params);
    var most = Math.max(4, Math.floor((box.w - 14) / 5.6));
    if (title.length > most) title = title.slice(0, most - 1) + "\u2026";
    out.push('<g class="group" data-group="' + Paramcalc.escape(gid) + '"><rect x="' + box.x + '" y="' + box.y +
      '" width="' + box.w + '" height="' + box.h + '" rx="6"/><text x="' + (box.x + 8) + '" y="' + (box.y + 13) +
      '">' + Paramcalc.escape(title) + "</text></g>");
  });
  placed.edges.forEach(function (e) {
    var pts = e[2].map(function (p) { return p[0].toFixed(1) + "," + p[1].toFixed(1); }).join(" ");
    out.push('<polyline class="edge" points="' + pts + '" marker-end="url(#pc-arrow)"/>');
  });
  view.nodes.forEach(function (n) {
    var box = placed.nodes[n.id], cx = box.x + box.w / 2;
    var rx = n.kind === "merge" ? box.h / 2 : n.kind === "block" ? 10 : 4;
    var cls = "node " + n.kind + " f-" + n.family + (n.output ? " output" : "");
    var text = n.lines.map(function (line, i) {
      return '<text x="' + cx + '" y="' + (box.y + 6 + 14 * (i + 1) - 3) + '"' + (i === 0 && n.kind !== "merge" ?
        ' class="name"' : "") + ">" + Paramcalc.escape(line) + "</text>";
    }).join("");
    out.push('<g class="' + cls + '" data-id="' + Paramcalc.escape(n.id) + '"><rect x="' + box.x + '" y="' + box.y +
      '" width="' + box.w + '" height="' + box.h + '" rx="' + rx + '"/>' + text + "</g>");
  });
  this.view = view;
  this.canvas.innerHTML = '<svg xmlns="http://www.w3.org/2000/svg" class="graph-svg" viewBox="0 0 ' + this.width +
    " " + this.height + '"><defs><marker id="pc-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" ' +
    'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#7a7a7a"/></marker></defs>' +
    out.join("") + "</svg>";
  this.svg = this.canvas.firstChild;
  if (!this.shown) {  // first drawing: shrink a wide graph to the panel (not below 40%), centred
    this.shown = true;
    var room = this.canvas.clientWidth - 8;
    if (room > 0 && this.width > room) this.zoom = Math.max(0.4, room / this.width);
  }
  this.setZoom(this.zoom);
  this.canvas.scrollLeft = Math.max(0, (this.width * this.zoom - this.canvas.clientWidth) / 2);
  var layers = 0;
  view.nodes.forEach(function (n) { if (n.kind !== "input") layers += 1; });
  this.status.textContent = layers + " nodes, " + groupIds.length + " open groups, laid out in " +
    Math.round(performance.now() - started) + " ms";
};

Paramcalc.GraphView.prototype.setZoom = function (zoom) {
  this.zoom = Math.max(0.05, Math.min(4, zoom));
  this.svg.setAttribute("width", this.width * this.zoom);
  this.svg.setAttribute("height", this.height * this.zoom);
};

Paramcalc.GraphView.prototype.onClick = function (e) {
  var node = e.target.closest("g.node");
  if (node && node.classList.contains("block")) {
    this.expanded.add(node.getAttribute("data-id"));
    this.render();
    return;
  }
  var group = e.target.closest("g.group");
  if (group && e.target.tagName.toLowerCase() === "text") {
    var gid = group.getAttribute("data-group");
    var self = this;
    Array.from(this.expanded).forEach(function (g) {
      if (g === gid || g.indexOf(gid + ".") === 0) self.expanded.delete(g);
    });
    this.render();
  }
};

Paramcalc.GraphView.prototype.onHover = function (e) {
  var el = e.target.closest("g.node");
  if (!el) { this.tooltip.style.display = "none"; return; }
  var n = this.view.byId[el.getAttribute("data-id")];
  var rows = [["", n.id + " (" + n.type + ")"], ["output", n.shape]];
  if (n.kind !== "input") {
    rows.push(["params", Paramcalc.exact(n.params)]);
    rows.push(["MACs", Paramcalc.exact(n.macs)]);
  }
  if (n.rf) rows.push(["receptive field", n.rf]);
  if (n.members > 1) rows.push(["layers", String(n.members)]);
  if (n.line !== null && n.line !== undefined) rows.push(["line", String(n.line)]);
  this.tooltip.innerHTML = rows.map(function (r) {
    return r[0] ? "<div><b>" + r[0] + "</b> " + Paramcalc.escape(r[1]) + "</div>" :
      '<div class="tip-title">' + Paramcalc.escape(r[1]) + "</div>";
  }).join("");
  var box = this.host.getBoundingClientRect();
  this.tooltip.style.display = "block";
  this.tooltip.style.left = (e.clientX - box.left + 14) + "px";
  this.tooltip.style.top = (e.clientY - box.top + 14) + "px";
};

/* Open every group around a layer and bring it into view (from the table). */
Paramcalc.GraphView.prototype.reveal = function (name) {
  var layer = this.design.layers.find(function (l) { return l.name === name; });
  if (!layer) return;
  var self = this;
  layer.scope.forEach(function (g) { self.expanded.add(g); });
  this.render();
  var el = this.canvas.querySelector('g.node[data-id="' + CSS.escape(name) + '"]');
  if (el) {
    el.classList.add("picked");
    el.scrollIntoView({ block: "center", inline: "center" });
  }
};

/* paramcalc: the layered layout of paramcalc/draw/layout.py, step for step, for the graph view in the browser.
   Ranks by longest path; dummy points on edges that span ranks; barycentre ordering that keeps a group's members
   together; x by least squares under the order's separations (pool adjacent violators); y with room for titles.
   (dagre 3.1.3 took 5-28 s on ResNet-152 and DenseNet-201 at full depth; this takes well under a second.) */
"use strict";

var Paramcalc = window.Paramcalc || {};
window.Paramcalc = Paramcalc;

Paramcalc.LAYOUT = { nodeGap: 18, groupPad: 10, groupLabel: 16, rankGap: 26, margin: 16, sweeps: 6 };

Paramcalc.isotonic = function (targets, weights) {
  var blocks = [];
  for (var i = 0; i < targets.length; i++) {
    blocks.push([targets[i], weights[i], 1]);
    while (blocks.length > 1 && blocks[blocks.length - 2][0] > blocks[blocks.length - 1][0]) {
      var b = blocks.pop(), a = blocks.pop();
      blocks.push([(a[0] * a[1] + b[0] * b[1]) / (a[1] + b[1]), a[1] + b[1], a[2] + b[2]]);
    }
  }
  var out = [];
  blocks.forEach(function (blk) { for (var k = 0; k < blk[2]; k++) out.push(blk[0]); });
  return out;
};

/* nodes: [{id, width, height, parent}] in topological order; edges: [[source, target]]; groups: {id: parent id or null}. */
Paramcalc.layered = function (nodes, edges, groups) {
  var C = Paramcalc.LAYOUT;
  var ids = nodes.map(function (n) { return n.id; });
  var byId = {}, preds = {}, position = {};
  nodes.forEach(function (n, i) { byId[n.id] = n; preds[n.id] = []; position[n.id] = i; });
  edges.forEach(function (e) { preds[e[1]].push(e[0]); });
  // ranks: nodes come in topological order (the engine's), so one pass suffices
  var rank = {};
  ids.forEach(function (v) {
    var r = 0;
    preds[v].forEach(function (u) { r = Math.max(r, rank[u] + 1); });
    rank[v] = r;
  });
  function chainOf(group) {
    var out = [];
    while (group !== null && group !== undefined) { out.unshift(group); group = groups[group]; }
    return out;
  }
  var size = {}, chains = {}, vrank = {}, up = {}, down = {}, isDummy = {};
  var vertices = ids.slice();
  nodes.forEach(function (n) {
    size[n.id] = [n.width, n.height]; chains[n.id] = chainOf(n.parent); vrank[n.id] = rank[n.id];
    up[n.id] = []; down[n.id] = [];
  });
  var routes = [];
  edges.forEach(function (e, k) {
    var u = e[0], v = e[1], path = [u];
    if (rank[v] - rank[u] > 1) {
      var common = [];
      for (var i = 0; i < Math.min(chains[u].length, chains[v].length) && chains[u][i] === chains[v][i]; i++) {
        common.push(chains[u][i]);
      }
      for (var r = rank[u] + 1; r < rank[v]; r++) {
        var d = "\u0000" + k + ":" + r;
        vrank[d] = r; size[d] = [8, 0]; chains[d] = common; up[d] = []; down[d] = []; isDummy[d] = true;
        vertices.push(d); path.push(d);
      }
    }
    path.push(v);
    for (var j = 0; j + 1 < path.length; j++) { down[path[j]].push(path[j + 1]); up[path[j + 1]].push(path[j]); }
    routes.push([u, v, path]);
  });
  var depth = 0;
  vertices.forEach(function (v) { depth = Math.max(depth, vrank[v] + 1); });
  var layers = [];
  for (var r0 = 0; r0 < depth; r0++) layers.push([]);
  vertices.forEach(function (v) { layers[vrank[v]].push(v); });
  var pos = {};
  layers.forEach(function (layer) { layer.forEach(function (v, i) { pos[v] = i; }); });

  function order(layer, neighbours) {
    var bary = {}, sums = {}, counts = {};
    layer.forEach(function (v) {
      var near = neighbours[v], s = 0;
      near.forEach(function (u) { s += pos[u]; });
      bary[v] = near.length ? s / near.length : pos[v];
      var c = chains[v], key = "";
      for (var k = 0; k < c.length; k++) {
        key += "\u0001" + c[k];
        sums[key] = (sums[key] || 0) + bary[v]; counts[key] = (counts[key] || 0) + 1;
      }
    });
    var keys = {};
    layer.forEach(function (v) {
      var c = chains[v], key = "", out = [];
      for (var k = 0; k < c.length; k++) { key += "\u0001" + c[k]; out.push(sums[key] / counts[key]); }
      out.push(bary[v], pos[v]);
      keys[v] = out;
    });
    layer.sort(function (a, b) {
      var x = keys[a], y = keys[b];
      for (var i = 0; i < Math.min(x.length, y.length); i++) { if (x[i] !== y[i]) return x[i] - y[i]; }
      return x.length - y.length;
    });
    layer.forEach(function (v, i) { pos[v] = i; });
  }
  for (var s = 0; s < C.sweeps; s++) {
    for (var a = 1; a < depth; a++) order(layers[a], up);
    for (var b = depth - 2; b >= 0; b--) order(layers[b], down);
  }

  // half the width of each group's widest member (with the pads of the groups between): a group's members stand
  // roughly in a column, so its box reaches that far either side of any of them
  var halfWidth = {};
  ids.forEach(function (v) {
    var c = chains[v];
    c.forEach(function (g, k) {
      halfWidth[g] = Math.max(halfWidth[g] || 0, size[v][0] / 2 + C.groupPad * (c.length - k));
    });
  });
  function separation(a, b) {
    var ca = chains[a], cb = chains[b], common = 0;
    while (common < ca.length && common < cb.length && ca[common] === cb[common]) common++;
    var wa = size[a][0] / 2, wb = size[b][0] / 2, gap = wa + wb + C.nodeGap;
    if (ca.length > common) gap += Math.max(C.groupPad * (ca.length - common), halfWidth[ca[common]] - wa);
    if (cb.length > common) gap += Math.max(C.groupPad * (cb.length - common), halfWidth[cb[common]] - wb);
    return gap;
  }
  var offsets = [], x = {};
  layers.forEach(function (layer) {
    var off = [0];
    for (var i = 1; i < layer.length; i++) off.push(off[i - 1] + separation(layer[i - 1], layer[i]));
    offsets.push(off);
    layer.forEach(function (v, i) { x[v] = off[i] - off[off.length - 1] / 2; });
  });
  function place(r, neighbours) {
    var layer = layers[r];
    if (!layer.length) return;
    var targets = [], weights = [];
    layer.forEach(function (v, i) {
      var near = neighbours[v], sum = 0;
      near.forEach(function (u) { sum += x[u]; });
      targets.push((near.length ? sum / near.length : x[v]) - offsets[r][i]);
      weights.push(isDummy[v] ? 2 : 1);
    });
    var fit = Paramcalc.isotonic(targets, weights);
    layer.forEach(function (v, i) { x[v] = fit[i] + offsets[r][i]; });
  }
  var both = {};
  vertices.forEach(function (v) { both[v] = up[v].concat(down[v]); });
  for (var t = 0; t < C.sweeps; t++) {
    for (var p = 1; p < depth; p++) place(p, up);
    for (var q = depth - 2; q >= 0; q--) place(q, down);
  }
  for (var w = 0; w < depth; w++) place(w, both);

  // y: ranks as tall as their tallest box, with room for the titles of groups that start there
  var first = {}, last = {};
  ids.forEach(function (v) {
    chains[v].forEach(function (g) {
      first[g] = first[g] === undefined ? rank[v] : Math.min(first[g], rank[v]);
      last[g] = last[g] === undefined ? rank[v] : Math.max(last[g], rank[v]);
    });
  });
  var starts = [], ends = [];
  for (var z = 0; z < depth; z++) { starts.push(0); ends.push(0); }
  ids.forEach(function (v) {
    var r = rank[v], st = 0, en = 0;
    chains[v].forEach(function (g) { if (first[g] === r) st++; if (last[g] === r) en++; });
    starts[r] = Math.max(starts[r], st); ends[r] = Math.max(ends[r], en);
  });
  var tops = [], heights = [], y = C.margin;
  layers.forEach(function (layer, r) {
    y += starts[r] * (C.groupLabel + C.groupPad);
    tops.push(y);
    var h = 0;
    layer.forEach(function (v) { h = Math.max(h, size[v][1]); });
    heights.push(h);
    y += h + C.rankGap + ends[r] * C.groupPad;
  });
  var boxes = {};
  ids.forEach(function (v) {
    var wv = size[v][0], hv = size[v][1], r = rank[v];
    boxes[v] = { x: x[v] - wv / 2, y: tops[r] + (heights[r] - hv) / 2, w: wv, h: hv };
  });
  var groupBoxes = {}, children = {}, members = {};
  Object.keys(groups).forEach(function (g) { children[g] = []; members[g] = []; });
  Object.keys(groups).forEach(function (g) { if (groups[g] !== null) children[groups[g]].push(g); });
  nodes.forEach(function (n) { if (n.parent !== null && n.parent !== undefined) members[n.parent].push(n.id); });
  function groupBox(g) {
    if (groupBoxes[g]) return groupBoxes[g];
    var parts = members[g].map(function (v) { return boxes[v]; }).concat(children[g].map(groupBox));
    var left = Infinity, right = -Infinity, top = Infinity, bottom = -Infinity;
    parts.forEach(function (b) {
      left = Math.min(left, b.x); right = Math.max(right, b.x + b.w);
      top = Math.min(top, b.y); bottom = Math.max(bottom, b.y + b.h);
    });
    groupBoxes[g] = { x: left - C.groupPad, y: top - C.groupPad - C.groupLabel, w: right - left + 2 * C.groupPad,
                      h: bottom - top + 2 * C.groupPad + C.groupLabel };
    return groupBoxes[g];
  }
  Object.keys(groups).forEach(groupBox);
  var minX = Infinity;
  Object.keys(boxes).forEach(function (k) { minX = Math.min(minX, boxes[k].x); });
  Object.keys(groupBoxes).forEach(function (k) { minX = Math.min(minX, groupBoxes[k].x); });
  vertices.forEach(function (v) { if (isDummy[v]) minX = Math.min(minX, x[v]); });
  var shift = C.margin - minX, width = 0;
  [boxes, groupBoxes].forEach(function (set) {
    Object.keys(set).forEach(function (k) { set[k].x += shift; width = Math.max(width, set[k].x + set[k].w); });
  });
  var routed = routes.map(function (route) {
    var u = route[0], v = route[1], path = route[2];
    var pts = [[boxes[u].x + boxes[u].w / 2, boxes[u].y + boxes[u].h]];
    path.slice(1, -1).forEach(function (d) {
      var r = vrank[d];
      pts.push([x[d] + shift, tops[r] - 4]);
      pts.push([x[d] + shift, tops[r] + heights[r] + 4]);
    });
    pts.push([boxes[v].x + boxes[v].w / 2, boxes[v].y]);
    return [u, v, pts];
  });
  return { width: width + C.margin, height: y - C.rankGap + C.margin, nodes: boxes, groups: groupBoxes, edges: routed };
};

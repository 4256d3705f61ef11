"""A layered (Sugiyama-style) layout of a Diagram: positioned boxes for nodes and open groups, and edge polylines.

Steps, each a small pure function: ranks by longest path from the inputs; a chain of dummy points for every edge
that spans several ranks (so long skips, U-Net's and DenseNet's, are routed between boxes instead of through them);
ordering within ranks by barycentre sweeps that keep a group's members side by side; x positions as the least-squares
fit to the neighbours' positions under the order's minimum separations (pool-adjacent-violators), swept down and up;
y positions with room for group labels. Pure Python, no Graphviz: ResNet-152 at full depth takes well under a second.
"""

from __future__ import annotations

from .model import Diagram, node_lines
from ..records import record

CHAR_WIDTH = 6.4      # px per character of the 11px sans-serif label font (a generous average)
LINE_HEIGHT = 14
PAD_X, PAD_Y = 10, 6
NODE_GAP = 18         # between neighbouring boxes in a rank
GROUP_PAD = 10        # between a group's border and what it holds
GROUP_LABEL = 16      # height of a group's title
RANK_GAP = 26         # between ranks
MARGIN = 16
SWEEPS = 6


@record
class Box:
    x: float          # left
    y: float          # top
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2


@record
class Layout:
    width: float
    height: float
    nodes: dict       # node id -> Box
    groups: dict      # group id -> Box
    edges: tuple      # (source id, target id, ((x, y), ...)) from the source's bottom to the target's top


def box_size(lines: list[str], kind: str) -> tuple[float, float]:
    width = max(len(line) for line in lines) * CHAR_WIDTH + 2 * PAD_X
    if kind == "merge":
        width += 8
    return max(width, 48), len(lines) * LINE_HEIGHT + 2 * PAD_Y


def _ranks(ids: list, preds: dict) -> dict:
    """Longest path from the sources, in a topological order that keeps the diagram's order where it can."""
    position = {v: i for i, v in enumerate(ids)}
    indegree = {v: len(preds[v]) for v in ids}
    succs: dict = {v: [] for v in ids}
    for v in ids:
        for u in preds[v]:
            succs[u].append(v)
    import heapq

    ready = [(position[v], v) for v in ids if indegree[v] == 0]
    heapq.heapify(ready)
    rank = {}
    while ready:
        _, v = heapq.heappop(ready)
        rank[v] = max((rank[u] + 1 for u in preds[v]), default=0)
        for w in succs[v]:
            indegree[w] -= 1
            if indegree[w] == 0:
                heapq.heappush(ready, (position[w], w))
    if len(rank) != len(ids):
        raise AssertionError("the diagram has a cycle")  # the graph builder only allows earlier inputs
    return rank


def _isotonic(targets: list[float], weights: list[float]) -> list[float]:
    """Weighted least-squares non-decreasing fit (pool adjacent violators)."""
    blocks: list[list] = []  # [mean, weight, count]
    for t, w in zip(targets, weights):
        blocks.append([t, w, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, w2, c2 = blocks.pop()
            m1, w1, c1 = blocks.pop()
            blocks.append([(m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, c1 + c2])
    out: list[float] = []
    for mean, _, count in blocks:
        out.extend([mean] * count)
    return out


def layout(diagram: Diagram, receptive_field: bool = False) -> Layout:
    """Positions for every node, group and edge of ``diagram`` (top to bottom, inputs first)."""
    ids = [n.id for n in diagram.nodes]
    preds: dict = {v: [] for v in ids}
    for u, v in diagram.edges:
        preds[v].append(u)
    rank = _ranks(ids, preds)
    parent = {g.id: g.parent for g in diagram.groups}

    def chain(group):
        out = []
        while group is not None:
            out.append(group)
            group = parent[group]
        return tuple(reversed(out))

    # vertices: real nodes and dummy points; size, enclosing groups, rank
    size = {}
    chains = {}
    for n in diagram.nodes:
        size[n.id] = box_size(node_lines(n, receptive_field), n.kind)
        chains[n.id] = chain(n.group)
    vrank = dict(rank)
    up: dict = {v: [] for v in ids}      # neighbours one rank above
    down: dict = {v: [] for v in ids}    # neighbours one rank below
    routes = []                          # (source, target, [vertices from source to target])
    for u, v in diagram.edges:
        path = [u]
        if rank[v] - rank[u] > 1:
            common = []
            for a, b in zip(chains[u], chains[v]):
                if a != b:
                    break
                common.append(a)
            for r in range(rank[u] + 1, rank[v]):
                d = ("dummy", u, v, r)
                vrank[d] = r
                size[d] = (8, 0)
                chains[d] = tuple(common)
                up[d], down[d] = [], []
                path.append(d)
        path.append(v)
        for a, b in zip(path, path[1:]):
            down[a].append(b)
            up[b].append(a)
        routes.append((u, v, path))

    depth = max(vrank.values(), default=0) + 1
    layers: list[list] = [[] for _ in range(depth)]
    for v in list(ids) + [d for d in vrank if isinstance(d, tuple)]:
        layers[vrank[v]].append(v)
    pos = {}
    for layer in layers:
        for i, v in enumerate(layer):
            pos[v] = i

    def order(layer, neighbours):
        bary = {}
        for v in layer:
            near = neighbours[v]
            bary[v] = sum(pos[u] for u in near) / len(near) if near else pos[v]
        level_means: dict = {}
        for v in layer:
            for k in range(1, len(chains[v]) + 1):
                level_means.setdefault(chains[v][:k], []).append(bary[v])
        means = {key: sum(vals) / len(vals) for key, vals in level_means.items()}

        def key(v):
            c = chains[v]
            return tuple(means[c[:k]] for k in range(1, len(c) + 1)) + (bary[v], pos[v])

        layer.sort(key=key)
        for i, v in enumerate(layer):
            pos[v] = i

    for _ in range(SWEEPS):
        for layer in layers[1:]:
            order(layer, up)
        for layer in reversed(layers[:-1]):
            order(layer, down)

    # half the width of each group's widest member (with the pads of the groups between): a group's members stand
    # roughly in a column, so its box reaches that far either side of any of them
    half_width: dict = {}
    for n in diagram.nodes:
        c = chains[n.id]
        for k, g in enumerate(c):
            half_width[g] = max(half_width.get(g, 0.0), size[n.id][0] / 2 + GROUP_PAD * (len(c) - k))

    def separation(a, b) -> float:
        """Centre distance between neighbours a and b: their half widths and a gap, and where they belong to
        different groups, how far those groups' boxes reach beyond them."""
        ca, cb = chains[a], chains[b]
        common = 0
        for p, q in zip(ca, cb):
            if p != q:
                break
            common += 1
        wa, wb = size[a][0] / 2, size[b][0] / 2
        gap = wa + wb + NODE_GAP
        if len(ca) > common:
            gap += max(GROUP_PAD * (len(ca) - common), half_width[ca[common]] - wa)
        if len(cb) > common:
            gap += max(GROUP_PAD * (len(cb) - common), half_width[cb[common]] - wb)
        return gap

    def offsets(layer):
        off = [0.0]
        for a, b in zip(layer, layer[1:]):
            off.append(off[-1] + separation(a, b))
        return off

    rank_offsets = [offsets(layer) for layer in layers]

    x = {}
    for layer, off in zip(layers, rank_offsets):
        for v, o in zip(layer, off):
            x[v] = o - off[-1] / 2

    def place(r, neighbours):
        layer = layers[r]
        if not layer:
            return
        off = rank_offsets[r]
        targets, weights = [], []
        for v, o in zip(layer, off):
            near = neighbours[v]
            desired = sum(x[u] for u in near) / len(near) if near else x[v]
            targets.append(desired - o)
            weights.append(2.0 if isinstance(v, tuple) else 1.0)
        for v, o, y in zip(layer, off, _isotonic(targets, weights)):
            x[v] = y + o

    both = {v: up[v] + down[v] for v in vrank}
    for _ in range(SWEEPS):
        for r in range(1, depth):
            place(r, up)
        for r in reversed(range(depth - 1)):
            place(r, down)
    for r in range(depth):
        place(r, both)

    # y: each rank as tall as its tallest box, with room above for the titles of groups that start there
    real_rank = {g.id: [] for g in diagram.groups}
    for n in diagram.nodes:
        for g in chains[n.id]:
            real_rank[g].append(rank[n.id])
    starts = [0] * depth
    ends = [0] * depth
    for n in diagram.nodes:
        r = rank[n.id]
        starts[r] = max(starts[r], sum(1 for g in chains[n.id] if min(real_rank[g]) == r))
        ends[r] = max(ends[r], sum(1 for g in chains[n.id] if max(real_rank[g]) == r))
    tops, heights = [], []
    y = MARGIN
    for r, layer in enumerate(layers):
        y += starts[r] * (GROUP_LABEL + GROUP_PAD)
        tops.append(y)
        h = max((size[v][1] for v in layer), default=0)
        heights.append(h)
        y += h + RANK_GAP + ends[r] * GROUP_PAD

    boxes = {}
    for v in ids:
        w, h = size[v]
        r = rank[v]
        boxes[v] = Box(x[v] - w / 2, tops[r] + (heights[r] - h) / 2, w, h)
    group_boxes: dict = {}
    for g in reversed(diagram.groups):  # children before their parents
        parts = [boxes[n.id] for n in diagram.nodes if n.group == g.id]
        parts += [group_boxes[c.id] for c in diagram.groups if c.parent == g.id]
        left = min(b.x for b in parts) - GROUP_PAD
        right = max(b.x + b.w for b in parts) + GROUP_PAD
        top = min(b.y for b in parts) - GROUP_PAD - GROUP_LABEL
        bottom = max(b.y + b.h for b in parts) + GROUP_PAD
        group_boxes[g.id] = Box(left, top, right - left, bottom - top)

    everything = list(boxes.values()) + list(group_boxes.values())
    min_x = min((b.x for b in everything), default=0)
    min_x = min([min_x] + [x[v] for v in vrank if isinstance(v, tuple)])
    shift = MARGIN - min_x
    boxes = {k: Box(b.x + shift, b.y, b.w, b.h) for k, b in boxes.items()}
    group_boxes = {k: Box(b.x + shift, b.y, b.w, b.h) for k, b in group_boxes.items()}
    edges = []
    for u, v, path in routes:
        points = [(boxes[u].cx, boxes[u].y + boxes[u].h)]
        for d in path[1:-1]:
            r = vrank[d]
            points.append((x[d] + shift, tops[r] - 4))
            points.append((x[d] + shift, tops[r] + heights[r] + 4))
        points.append((boxes[v].cx, boxes[v].y))
        edges.append((u, v, tuple((round(px, 1), round(py, 1)) for px, py in points)))
    width = max((b.x + b.w for b in list(boxes.values()) + list(group_boxes.values())), default=0) + MARGIN
    height = y - RANK_GAP + MARGIN
    return Layout(round(width, 1), round(height, 1), boxes, group_boxes, tuple(edges))

#!/usr/bin/env python3
"""topo_oracle.py - the reference answers for tests/t_topo.c.

Generates a graph of one kind from a seed and writes, into an output
directory, the neo4j-admin CSV files outpost imports and the answers
networkx gives for outpost_graph_topo() on the same graph:

  nodes.csv     uuid:ID,name,:LABEL      (label Point)
  edges.csv     :START_ID,:END_ID,:TYPE  (types PREREQ, LINK, NEAR)
  expected.csv  type,start,status,count,nodes

expected.csv rows, one per (type, start node):
  TYPE,START,ok,N,U1 U2 ...   the N ancestors of START along TYPE (nodes
                              with a path to START), START excluded, in
                              nx.lexicographical_topological_sort order
                              keyed by uuid text
  TYPE,START,cycle,N,U1 ...   START and its ancestors hold a cycle (a self
                              loop counts, and so does a cycle through
                              START): the N nodes that lie on one
The graph is a MultiDiGraph: repeated edges are kept.

Usage: topo_oracle.py --kind KIND --seed N --out DIR
Same kind and seed, same files, whatever the networkx version: the graph
is drawn with Python's own random.Random, networkx only answers.
"""
import argparse
import csv
import os
import random
import sys
import uuid

try:
    import networkx as nx
except ImportError:
    sys.stderr.write("topo_oracle.py: python3-networkx is missing "
                     "(tools/install-deps installs it)\n")
    sys.exit(3)

KINDS = ("dag", "chain", "diamond", "wide", "disconnected", "multigraph",
         "cyclic")


def dag_edges(rng, nodes, m, t="PREREQ"):
    """m random edges that keep nodes acyclic, in a random rank order."""
    rank = list(nodes)
    rng.shuffle(rank)
    edges = []
    for _ in range(m):
        i, j = sorted(rng.sample(range(len(rank)), 2))
        edges.append((rank[i], rank[j], t))
    return rank, edges


def noise(rng, n, m):
    """NEAR edges anywhere (cycles and self loops among them)."""
    return [(rng.randrange(n), rng.randrange(n), "NEAR") for _ in range(m)]


def gen_dag(rng):
    n = rng.randint(150, 350)
    rank, edges = dag_edges(rng, range(n), int(2.5 * n))
    for _ in range(3):  # long chains: deep ancestries
        chain = sorted(rng.sample(range(n), 15))
        edges += [(rank[i], rank[j], "PREREQ")
                  for i, j in zip(chain, chain[1:])]
    return n, edges + noise(rng, n, n), ("PREREQ", "NEAR")


def gen_chain(rng):
    n = rng.randint(60, 100)
    order = list(range(n))
    rng.shuffle(order)
    edges = [(a, b, "PREREQ") for a, b in zip(order, order[1:])]
    return n, edges, ("PREREQ",)


def gen_diamond(rng):
    # Diamonds stacked: top -> {left, right} -> bottom = next top; then a
    # wide one, top -> 25 middles -> bottom, where only uuids decide.
    k = rng.randint(6, 10)
    edges, top, n = [], 0, 1
    for _ in range(k):
        left, right, bottom = n, n + 1, n + 2
        n += 3
        edges += [(top, left, "PREREQ"), (top, right, "PREREQ"),
                  (left, bottom, "PREREQ"), (right, bottom, "PREREQ")]
        top = bottom
    mids = list(range(n, n + 25))
    bottom = n + 25
    n += 26
    for m in mids:
        edges += [(top, m, "PREREQ"), (m, bottom, "PREREQ")]
    return n, edges, ("PREREQ",)


def gen_wide(rng):
    # Three layers, many ties; uuids share a long prefix (see main).
    a, b, c = rng.randint(80, 150), rng.randint(20, 40), rng.randint(3, 6)
    n = a + b + c
    edges = []
    for v in range(a, a + b):
        for u in rng.sample(range(a), rng.randint(5, 30)):
            edges.append((u, v, "PREREQ"))
    for v in range(a + b, n):
        for u in rng.sample(range(a, a + b), rng.randint(3, b)):
            edges.append((u, v, "PREREQ"))
    return n, edges, ("PREREQ",)


def gen_disconnected(rng):
    n = rng.randint(200, 400)
    nodes = list(range(n))
    rng.shuffle(nodes)
    rest = nodes[12:]  # the first 12 stay isolated
    cuts = sorted(rng.sample(range(1, len(rest)), 6))
    edges = []
    for a, b in zip([0] + cuts, cuts + [len(rest)]):
        comp = rest[a:b]
        if len(comp) >= 2:
            edges += dag_edges(rng, comp, 2 * len(comp))[1]
    return n, edges + noise(rng, n, n // 2), ("PREREQ", "NEAR")


def gen_multigraph(rng):
    n = rng.randint(60, 120)
    _, base = dag_edges(rng, range(n), 2 * n)
    edges = []
    for u, v, t in base:
        edges += [(u, v, t)] * rng.choice((1, 1, 2, 3, 5))
        if rng.random() < 0.3:  # the same pair under NEAR, both ways
            edges += [(u, v, "NEAR"), (v, u, "NEAR")]
    return n, edges, ("PREREQ", "NEAR")


def gen_cyclic(rng):
    # A DAG of LINK edges with a few cycles added: a self loop, a 2-cycle,
    # longer ones; the nodes downstream of one are refused, others not.
    n = rng.randint(120, 250)
    edges = dag_edges(rng, range(n), 2 * n, "LINK")[1]
    for length in (1, 2, 5, 14):
        cyc = rng.sample(range(n), length)
        edges += [(u, cyc[(i + 1) % length], "LINK")
                  for i, u in enumerate(cyc)]
    return n, edges, ("LINK",)


GENERATORS = {
    "dag": gen_dag,
    "chain": gen_chain,
    "diamond": gen_diamond,
    "wide": gen_wide,
    "disconnected": gen_disconnected,
    "multigraph": gen_multigraph,
    "cyclic": gen_cyclic,
}


def of_type(g, t):
    h = nx.MultiDiGraph()
    h.add_nodes_from(g.nodes)
    h.add_edges_from((u, v) for u, v, a in g.edges(data=True)
                     if a["type"] == t)
    return h


def pick_starts(rng, h, n, kind):
    if kind in ("chain", "diamond"):
        return list(range(n))
    starts = rng.sample(range(n), min(n, 25))
    most = sorted(h.nodes, key=lambda v: (-len(nx.ancestors(h, v)), v))
    starts += most[:3]  # the deepest ancestries
    starts += [v for v in h.nodes if h.degree(v) == 0][:2]  # isolated
    starts += [v for v in h.nodes if h.in_degree(v) == 0][:2]  # sources
    starts += [v for v in h.nodes if h.has_edge(v, v)][:2]  # self loops
    seen, out = set(), []
    for v in starts:
        if v not in seen:
            seen.add(v)
            out.append(v)
    return out


def answer(h, s, ids):
    anc = nx.ancestors(h, s)
    closure = h.subgraph(anc | {s})
    if not nx.is_directed_acyclic_graph(closure):
        on = set()
        for comp in nx.strongly_connected_components(closure):
            if len(comp) > 1 or any(closure.has_edge(v, v) for v in comp):
                on |= comp
        return "cycle", sorted(ids[v] for v in on)
    order = nx.lexicographical_topological_sort(h.subgraph(anc),
                                                key=lambda v: ids[v])
    return "ok", [ids[v] for v in order]


def make_ids(rng, n, kind):
    if kind == "wide":  # all alike but the last bytes: memcmp goes deep
        prefix = rng.getrandbits(128) & ~0xFFFF
        vals = rng.sample(range(0x10000), n)
        return [str(uuid.UUID(int=prefix | v, version=4)) for v in vals]
    return [str(uuid.UUID(int=rng.getrandbits(128), version=4))
            for _ in range(n)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kind", required=True, choices=KINDS)
    ap.add_argument("--seed", required=True, type=int)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    rng = random.Random("topo:%s:%d" % (args.kind, args.seed))
    n, edges, qtypes = GENERATORS[args.kind](rng)
    ids = make_ids(rng, n, args.kind)
    g = nx.MultiDiGraph()
    g.add_nodes_from(range(n))
    for u, v, t in edges:
        g.add_edge(u, v, type=t)

    os.makedirs(args.out, exist_ok=True)
    order = list(range(n))
    rng.shuffle(order)
    with open(os.path.join(args.out, "nodes.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["uuid:ID", "name", ":LABEL"])
        for i in order:
            w.writerow([ids[i], "Point %d" % i, "Point"])
    shuffled = list(edges)
    rng.shuffle(shuffled)
    with open(os.path.join(args.out, "edges.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow([":START_ID", ":END_ID", ":TYPE"])
        for u, v, t in shuffled:
            w.writerow([ids[u], ids[v], t])

    rows = {"ok": 0, "cycle": 0}
    with open(os.path.join(args.out, "expected.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["type", "start", "status", "count", "nodes"])
        for t in qtypes:
            h = of_type(g, t)
            for s in pick_starts(rng, h, n, args.kind):
                status, nodes = answer(h, s, ids)
                w.writerow([t, ids[s], status, len(nodes), " ".join(nodes)])
                rows[status] += 1
    print("%s seed %d: %d nodes, %d edges, %d ordered, %d refused"
          % (args.kind, args.seed, n, len(edges), rows["ok"], rows["cycle"]))


if __name__ == "__main__":
    main()

//! petgraph: graph algorithms on n generated directed graphs (1,500 nodes, 6,000 weighted edges):
//! Tarjan and Kosaraju SCC, Bellman-Ford, minimum spanning tree, toposort of the condensation, DFS and
//! BFS walks, connected components. (Its HashMap-returning algorithms are avoided: std's HashMap would ask
//! WASI for random keys.)
use petgraph::algo::{
    bellman_ford, condensation, connected_components, kosaraju_scc, min_spanning_tree, tarjan_scc, toposort,
};
use petgraph::data::FromElements;
use petgraph::graph::{DiGraph, NodeIndex, UnGraph};
use petgraph::visit::{Bfs, Dfs};
use suite_common::{mix, Rng, FNV0};

suite_common::export_run!(run);

const NODES: u32 = 1500;

pub fn run(n: i32) -> u32 {
    let mut h = FNV0;
    for i in 0..n.max(0) as u32 {
        let mut r = Rng::new(i + 11000);
        let mut g = DiGraph::<u32, f64>::new();
        let nodes: Vec<NodeIndex> = (0..NODES).map(|k| g.add_node(k)).collect();
        for _ in 0..6000 {
            let a = r.below(NODES) as usize;
            let b = (a + 1 + (r.below(40) as usize)) % NODES as usize;
            g.add_edge(nodes[a], nodes[b], (1 + r.below(100)) as f64);
        }
        let t = tarjan_scc(&g);
        h = mix(h, t.len() as u32);
        h = mix(h, t.iter().map(|c| c.len() as u32).max().unwrap_or(0));
        h = mix(h, kosaraju_scc(&g).len() as u32);
        let paths = bellman_ford(&g, nodes[0]).unwrap();
        let total: f64 = paths.distances.iter().filter(|d| d.is_finite()).sum();
        h = mix(h, total as u32);
        let ug: UnGraph<u32, f64> = g.clone().into_edge_type();
        let mst = petgraph::graph::UnGraph::<u32, f64>::from_elements(min_spanning_tree(&ug));
        h = mix(h, mst.edge_weights().sum::<f64>() as u32);
        h = mix(h, connected_components(&ug) as u32);
        let cond = condensation(g.clone(), true);
        let topo = toposort(&cond, None).unwrap();
        h = mix(h, topo.len() as u32 ^ topo.first().map_or(0, |x| x.index() as u32));
        let mut dfs = Dfs::new(&g, nodes[(i % NODES) as usize]);
        let mut k = 0u32;
        while let Some(nx) = dfs.next(&g) {
            k = k.wrapping_mul(31).wrapping_add(nx.index() as u32);
        }
        h = mix(h, k);
        let mut bfs = Bfs::new(&g, nodes[0]);
        while let Some(nx) = bfs.next(&g) {
            k = k.wrapping_mul(17).wrapping_add(nx.index() as u32);
        }
        h = mix(h, k);
    }
    h
}

//! Force-directed layout for the network view: Fruchterman–Reingold with
//! gravity toward the centre, then scaled into a fixed box.
//!
//! Hand-written rather than taken from a crate: no maintained Rust layout
//! crate fits. We need about a hundred lines for a few hundred nodes, the
//! same picture for the same network on every load and every machine (a
//! reporter cites and screenshots it), and no extra dependency. So there is
//! no randomness: nodes start on a sunflower spiral in index order, the
//! iteration count and the cooling schedule are fixed, and every loop runs
//! in index order.

/// The drawing box: positions are in `MARGIN..WIDTH - MARGIN` ×
/// `MARGIN..HEIGHT - MARGIN` (the margin leaves room for labels).
pub const WIDTH: f64 = 1000.0;
pub const HEIGHT: f64 = 700.0;
pub const MARGIN: f64 = 40.0;

const ITERATIONS: usize = 300;
/// Pull toward the centre, relative to the springs: keeps disconnected
/// components (and isolated nodes) from drifting off while the repulsion
/// pushes them apart.
const GRAVITY: f64 = 1.0;
/// 2π / φ²: successive spiral points never line up.
const GOLDEN_ANGLE: f64 = 2.399_963_229_728_653;

/// Positions for nodes `0..n` joined by weighted `edges` (a heavier edge
/// pulls harder). Edges with an endpoint `>= n`, self-loops and
/// non-positive or non-finite weights are ignored.
pub fn layout(n: usize, edges: &[(u32, u32, f64)]) -> Vec<(f64, f64)> {
    let centre = (WIDTH / 2.0, HEIGHT / 2.0);
    if n <= 1 {
        return vec![centre; n];
    }
    let edges: Vec<(usize, usize, f64)> = edges
        .iter()
        .filter(|&&(u, v, w)| u != v && (u as usize) < n && (v as usize) < n && w.is_finite() && w > 0.0)
        .map(|&(u, v, w)| (u as usize, v as usize, w))
        .collect();
    // Spring strength grows with the logarithm of the weight, relative to
    // the mean, so a few very heavy edges do not collapse their ends.
    let mean = edges.iter().map(|e| e.2).sum::<f64>() / edges.len().max(1) as f64;
    let strength = |w: f64| ((1.0 + w).ln() / (1.0 + mean).ln()).clamp(0.25, 4.0);

    // Work in a square of the box's area around the origin; the result is
    // scaled into the box at the end.
    let side = (WIDTH * HEIGHT).sqrt();
    let k = side / (n as f64).sqrt();
    let mut pos: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            let (r, a) = (0.5 * k * (i as f64 + 0.5).sqrt(), i as f64 * GOLDEN_ANGLE);
            (r * a.cos(), r * a.sin())
        })
        .collect();
    let mut disp = vec![(0.0f64, 0.0f64); n];
    let t0 = side / 10.0;
    for it in 0..ITERATIONS {
        disp.fill((0.0, 0.0));
        for i in 0..n {
            for j in i + 1..n {
                let (mut dx, mut dy) = (pos[i].0 - pos[j].0, pos[i].1 - pos[j].1);
                if dx * dx + dy * dy < 1e-6 {
                    // Coincident nodes: separate them the same way every time.
                    (dx, dy) = (1e-3 * (1 + (i + j) % 7) as f64, 1e-3 * (1 + (i * 3 + j) % 5) as f64);
                }
                let d2 = dx * dx + dy * dy;
                let f = k * k / d2; // (k²/d) along the unit vector (dx, dy)/d
                disp[i].0 += dx * f;
                disp[i].1 += dy * f;
                disp[j].0 -= dx * f;
                disp[j].1 -= dy * f;
            }
        }
        for &(u, v, w) in &edges {
            let (dx, dy) = (pos[u].0 - pos[v].0, pos[u].1 - pos[v].1);
            let d = (dx * dx + dy * dy).sqrt();
            let f = d / k * strength(w); // (d²/k) along the unit vector
            disp[u].0 -= dx * f;
            disp[u].1 -= dy * f;
            disp[v].0 += dx * f;
            disp[v].1 += dy * f;
        }
        // Linear cooling to a small floor so the last steps still settle.
        let t = t0 * (1.0 - it as f64 / ITERATIONS as f64).max(0.01);
        for (p, d) in pos.iter_mut().zip(&disp) {
            let (dx, dy) = (d.0 - GRAVITY * p.0, d.1 - GRAVITY * p.1);
            let len = (dx * dx + dy * dy).sqrt();
            if len > 0.0 && len.is_finite() {
                let step = len.min(t) / len;
                p.0 += dx * step;
                p.1 += dy * step;
            }
        }
    }
    fit(&pos)
}

/// Scale and centre into the box, keeping the aspect ratio.
fn fit(pos: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in pos {
        (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
    }
    let (w, h) = (WIDTH - 2.0 * MARGIN, HEIGHT - 2.0 * MARGIN);
    let s = (w / (x1 - x0).max(1e-9)).min(h / (y1 - y0).max(1e-9));
    let (ox, oy) = (MARGIN + (w - s * (x1 - x0)) / 2.0, MARGIN + (h - s * (y1 - y0)) / 2.0);
    pos.iter()
        .map(|&(x, y)| {
            let p = (ox + s * (x - x0), oy + s * (y - y0));
            (p.0.clamp(MARGIN, WIDTH - MARGIN), p.1.clamp(MARGIN, HEIGHT - MARGIN))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist(a: (f64, f64), b: (f64, f64)) -> f64 {
        ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
    }

    /// Two 6-cliques, a 5-ring joined to the first clique, two isolated
    /// pairs and three isolated nodes.
    fn sample() -> (usize, Vec<(u32, u32, f64)>) {
        let mut e = Vec::new();
        for base in [0u32, 6] {
            for i in 0..6 {
                for j in i + 1..6 {
                    e.push((base + i, base + j, 1.0 + f64::from(i + j)));
                }
            }
        }
        for i in 0..5 {
            e.push((12 + i, 12 + (i + 1) % 5, 3.0));
        }
        e.push((12, 0, 1.0));
        e.push((17, 18, 10.0));
        e.push((19, 20, 1.0));
        (24, e)
    }

    #[test]
    fn same_input_same_positions() {
        let (n, e) = sample();
        let (a, b) = (layout(n, &e), layout(n, &e));
        let bits = |p: &[(f64, f64)]| p.iter().map(|&(x, y)| (x.to_bits(), y.to_bits())).collect::<Vec<_>>();
        assert_eq!(bits(&a), bits(&b));
    }

    #[test]
    fn positions_finite_and_in_the_box() {
        let (n, e) = sample();
        let odd = [(0, 0, 1.0), (0, 1, f64::NAN), (1, 2, -3.0), (2, 99, 1.0), (3, 4, f64::INFINITY)];
        for (n, e) in [(n, e), (0, vec![]), (1, vec![]), (2, vec![]), (5, odd.to_vec()), (300, vec![(0, 1, 5.0)])] {
            let p = layout(n, &e);
            assert_eq!(p.len(), n);
            for (x, y) in p {
                assert!(x.is_finite() && y.is_finite());
                assert!((MARGIN..=WIDTH - MARGIN).contains(&x), "x {x}");
                assert!((MARGIN..=HEIGHT - MARGIN).contains(&y), "y {y}");
            }
        }
    }

    #[test]
    fn connected_nodes_end_closer() {
        let (n, e) = sample();
        let p = layout(n, &e);
        let linked = |i: u32, j: u32| e.iter().any(|&(u, v, _)| (u, v) == (i, j) || (u, v) == (j, i));
        let (mut near, mut far) = (Vec::new(), Vec::new());
        for i in 0..n as u32 {
            for j in i + 1..n as u32 {
                let d = dist(p[i as usize], p[j as usize]);
                if linked(i, j) { near.push(d) } else { far.push(d) }
            }
        }
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        assert!(mean(&near) * 2.0 < mean(&far), "linked {:.1}, unlinked {:.1}", mean(&near), mean(&far));
    }

    #[test]
    fn components_stay_together() {
        // The two cliques are not joined: each must still be drawn as a
        // group of visible size, not as dots far apart (without gravity the
        // isolated nodes drift off and the rest shrinks to a few pixels).
        let (n, e) = sample();
        let p = layout(n, &e);
        let centre = |r: std::ops::Range<usize>| {
            let k = r.len() as f64;
            let s = p[r].iter().fold((0.0, 0.0), |a, q| (a.0 + q.0, a.1 + q.1));
            (s.0 / k, s.1 / k)
        };
        let (c1, c2) = (centre(0..6), centre(6..12));
        let spread = (6..12).map(|i| dist(p[i], c2)).sum::<f64>() / 6.0;
        let apart = dist(c1, c2);
        assert!(
            spread > (HEIGHT - 2.0 * MARGIN) / 40.0 && spread * 10.0 > apart,
            "spread {spread:.1}, apart {apart:.1}"
        );
    }
}

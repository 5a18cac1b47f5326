//! Redis's `pqsort`: the NetBSD (Bentley & McIlroy) quicksort that only sorts the partitions
//! overlapping a range of positions. GEOSEARCH with a COUNT below the number of points found
//! sorts with it, and as it is not stable, points at equal distances come out in the order its
//! swaps leave them: ported step for step so they come out in Redis's order.
//!
//! Redis 7.0's copy has no switch to insertion sort after a pass without swaps (later NetBSD
//! code has one); with it, ties come out in another order than Redis 7.0.15 gives.
//!
//! Differences from the C: indexes instead of pointers, and the recursion on the left partition
//! is an explicit stack (partitions are disjoint, so the order they are sorted in changes nothing).

use std::cmp::Ordering;

/// Sorts `v` by `cmp` so that positions `lrange..=rrange` hold what a full sort would put
/// there, moving elements exactly as Redis's `pqsort(v, n, size, cmp, lrange, rrange)` does.
pub fn pqsort<T>(v: &mut [T], cmp: impl Fn(&T, &T) -> Ordering, lrange: usize, rrange: usize) {
    let c = |v: &[T], a: usize, b: usize| cmp(&v[a], &v[b]);
    // A partition [lo, lo + n) is sorted only when the range overlaps it.
    let wanted = |lo: usize, n: usize| !((lrange < lo && rrange < lo) || (lrange >= lo + n && rrange >= lo + n));
    let mut pending = vec![(0, v.len())];
    while let Some((lo, n)) = pending.pop() {
        if n < 7 {
            insertion_sort(v, lo, n, &c);
            continue;
        }
        let med3 = |v: &[T], a: usize, b: usize, d: usize| {
            if c(v, a, b).is_lt() {
                if c(v, b, d).is_lt() {
                    b
                } else if c(v, a, d).is_lt() {
                    d
                } else {
                    a
                }
            } else if c(v, b, d).is_gt() {
                b
            } else if c(v, a, d).is_lt() {
                a
            } else {
                d
            }
        };
        let mut pm = lo + n / 2;
        if n > 7 {
            let (mut pl, mut pn) = (lo, lo + n - 1);
            if n > 40 {
                let d = n / 8;
                pl = med3(v, pl, pl + d, pl + 2 * d);
                pm = med3(v, pm - d, pm, pm + d);
                pn = med3(v, pn - 2 * d, pn - d, pn);
            }
            pm = med3(v, pl, pm, pn);
        }
        v.swap(lo, pm);
        let (mut pa, mut pb) = (lo + 1, lo + 1);
        let (mut pc, mut pd) = (lo + n - 1, lo + n - 1);
        loop {
            while pb <= pc {
                let order = c(v, pb, lo);
                if order.is_gt() {
                    break;
                }
                if order.is_eq() {
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let order = c(v, pc, lo);
                if order.is_lt() {
                    break;
                }
                if order.is_eq() {
                    v.swap(pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            pb += 1;
            pc -= 1;
        }
        let pn = lo + n;
        let r = (pa - lo).min(pb - pa);
        vec_swap(v, lo, pb - r, r);
        let r = (pd - pc).min(pn - pd - 1);
        vec_swap(v, pb, pn - r, r);
        let left = pb - pa;
        if left > 1 && wanted(lo, left) {
            pending.push((lo, left));
        }
        let right = pd - pc;
        if right > 1 && wanted(pn - right, right) {
            pending.push((pn - right, right));
        }
    }
}

/// The C's insertion sort of `[lo, lo + n)`.
fn insertion_sort<T>(v: &mut [T], lo: usize, n: usize, c: &impl Fn(&[T], usize, usize) -> Ordering) {
    for m in lo + 1..lo + n {
        let mut l = m;
        while l > lo && c(v, l - 1, l).is_gt() {
            v.swap(l, l - 1);
            l -= 1;
        }
    }
}

/// Swaps `[a, a + n)` with `[b, b + n)` element by element (`vecswap`).
fn vec_swap<T>(v: &mut [T], a: usize, b: usize, n: usize) {
    for i in 0..n {
        v.swap(a + i, b + i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_the_wanted_range() {
        // Proves the range asked for is sorted for many sizes and ranges (checked against a full sort).
        let mut seed = 7u64;
        for n in [1usize, 6, 7, 8, 40, 41, 100, 1000] {
            for count in [1, 2, n / 2 + 1, n].into_iter().filter(|&count| count <= n) {
                let mut v: Vec<u64> = (0..n)
                    .map(|_| {
                        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                        (seed >> 33) % 50
                    })
                    .collect();
                let mut sorted = v.clone();
                sorted.sort();
                pqsort(&mut v, |a, b| a.cmp(b), 0, count - 1);
                assert_eq!(v[..count], sorted[..count], "n {n} count {count}");
            }
        }
    }
}

//! GLib's list merge sort (g_list_sort), which Pacemaker sorts with.
//!
//! With a consistent comparison any stable sort gives the same order, but
//! some of Pacemaker's comparisons are not transitive (clone instances
//! compared by priority only when both are inactive, ...): then the order
//! depends on which pairs get compared, so the algorithm itself is copied:
//! split after the first half (rounded down), sort both halves, merge
//! taking from the first half on ties.

use std::cmp::Ordering;

/// Sorts `items` as g_list_sort would.
pub fn sort_like_glib<T: Copy>(items: &mut Vec<T>, compare: &mut impl FnMut(&T, &T) -> Ordering) {
    if items.len() < 2 {
        return;
    }
    let mut right = items.split_off(items.len() / 2);
    sort_like_glib(items, compare);
    sort_like_glib(&mut right, compare);
    let left = std::mem::take(items);
    let (mut i, mut j) = (0, 0);
    while i < left.len() && j < right.len() {
        if compare(&left[i], &right[j]) != Ordering::Greater {
            items.push(left[i]);
            i += 1;
        } else {
            items.push(right[j]);
            j += 1;
        }
    }
    items.extend_from_slice(&left[i..]);
    items.extend_from_slice(&right[j..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_stably() {
        let mut v = vec![(3, 'a'), (1, 'b'), (3, 'c'), (2, 'd'), (1, 'e')];
        sort_like_glib(&mut v, &mut |a, b| a.0.cmp(&b.0));
        assert_eq!(v, vec![(1, 'b'), (1, 'e'), (2, 'd'), (3, 'a'), (3, 'c')]);
    }

    #[test]
    fn splits_after_the_first_half_rounded_down() {
        // A comparison that sees every pair as equal keeps the order; one that
        // only orders 'x' before everything shows which pairs were compared.
        let mut v = vec!['a', 'b', 'x'];
        sort_like_glib(&mut v, &mut |a, b| match (a, b) {
            ('x', _) => Ordering::Less,
            (_, 'x') => Ordering::Greater,
            _ => Ordering::Equal,
        });
        assert_eq!(v, vec!['x', 'a', 'b']);
    }
}

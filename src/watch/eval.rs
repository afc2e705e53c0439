//! Evaluation of the compiled watches over one item: which terms stand, which rules fire,
//! and where (in normalized bytes of each field).

use std::borrow::Cow;
use std::cell::OnceCell;

use super::Field;
use super::Scope;
use super::normalize::Normalized;
use super::rules::{Compiled, Elem, NearRule, Role, Rule};
use super::terms::{token_starts, tokens_before};

/// A term found in a field: `[s, e)` in normalized bytes, and the term's index.
#[derive(Debug, Clone, Copy)]
pub struct Found {
    pub s: usize,
    pub e: usize,
    pub t: usize,
}

/// One field of the item, normalized and searched.
pub struct FieldText<'a> {
    pub field: Field,
    pub original: &'a str,
    pub norm: Normalized,
    pub found: Vec<Found>,
    tokens: OnceCell<Vec<usize>>,
    /// The exclude terms found, as (watch, start, end) ordered by watch and start, and for
    /// each the furthest end among those of its watch up to it: an overlap test is then two
    /// binary searches, so a text packed with terms and excludes costs n log n, not n².
    excludes: OnceCell<ExcludeIndex>,
}

/// Excludes found as (watch, start, end), and the furthest end so far within each watch.
type ExcludeIndex = (Vec<(usize, usize, usize)>, Vec<usize>);

impl<'a> FieldText<'a> {
    pub fn new(field: Field, original: &'a str, norm: Normalized, found: Vec<Found>) -> Self {
        FieldText {
            field,
            original,
            norm,
            found,
            tokens: OnceCell::new(),
            excludes: OnceCell::new(),
        }
    }

    /// Whether an exclude term of watch `w` overlaps `[s, e)`.
    fn excluded(&self, c: &Compiled, w: usize, s: usize, e: usize) -> bool {
        let (list, reach) = self.excludes.get_or_init(|| {
            let mut list: Vec<(usize, usize, usize)> = self
                .found
                .iter()
                .filter(|f| c.terms[f.t].role == Role::Exclude)
                .map(|f| (c.terms[f.t].watch, f.s, f.e))
                .collect();
            list.sort_unstable();
            let mut reach = Vec::with_capacity(list.len());
            for (i, &(xw, _, xe)) in list.iter().enumerate() {
                let before = (i > 0 && list[i - 1].0 == xw).then(|| reach[i - 1]);
                reach.push(before.map_or(xe, |r: usize| r.max(xe)));
            }
            (list, reach)
        });
        if list.is_empty() {
            return false;
        }
        // Excludes of watch `w` starting before `e`; the furthest of their ends passes `s`?
        let first = list.partition_point(|x| x.0 < w);
        let last = list.partition_point(|x| x.0 < w || (x.0 == w && x.1 < e));
        last > first && reach[last - 1] > s
    }

    /// Tokens (words, CJK characters) starting before byte `pos`; counted once per field,
    /// and only for items where a proximity rule needs it.
    fn tokens_before(&self, pos: usize) -> usize {
        tokens_before(self.tokens.get_or_init(|| token_starts(&self.norm.text)), pos)
    }
}

/// Where a watch (or a rule element) stands in an item: field slot, span, the term.
#[derive(Debug, Clone)]
pub struct Occ<'c> {
    pub f: usize,
    pub s: usize,
    pub e: usize,
    pub term: Cow<'c, str>,
}

fn in_scope(scope: Scope, field: Field) -> bool {
    scope == Scope::Any || field == Field::Title
}

/// Every watch's occurrences in the item, by watch index.
pub fn evaluate<'c>(c: &'c Compiled, fields: &[FieldText<'_>]) -> Vec<Vec<Occ<'c>>> {
    let mut occ: Vec<Vec<Occ<'c>>> = vec![Vec::new(); c.watches.len()];
    // The terms found anywhere in the item, sorted: most terms a rule names are not found,
    // and this says so without a look through every field's finds.
    let mut seen: Vec<usize> = fields
        .iter()
        .flat_map(|ft| ft.found.iter().map(|f| f.t))
        .collect();
    seen.sort_unstable();
    seen.dedup();
    // By watch: whether it can stand at all, given the terms found.
    let mut awake = c.unbound.clone();
    for &t in &seen {
        for &w in &c.wakes[t] {
            awake[w] = true;
        }
    }
    for &w in c.order.iter().filter(|&&w| awake[w]) {
        let watch = &c.watches[w];
        let mut out = Vec::new();
        for (fi, ft) in fields.iter().enumerate() {
            if !in_scope(watch.scope, ft.field) {
                continue;
            }
            for f in &ft.found {
                let entry = &c.terms[f.t];
                if entry.watch == w && entry.role == Role::Hit && !vetoed(c, ft, w, f.s, f.e) {
                    out.push(Occ {
                        f: fi,
                        s: f.s,
                        e: f.e,
                        term: Cow::Borrowed(&entry.term.written),
                    });
                }
            }
        }
        for rule in &watch.rules {
            fire(c, rule, fields, &occ, &seen, &mut out);
        }
        if !out.is_empty()
            && watch
                .not
                .iter()
                .any(|&e| present(c, e, Scope::Any, fields, &occ, &seen))
        {
            out.clear();
        }
        occ[w] = out;
    }
    occ
}

/// Whether an exclude term of watch `w` overlaps `[s, e)` in this field.
fn vetoed(c: &Compiled, ft: &FieldText<'_>, w: usize, s: usize, e: usize) -> bool {
    ft.excluded(c, w, s, e)
}

/// Every place an element stands within `scope`, in field order: (field slot, start, end,
/// the term standing there). Lazy, so a caller that needs one place pays for one.
fn places<'a>(
    c: &'a Compiled,
    elem: Elem,
    scope: Scope,
    fields: &'a [FieldText<'_>],
    occ: &'a [Vec<Occ<'_>>],
) -> impl Iterator<Item = (usize, usize, usize, &'a str)> {
    let (atom, concept) = match elem {
        Elem::Atom(t) => (Some(t), None),
        Elem::Concept(w) => (None, Some(w)),
    };
    let atoms = atom.into_iter().flat_map(move |t| {
        let entry = &c.terms[t];
        fields
            .iter()
            .enumerate()
            .filter(move |(_, ft)| in_scope(scope, ft.field))
            .flat_map(move |(fi, ft)| {
                ft.found
                    .iter()
                    .filter(move |f| f.t == t && !vetoed(c, ft, entry.watch, f.s, f.e))
                    .map(move |f| (fi, f.s, f.e, entry.term.written.as_str()))
            })
    });
    let concepts = concept.into_iter().flat_map(move |w| {
        occ[w]
            .iter()
            .filter(move |o| in_scope(scope, fields[o.f].field))
            .map(|o| (o.f, o.s, o.e, o.term.as_ref()))
    });
    atoms.chain(concepts)
}

/// Whether an element stands anywhere within `scope`; cheaper than [`first`], so a
/// rule that does not fire (the usual case) costs no allocation.
/// `seen`: the terms found in the item, sorted.
fn present(
    c: &Compiled,
    elem: Elem,
    scope: Scope,
    fields: &[FieldText<'_>],
    occ: &[Vec<Occ<'_>>],
    seen: &[usize],
) -> bool {
    let unseen = matches!(elem, Elem::Atom(t) if seen.binary_search(&t).is_err());
    !unseen && places(c, elem, scope, fields, occ).next().is_some()
}

/// The first place an element stands within `scope`, with the term that stands there (for
/// a concept, named with the concept).
fn first<'c>(
    c: &'c Compiled,
    elem: Elem,
    scope: Scope,
    fields: &[FieldText<'_>],
    occ: &[Vec<Occ<'c>>],
) -> Option<Occ<'c>> {
    let (f, s, e, term) = places(c, elem, scope, fields, occ).next()?;
    let term = match elem {
        Elem::Atom(t) => Cow::Borrowed(c.terms[t].term.written.as_str()),
        Elem::Concept(w) => Cow::Owned(format!("@{}: {}", c.watches[w].name, term)),
    };
    Some(Occ { f, s, e, term })
}

/// Where an element stands within `scope`, as (field slot, start, end): what a proximity
/// test needs, without the term an occurrence carries (for a concept, a string made each).
fn spans(
    c: &Compiled,
    elem: Elem,
    scope: Scope,
    fields: &[FieldText<'_>],
    occ: &[Vec<Occ<'_>>],
) -> Vec<(usize, usize, usize)> {
    places(c, elem, scope, fields, occ)
        .map(|(f, s, e, _)| (f, s, e))
        .collect()
}

/// Adds the occurrences a rule stands on, if it fires.
fn fire<'c>(
    c: &'c Compiled,
    rule: &'c Rule,
    fields: &[FieldText<'_>],
    occ: &[Vec<Occ<'c>>],
    seen: &[usize],
    out: &mut Vec<Occ<'c>>,
) {
    let scope = rule.scope;
    let here = |e: Elem| present(c, e, scope, fields, occ, seen);
    if !rule.all.iter().all(|&e| here(e))
        || (!rule.any.is_empty() && !rule.any.iter().any(|&e| here(e)))
        || !rule.near.iter().all(|n| here(n.left) && here(n.right))
        || rule.not.iter().any(|&e| here(e))
    {
        return;
    }
    // Written straight into `out`, and taken back if a proximity test fails after all.
    let mark = out.len();
    for &e in rule.all.iter().chain(&rule.any) {
        out.extend(first(c, e, scope, fields, occ));
    }
    for n in &rule.near {
        match near(c, n, scope, fields, occ) {
            Some(o) => out.push(o),
            None => {
                out.truncate(mark);
                return;
            }
        }
    }
}

/// The first pair of occurrences of the two sides within the rule's distance in one field.
fn near<'c>(
    c: &'c Compiled,
    n: &'c NearRule,
    scope: Scope,
    fields: &[FieldText<'_>],
    occ: &[Vec<Occ<'c>>],
) -> Option<Occ<'c>> {
    let left = spans(c, n.left, scope, fields, occ);
    if left.is_empty() {
        return None;
    }
    // The right side by (field, token): each left occurrence then looks only at the window
    // of tokens within the distance, so many occurrences of both sides cost n log n.
    let rights = spans(c, n.right, scope, fields, occ);
    let mut right: Vec<(usize, usize, usize)> = rights
        .iter()
        .enumerate()
        .map(|(i, r)| (r.0, fields[r.0].tokens_before(r.1), i))
        .collect();
    if right.is_empty() {
        return None;
    }
    right.sort_unstable();
    for &(f, s, e) in &left {
        let a = fields[f].tokens_before(s);
        let lo = right.partition_point(|x| (x.0, x.1) < (f, a.saturating_sub(n.distance)));
        let hi = right.partition_point(|x| (x.0, x.1) <= (f, a.saturating_add(n.distance)));
        if let Some(&(_, _, i)) = right[lo..hi].iter().find(|x| x.1 != a) {
            let r = &rights[i];
            return Some(Occ {
                f,
                s: s.min(r.1),
                e: e.max(r.2),
                term: Cow::Borrowed(&n.written),
            });
        }
    }
    None
}

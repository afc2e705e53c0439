//! Watches compiled into terms and item-level rules over concepts.
//!
//! A watch raises a hit for each of its `terms` found (unless an `exclude` term overlaps it)
//! and for each of its rules that fires. An element of a rule is a term or `@NAME`, a concept:
//! another watch (or a `concept = true` table, which raises no hits of its own), present in an
//! item when that watch would raise a hit there. Rules:
//!
//! - `all = [...]`: every element is present in the item (within the rule's scope);
//! - `any = [...]`: at least one is (alone, any one of them makes a hit);
//! - `near = ["A NEAR/n B"]`: an occurrence of A and one of B stand within n words (or Chinese
//!   characters) of each other, in the same field; each string of a table's `near` is a rule
//!   of its own, and those of a `[[rule]]` must all hold;
//! - `not = [...]`: nothing of these is present (in a `[[rule]]`, within its scope; at the
//!   top of a table, anywhere in the item, and then it silences the whole watch);
//! - `scope = "title"`: the rule (or, at the top of a table, its terms and rules) looks at the
//!   title only; `"any"` (the default) at title and summary.
//!
//! A concept is evaluated before the watches that name it; a cycle of names is an error.

use std::collections::HashMap;

use super::terms::{Near, Term};
use super::{RuleSpec, Scope, WatchError, WatchSpec, Watches, spec_version};

/// What a term of the automaton does for its watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Raises a hit.
    Hit,
    /// Vetoes the watch's hits and rule elements that it overlaps.
    Exclude,
    /// An element of a rule: counted, raises nothing by itself.
    Atom,
}

#[derive(Debug, Clone)]
pub struct TermEntry {
    pub watch: usize,
    pub role: Role,
    pub term: Term,
}

/// An element of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elem {
    /// A term (index into the term table).
    Atom(usize),
    /// A watch, by index.
    Concept(usize),
}

#[derive(Debug, Clone)]
pub struct NearRule {
    pub left: Elem,
    pub right: Elem,
    pub distance: usize,
    pub written: String,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub all: Vec<Elem>,
    pub any: Vec<Elem>,
    pub near: Vec<NearRule>,
    pub not: Vec<Elem>,
    pub scope: Scope,
}

#[derive(Debug, Clone)]
pub struct Watch {
    pub name: String,
    /// Shared: every hit of the watch carries it to the store.
    pub version: std::sync::Arc<str>,
    pub weight: f64,
    pub concept: bool,
    /// A concept of `entity = true` or `action = true`, reported by `Matcher::entities`.
    pub entity: bool,
    pub action: bool,
    pub scope: Scope,
    pub rules: Vec<Rule>,
    /// Item-level veto.
    pub not: Vec<Elem>,
}

/// Every watch compiled: the term table and the watches, concepts before their users.
#[derive(Debug, Clone, Default)]
pub struct Compiled {
    pub terms: Vec<TermEntry>,
    pub watches: Vec<Watch>,
    /// Watch indexes in an order where each concept comes before the watches naming it.
    pub order: Vec<usize>,
    /// By term: whether finding it can lead to a hit. An item where no such term is found
    /// needs no evaluation; most items that hold a term at all hold only a concept's
    /// ("technology") that nothing fires on alone.
    pub trigger: Vec<bool>,
    /// By term: the watches (concepts too) that stand in an item only if one of a list of
    /// terms this one belongs to is found there (see [`triggers`]): an item wakes only the
    /// watches of the terms it holds, and the rest are not evaluated.
    pub wakes: Vec<Vec<usize>>,
    /// By watch: whether it has a rule that needs no term at all; evaluated in every item.
    pub unbound: Vec<bool>,
}

struct Ctx<'a> {
    index: HashMap<&'a str, usize>,
    out: Compiled,
    /// Concepts each watch names, for the ordering.
    uses: Vec<Vec<usize>>,
}

fn invalid(watch: &str, token: &str, message: String) -> WatchError {
    WatchError::Invalid {
        watch: watch.to_string(),
        token: Some(token.to_string()),
        message,
    }
}

impl Ctx<'_> {
    fn term(&mut self, w: usize, role: Role, written: &str, cs: &[String]) -> Result<usize, WatchError> {
        let name = &self.out.watches[w].name;
        let term = Term::parse(written, cs).map_err(|m| invalid(name, written, m))?;
        self.out.terms.push(TermEntry { watch: w, role, term });
        Ok(self.out.terms.len() - 1)
    }

    fn elem(&mut self, w: usize, written: &str, cs: &[String]) -> Result<Elem, WatchError> {
        let Some(name) = written.trim().strip_prefix('@') else {
            return Ok(Elem::Atom(self.term(w, Role::Atom, written, cs)?));
        };
        match self.index.get(name) {
            Some(&c) => {
                self.uses[w].push(c);
                Ok(Elem::Concept(c))
            }
            None => Err(invalid(
                &self.out.watches[w].name,
                written.trim(),
                format!("{:?} names no watch or concept", written.trim()),
            )),
        }
    }

    fn elems(&mut self, w: usize, list: &[String], cs: &[String]) -> Result<Vec<Elem>, WatchError> {
        list.iter().map(|t| self.elem(w, t, cs)).collect()
    }

    fn near(&mut self, w: usize, written: &str, cs: &[String]) -> Result<NearRule, WatchError> {
        let n = Near::parse(written).map_err(|m| invalid(&self.out.watches[w].name, written, m))?;
        Ok(NearRule {
            left: self.elem(w, n.left, cs)?,
            right: self.elem(w, n.right, cs)?,
            distance: n.distance,
            written: written.trim().to_string(),
        })
    }

    fn rule(&mut self, w: usize, r: &RuleSpec, cs: &[String], scope: Scope) -> Result<Rule, WatchError> {
        if r.all.is_empty() && r.any.is_empty() && r.near.is_empty() {
            let name = &self.out.watches[w].name;
            return Err(invalid(
                name,
                &format!("[[watch.{name}.rule]]"),
                "a rule needs `all`, `any` or `near`".into(),
            ));
        }
        let near = r
            .near
            .iter()
            .map(|n| self.near(w, n, cs))
            .collect::<Result<_, _>>()?;
        Ok(Rule {
            all: self.elems(w, &r.all, cs)?,
            any: self.elems(w, &r.any, cs)?,
            near,
            not: self.elems(w, &r.not, cs)?,
            scope: r.scope.unwrap_or(scope),
        })
    }

    fn watch(&mut self, w: usize, spec: &WatchSpec) -> Result<(), WatchError> {
        let cs = &spec.case_sensitive;
        let name = self.out.watches[w].name.clone();
        if (spec.entity || spec.action) && !spec.concept {
            return Err(WatchError::Invalid {
                watch: name,
                token: None,
                message: "entity and action mark a concept: add concept = true".into(),
            });
        }
        if spec.entity && spec.action {
            return Err(WatchError::Invalid {
                watch: name,
                token: None,
                message: "a concept is an entity or an action, not both".into(),
            });
        }
        if spec.terms.is_empty()
            && spec.near.is_empty()
            && spec.all.is_empty()
            && spec.any.is_empty()
            && spec.rule.is_empty()
        {
            return Err(WatchError::Invalid {
                watch: name,
                token: None,
                message: "list at least one term or rule (terms, near, all, any or [[rule]])".into(),
            });
        }
        let scope = spec.scope;
        let mut rules = Vec::new();
        for t in &spec.terms {
            if t.trim().starts_with('@') {
                // A concept among the terms: a hit wherever the concept is present.
                let any = vec![self.elem(w, t, cs)?];
                rules.push(Rule {
                    all: vec![],
                    any,
                    near: vec![],
                    not: vec![],
                    scope,
                });
            } else {
                self.term(w, Role::Hit, t, cs)?;
            }
        }
        for t in &spec.exclude {
            if t.trim().starts_with('@') {
                return Err(invalid(
                    &name,
                    t.trim(),
                    "exclude takes terms; to silence a watch where a concept is present, use `not`".into(),
                ));
            }
            self.term(w, Role::Exclude, t, cs)?;
        }
        for n in &spec.near {
            let near = vec![self.near(w, n, cs)?];
            rules.push(Rule {
                all: vec![],
                any: vec![],
                near,
                not: vec![],
                scope,
            });
        }
        if !spec.all.is_empty() || !spec.any.is_empty() {
            let top = RuleSpec {
                all: spec.all.clone(),
                any: spec.any.clone(),
                ..Default::default()
            };
            rules.push(self.rule(w, &top, cs, scope)?);
        }
        for r in &spec.rule {
            rules.push(self.rule(w, r, cs, scope)?);
        }
        let not = self.elems(w, &spec.not, cs)?;
        let watch = &mut self.out.watches[w];
        watch.rules = rules;
        watch.not = not;
        Ok(())
    }
}

/// Compiles every watch, checking names, rules and the order of concepts.
pub fn compile(watches: &Watches) -> Result<Compiled, WatchError> {
    let mut ctx = Ctx {
        index: watches.keys().enumerate().map(|(i, n)| (n.as_str(), i)).collect(),
        out: Compiled::default(),
        uses: vec![Vec::new(); watches.len()],
    };
    for (name, spec) in watches {
        ctx.out.watches.push(Watch {
            name: name.clone(),
            version: spec_version(spec).into(),
            weight: spec.weight.unwrap_or(1.0),
            concept: spec.concept,
            entity: spec.entity,
            action: spec.action,
            scope: spec.scope,
            rules: Vec::new(),
            not: Vec::new(),
        });
    }
    for (w, spec) in watches.values().enumerate() {
        ctx.watch(w, spec)?;
    }
    ctx.out.order = order(&ctx.out.watches, &ctx.uses)?;
    (ctx.out.trigger, ctx.out.wakes, ctx.out.unbound) = triggers(&ctx.out);
    Ok(ctx.out)
}

/// Which terms can lead to a hit: a watch's hit terms, and for each of its rules the terms of
/// one part the rule cannot fire without (the part with the fewest terms), through concepts.
/// Also the same lists by term (`wakes`), and the watches with a rule of no part (`unbound`).
fn triggers(c: &Compiled) -> (Vec<bool>, Vec<Vec<usize>>, Vec<bool>) {
    let mut unbound = vec![false; c.watches.len()];
    let mut own: Vec<Vec<usize>> = vec![Vec::new(); c.watches.len()];
    for (t, e) in c.terms.iter().enumerate() {
        if e.role == Role::Hit {
            own[e.watch].push(t);
        }
    }
    let mut of: Vec<Vec<usize>> = vec![Vec::new(); c.watches.len()];
    for &w in &c.order {
        let mut set = std::mem::take(&mut own[w]);
        let elem = |e: &Elem| match *e {
            Elem::Atom(t) => vec![t],
            Elem::Concept(x) => of[x].clone(),
        };
        for rule in &c.watches[w].rules {
            let mut parts: Vec<Vec<usize>> = rule.all.iter().map(elem).collect();
            for n in &rule.near {
                parts.push(elem(&n.left));
                parts.push(elem(&n.right));
            }
            if !rule.any.is_empty() {
                parts.push(rule.any.iter().flat_map(elem).collect());
            }
            match parts.into_iter().min_by_key(Vec::len) {
                Some(least) => set.extend(least),
                None => unbound[w] = true,
            }
        }
        set.sort_unstable();
        set.dedup();
        of[w] = set;
    }
    let mut trigger = vec![false; c.terms.len()];
    let mut wakes = vec![Vec::new(); c.terms.len()];
    for (w, set) in of.iter().enumerate() {
        for &t in set {
            trigger[t] |= !c.watches[w].concept;
            wakes[t].push(w);
        }
    }
    // A concept that stands without terms makes its users unbound too: `order` puts it first.
    for &w in &c.order {
        let named = |r: &Rule| {
            let elems = r
                .all
                .iter()
                .chain(&r.any)
                .chain(r.near.iter().flat_map(|n| [&n.left, &n.right]));
            elems
                .into_iter()
                .any(|e| matches!(e, Elem::Concept(x) if unbound[*x]))
        };
        if c.watches[w].rules.iter().any(named) {
            unbound[w] = true;
        }
    }
    (trigger, wakes, unbound)
}

/// Concepts before the watches that name them (depth first); a cycle is an error naming it.
fn order(watches: &[Watch], uses: &[Vec<usize>]) -> Result<Vec<usize>, WatchError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut mark = vec![Mark::New; watches.len()];
    let mut out = Vec::with_capacity(watches.len());
    for root in 0..watches.len() {
        if mark[root] != Mark::New {
            continue;
        }
        // An explicit stack of (watch, next use to visit), so deep chains cannot overflow.
        let mut stack = vec![(root, 0)];
        mark[root] = Mark::Open;
        while let Some(&mut (w, ref mut next)) = stack.last_mut() {
            if let Some(&c) = uses[w].get(*next) {
                *next += 1;
                match mark[c] {
                    Mark::Done => {}
                    Mark::Open => {
                        let cycle: Vec<&str> = stack
                            .iter()
                            .skip_while(|(x, _)| *x != c)
                            .map(|(x, _)| watches[*x].name.as_str())
                            .chain([watches[c].name.as_str()])
                            .collect();
                        return Err(invalid(
                            &watches[w].name,
                            &format!("@{}", watches[c].name),
                            format!("concepts name each other in a cycle: {}", cycle.join(" → ")),
                        ));
                    }
                    Mark::New => {
                        mark[c] = Mark::Open;
                        stack.push((c, 0));
                    }
                }
            } else {
                mark[w] = Mark::Done;
                out.push(w);
                stack.pop();
            }
        }
    }
    Ok(out)
}

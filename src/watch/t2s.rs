//! Traditional to simplified Chinese, character for character.
//!
//! The table (`t2s.txt`, 2,734 pairs, all in the CJK Unified Ideographs block) is the one the
//! fast2s crate ships, used under its MIT licence (`t2s.LICENSE`). fast2s itself converts
//! whole strings; matching needs one character at a time so that offsets into the original
//! stay exact, so the table is read into a direct lookup over the block.

use std::sync::LazyLock;

const FIRST: u32 = 0x4E00;
const LAST: u32 = 0x9FFF;
const SPAN: usize = (LAST - FIRST + 1) as usize;

struct Tables {
    /// Every char of the block, folded.
    to: Box<[char]>,
    /// One bit a char of the block: whether it folds to another. A text's chars are tested
    /// against this first: it is 2.6 KB, where the table is 84.
    folds: Box<[u64; SPAN.div_ceil(64)]>,
}

static TABLES: LazyLock<Tables> = LazyLock::new(|| {
    let mut to: Vec<char> = (FIRST..=LAST)
        .map(|c| char::from_u32(c).unwrap_or('\u{FFFD}'))
        .collect();
    let mut folds = Box::new([0u64; SPAN.div_ceil(64)]);
    for line in include_str!("t2s.txt").lines() {
        let mut cs = line.split(' ').filter_map(|w| w.chars().next());
        if let (Some(tr), Some(si)) = (cs.next(), cs.next())
            && (FIRST..=LAST).contains(&(tr as u32))
            && tr != si
        {
            let k = (tr as u32 - FIRST) as usize;
            to[k] = si;
            folds[k / 64] |= 1 << (k % 64);
        }
    }
    Tables {
        to: to.into_boxed_slice(),
        folds,
    }
});

/// The simplified form of `c`, or `c` itself.
#[inline]
pub fn simplified(c: char) -> char {
    simplifier().fold(c)
}

/// The tables taken once, for loops over many chars.
#[derive(Clone, Copy)]
pub struct Simplifier(&'static Tables);

pub fn simplifier() -> Simplifier {
    Simplifier(&TABLES)
}

impl Simplifier {
    /// The simplified form of `c`, or `c` itself.
    #[inline]
    pub fn fold(self, c: char) -> char {
        let n = c as u32;
        if (FIRST..=LAST).contains(&n) {
            self.0.to[(n - FIRST) as usize]
        } else {
            c
        }
    }

    /// Whether the char with code point `code` has another simplified form.
    #[inline]
    pub fn folds(self, code: u32) -> bool {
        let k = code.wrapping_sub(FIRST) as usize;
        k < SPAN && self.0.folds[k / 64] >> (k % 64) & 1 != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_traditional_and_keeps_the_rest() {
        let s: String = "半導體設備晶片製造人工智慧".chars().map(simplified).collect();
        assert_eq!(s, "半导体设备晶片制造人工智慧");
        assert_eq!(simplified('稀'), '稀');
        assert_eq!(simplified('A'), 'A');
        let s = simplifier();
        assert!(s.folds('導' as u32) && s.folds('體' as u32));
        assert!(!s.folds('导' as u32) && !s.folds('稀' as u32) && !s.folds('A' as u32));
        assert!(!s.folds(0x10FFFF) && !s.folds(LAST + 1));
        // Every pair keeps the UTF-8 length, which offsets rely on.
        for line in include_str!("t2s.txt").lines() {
            let t = line.chars().next().unwrap();
            assert_eq!(simplified(t).len_utf8(), t.len_utf8(), "{line}");
        }
    }
}

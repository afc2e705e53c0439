//! Traditional to simplified Chinese, character for character.
//!
//! The table (`t2s.txt`, 2,734 pairs, all in the CJK Unified Ideographs block) is the one the
//! fast2s crate ships, used under its MIT licence (`t2s.LICENSE`). fast2s itself converts
//! whole strings; matching needs one character at a time so that offsets into the original
//! stay exact, so the table is read into a direct lookup over the block.

use std::sync::LazyLock;

const FIRST: u32 = 0x4E00;
const LAST: u32 = 0x9FFF;

static TABLE: LazyLock<Box<[char]>> = LazyLock::new(|| {
    let mut t: Vec<char> = (FIRST..=LAST)
        .map(|c| char::from_u32(c).unwrap_or('\u{FFFD}'))
        .collect();
    for line in include_str!("t2s.txt").lines() {
        let mut cs = line.split(' ').filter_map(|w| w.chars().next());
        if let (Some(tr), Some(si)) = (cs.next(), cs.next())
            && (FIRST..=LAST).contains(&(tr as u32))
        {
            t[(tr as u32 - FIRST) as usize] = si;
        }
    }
    t.into_boxed_slice()
});

/// The simplified form of `c`, or `c` itself.
#[inline]
pub fn simplified(c: char) -> char {
    let n = c as u32;
    if (FIRST..=LAST).contains(&n) {
        TABLE[(n - FIRST) as usize]
    } else {
        c
    }
}

/// [`simplified`] with the table taken once, for loops over many chars.
pub fn simplifier() -> impl Fn(char) -> char + Copy {
    let table: &'static [char] = &TABLE;
    move |c| {
        let n = c as u32;
        if (FIRST..=LAST).contains(&n) {
            table[(n - FIRST) as usize]
        } else {
            c
        }
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
        // Every pair keeps the UTF-8 length, which offsets rely on.
        for line in include_str!("t2s.txt").lines() {
            let t = line.chars().next().unwrap();
            assert_eq!(simplified(t).len_utf8(), t.len_utf8(), "{line}");
        }
    }
}

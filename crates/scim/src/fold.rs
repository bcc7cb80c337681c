//! The one folding function for values compared case-insensitively (`caseExact: false`):
//! userName uniqueness, handles, lookups and filters all compare `fold(a) == fold(b)`, on
//! every backend, so that the answer never depends on a database's idea of `lower()` (ASCII-only
//! in SQLite, the C library's in PostgreSQL).
//!
//! The relation is Unicode's *compatibility caseless match* (Unicode §3.13, D146): full case
//! folding (`ß` ≡ `ss`, `ſ` ≡ `s`, final `ς` ≡ `σ`) together with compatibility normalization
//! (NFC/NFD spellings of `é` are one value; fullwidth `ｊｏｈｎ` ≡ `john`; `ﬁ` ≡ `fi`). The result
//! is stored recomposed (NFC), so a folded value is also a valid, compact string.
//!
//! One addition: a COMBINING DOT ABOVE (U+0307) right after `i` or `j` is dropped. Full case
//! folding turns `İ` (U+0130) into `i` + U+0307, which renders exactly like `i` (the letters are
//! soft-dotted); keeping it would let `İstanbul` and `istanbul` be two different identities
//! that no person can tell apart.

use caseless::Caseless;
use unicode_normalization::UnicodeNormalization;

const COMBINING_DOT_ABOVE: char = '\u{0307}';

/// The folded form of `s` (see the module documentation).
pub fn fold(s: &str) -> String {
    if s.is_ascii() {
        // For ASCII, normalization is the identity and full case folding is lower-casing.
        return s.to_ascii_lowercase();
    }
    // D146: NFKD(toCasefold(NFKD(toCasefold(NFD(X))))), then recomposed.
    let folded = s
        .chars()
        .nfd()
        .default_case_fold()
        .nfkd()
        .default_case_fold()
        .nfkd();
    let mut out = String::with_capacity(s.len());
    let mut previous = None;
    for c in folded {
        if c == COMBINING_DOT_ABOVE && matches!(previous, Some('i' | 'j')) {
            continue;
        }
        out.push(c);
        previous = Some(c);
    }
    out.nfc().collect()
}

/// Whether `a` and `b` are the same value compared case-insensitively.
pub fn same(a: &str, b: &str) -> bool {
    a == b || fold(a) == fold(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_is_lower_cased() {
        assert_eq!(fold("Mona.Lisa@Example.COM"), "mona.lisa@example.com");
    }

    #[test]
    fn canonical_and_compatibility_forms_are_one_value() {
        let nfc = "jos\u{e9}@example.com";
        let nfd = "jose\u{301}@example.com";
        assert_ne!(nfc, nfd);
        assert_eq!(fold(nfc), fold(nfd));
        assert_eq!(fold("ＪＯＨＮ"), "john");
        assert_eq!(fold("\u{fb01}nance"), "finance");
        assert_eq!(fold("\u{212a}elvin"), "kelvin"); // KELVIN SIGN
    }

    #[test]
    fn full_case_folding() {
        assert_eq!(fold("straße"), fold("STRASSE"));
        assert_eq!(fold("ΟΔΥΣΣΕΥΣ"), fold("οδυσσευς"));
        assert_eq!(fold("ΟΔΥΣΣΕΥΣ"), fold("Οδυσσευς"));
        assert_eq!(fold("ÖMER"), fold("ömer"));
        assert_eq!(fold("ſ"), "s");
    }

    #[test]
    fn dotted_capital_i_folds_to_i() {
        assert_eq!(fold("İstanbul"), "istanbul");
        assert_eq!(fold("İSTANBUL"), fold("istanbul"));
        // The dot stays where it is an accent of its own.
        assert_eq!(fold("a\u{307}"), "\u{227}");
    }

    #[test]
    fn folding_is_idempotent_and_composed() {
        for s in [
            "straße",
            "İstanbul",
            "jose\u{301}",
            "ＡＢＣ",
            "Ǆemal",
            "ﬃ",
            "ΣΑΣ",
        ] {
            let once = fold(s);
            assert_eq!(fold(&once), once, "{s}");
            assert_eq!(once.nfc().collect::<String>(), once, "{s}");
        }
        assert!(same("Straße", "STRASSE"));
        assert!(!same("strase", "strasse"));
    }
}

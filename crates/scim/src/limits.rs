//! How many values one request may carry, in one place. The body-size limit alone does not
//! bound the work: a 1 MiB PATCH holds 40,000 emails, and every value costs validation and
//! storage. These bounds make the work per request predictable and name themselves in the
//! `tooMany` error a client gets past them.

/// The filter's own budgets, defined beside its parser and listed here with the others.
pub use crate::filter::{MAX_COMPARISONS, MAX_DEPTH, MAX_FILTER_BYTES};

/// Most values one PATCH operation may add, replace or remove in a multi-valued attribute
/// stored in the document (`emails`, `phoneNumbers`, `roles`…), and most values such an
/// attribute may hold in a stored resource. Real profiles carry a handful.
pub const MAX_VALUES_PER_ATTRIBUTE: usize = 1_000;

/// Most members one PATCH operation may add, replace or remove, and most members a POST or
/// PUT of a group may carry. Members are rows, not part of the document, so a group may grow
/// past this through several requests; IdPs that push large groups split them (Okta does),
/// and this leaves room for a 100,000-member push in one request when the body limit allows.
pub const MAX_MEMBERS_PER_OPERATION: usize = 100_000;

/// `40000` as `40,000`, for error details.
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(40_000), "40,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}

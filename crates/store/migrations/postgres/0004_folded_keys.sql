-- The case-insensitive keys (users.user_name_lc, users.handle_lc, users.display_name_lc,
-- groups.display_name_lc) become scim::fold's form (Unicode compatibility normalization and
-- full case folding) instead of lower(). Folding is Rust's, not SQL's: the rows are rewritten
-- by store::folded_keys in this migration's transaction.
SELECT 1;

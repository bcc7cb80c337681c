//! OpenID Connect relying party.

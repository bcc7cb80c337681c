//! The tables a listing reads, shared by both backends' filter compilers and listings.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Table {
    Users,
    Groups,
}

impl Table {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Table::Users => "users",
            Table::Groups => "groups",
        }
    }
}

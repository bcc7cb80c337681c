//! Attribute metadata (RFC 7643 §2, §7): what each attribute is, so that input can be
//! canonicalized and type-checked, filters compiled, PATCH paths resolved and `/Schemas` told
//! truthfully. Definitions per resource type live in `definitions.rs`.

/// RFC 7643 §2.3 data types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    String,
    Boolean,
    Decimal,
    Integer,
    DateTime,
    Reference,
    Complex,
    Binary,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    Always,
    Never,
    Default,
    Request,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uniqueness {
    None,
    Server,
    Global,
}

/// One attribute definition. Names keep the RFC's canonical case; lookups are case-insensitive.
#[derive(Debug, Clone)]
pub struct Attribute {
    pub name: &'static str,
    pub ty: AttrType,
    pub multi_valued: bool,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    pub returned: Returned,
    pub uniqueness: Uniqueness,
    pub canonical_values: Vec<&'static str>,
    pub reference_types: Vec<&'static str>,
    pub description: &'static str,
    pub sub_attributes: Vec<Attribute>,
}

impl Attribute {
    /// A sub-attribute by name, case-insensitively.
    pub fn sub(&self, name: &str) -> Option<&Attribute> {
        self.sub_attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

/// A schema (core or extension): its URN and its top-level attributes.
#[derive(Debug, Clone)]
pub struct Schema {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub attributes: Vec<Attribute>,
}

impl Schema {
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

/// A resource type (RFC 7643 §6): its core schema plus extensions, and where it is served.
#[derive(Debug, Clone)]
pub struct ResourceType {
    /// `User` or `Group`.
    pub name: &'static str,
    /// `/Users` or `/Groups`.
    pub endpoint: &'static str,
    pub description: &'static str,
    pub core: Schema,
    /// Extension schemas; none is required.
    pub extensions: Vec<Schema>,
}

/// Where an attribute lives: in the core schema (top-level key of the document) or in an
/// extension (under the key that is the extension's URN).
#[derive(Debug, Clone, Copy)]
pub struct Resolved<'a> {
    pub schema: &'a Schema,
    /// True when `schema` is an extension, so its attributes sit under `doc[schema.id]`.
    pub is_extension: bool,
    pub attribute: &'a Attribute,
    pub sub_attribute: Option<&'a Attribute>,
}

impl ResourceType {
    /// The extension schema with this URN, case-insensitively.
    pub fn extension(&self, urn: &str) -> Option<&Schema> {
        self.extensions
            .iter()
            .find(|s| s.id.eq_ignore_ascii_case(urn))
    }

    /// Every schema URN this resource type knows (core first).
    pub fn schema_ids(&self) -> impl Iterator<Item = &'static str> + '_ {
        std::iter::once(self.core.id).chain(self.extensions.iter().map(|s| s.id))
    }

    /// Resolve `urn` (optional), `attr` and `sub` (optional) case-insensitively. A `urn` equal to
    /// the core schema's id is the same as none.
    pub fn resolve(
        &self,
        urn: Option<&str>,
        attr: &str,
        sub: Option<&str>,
    ) -> Option<Resolved<'_>> {
        let (schema, is_extension) = match urn {
            None => (&self.core, false),
            Some(u) if u.eq_ignore_ascii_case(self.core.id) => (&self.core, false),
            Some(u) => (self.extension(u)?, true),
        };
        let attribute = schema.attribute(attr)?;
        let sub_attribute = match sub {
            None => None,
            Some(s) => Some(attribute.sub(s)?),
        };
        Some(Resolved {
            schema,
            is_extension,
            attribute,
            sub_attribute,
        })
    }

    /// Split a fully qualified attribute name such as
    /// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value` into its URN
    /// and the rest (`manager.value`), when it starts with one of this resource type's URNs.
    /// A path that is exactly a URN gives `(Some(urn), "")`.
    pub fn split_urn<'p>(&self, path: &'p str) -> (Option<&'static str>, &'p str) {
        for id in self.schema_ids() {
            if path.eq_ignore_ascii_case(id) {
                return (Some(id), "");
            }
            // `get` rather than slicing: a request's key may have a multi-byte character
            // straddling `id.len()`.
            let prefix = path.get(..id.len());
            let rest = path.get(id.len() + 1..);
            if let (Some(prefix), Some(rest)) = (prefix, rest)
                && prefix.eq_ignore_ascii_case(id)
                && path.as_bytes().get(id.len()) == Some(&b':')
            {
                return (Some(id), rest);
            }
        }
        (None, path)
    }
}

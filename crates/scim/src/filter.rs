//! The SCIM filter grammar (RFC 7644 §3.4.2.2) → [`Filter`], and [`Filter::resolve`], which
//! canonicalizes every attribute path against a [`ResourceType`] and type-checks comparisons.
//!
//! The parser is lenient where real identity providers are sloppy: operators and the `and`,
//! `or`, `not`, `pr` keywords in any case (PingOne sends `username Eq "x"`), an unquoted bare
//! word as a string value (`externalId eq jyoung`), and Entra ID's
//! `emails[type eq "work"].value eq "x"`, read as "some work email has value x".
//!
//! Budgets keep a hostile filter cheap to refuse: at most [`MAX_FILTER_BYTES`] bytes,
//! [`MAX_DEPTH`] levels of nesting and [`MAX_COMPARISONS`] comparisons.

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::ScimError;
use crate::schema::{AttrType, Attribute, ResourceType};

/// Longest filter accepted, in bytes.
pub const MAX_FILTER_BYTES: usize = 4096;
/// Deepest nesting of parentheses, `not (…)` and value filters `[…]`.
pub const MAX_DEPTH: usize = 32;
/// Most comparisons (`eq`, `pr`, …) in one filter.
pub const MAX_COMPARISONS: usize = 256;

/// An attribute path: `urn:…:attr.sub`. After [`Filter::resolve`] names are in canonical case,
/// `urn` is `None` for the core schema and the extension's canonical URN otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttrPath {
    pub urn: Option<String>,
    pub name: String,
    pub sub: Option<String>,
}

impl AttrPath {
    /// A core-schema path with no URN.
    pub fn new(name: &str, sub: Option<&str>) -> AttrPath {
        AttrPath {
            urn: None,
            name: name.to_string(),
            sub: sub.map(str::to_string),
        }
    }
}

impl std::fmt::Display for AttrPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(urn) = &self.urn {
            write!(f, "{urn}:")?;
        }
        write!(f, "{}", self.name)?;
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    /// The operator as written in a filter (lower case).
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }

    fn from_word(word: &str) -> Option<CompareOp> {
        const OPS: [CompareOp; 9] = [
            CompareOp::Eq,
            CompareOp::Ne,
            CompareOp::Co,
            CompareOp::Sw,
            CompareOp::Ew,
            CompareOp::Gt,
            CompareOp::Ge,
            CompareOp::Lt,
            CompareOp::Le,
        ];
        OPS.into_iter()
            .find(|op| op.as_str().eq_ignore_ascii_case(word))
    }

    fn is_ordering(self) -> bool {
        matches!(
            self,
            CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le
        )
    }

    fn is_substring(self) -> bool {
        matches!(self, CompareOp::Co | CompareOp::Sw | CompareOp::Ew)
    }
}

impl std::fmt::Display for CompareOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// value is a JSON String, Number, Bool or Null
    Compare {
        path: AttrPath,
        op: CompareOp,
        value: Value,
    },
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `emails[type eq "work"]`: some element of the multi-valued attribute `path` satisfies
    /// `filter`, whose paths are relative to the element (name = sub-attribute, urn/sub None).
    ValuePath {
        path: AttrPath,
        filter: Box<Filter>,
    },
}

/// Parse a filter expression. Paths are not checked against any schema: call
/// [`Filter::resolve`] next.
pub fn parse(input: &str) -> Result<Filter, ScimError> {
    if input.len() > MAX_FILTER_BYTES {
        return Err(ScimError::TooMany(format!(
            "the filter is {} bytes long; the limit is {MAX_FILTER_BYTES} bytes",
            input.len()
        )));
    }
    let mut p = Parser::new(input)?;
    if p.toks.is_empty() {
        return Err(ScimError::InvalidFilter(
            "the filter is empty; expected an expression such as userName eq \"bjensen\"".into(),
        ));
    }
    let f = p.parse_or()?;
    if p.i < p.toks.len() {
        return Err(p.error_here("'and', 'or' or the end of the filter"));
    }
    Ok(f)
}

/// Parse a PATCH `path` (RFC 7644 §3.5.2): `attr`, `attr.sub`, `urn:…:attr[.sub]`,
/// `attr[filter]` or `attr[filter].sub`. The filter's paths are relative to `attr`. Nothing is
/// resolved. Errors are `InvalidPath`.
pub(crate) fn parse_patch_path(
    input: &str,
) -> Result<(AttrPath, Option<Filter>, Option<String>), ScimError> {
    let wrap = |e: ScimError| match e {
        ScimError::InvalidFilter(d) => {
            ScimError::InvalidPath(format!("invalid PATCH path {input:?}: {d}"))
        }
        other => other,
    };
    if input.len() > MAX_FILTER_BYTES {
        return Err(ScimError::TooMany(format!(
            "the PATCH path is {} bytes long; the limit is {MAX_FILTER_BYTES} bytes",
            input.len()
        )));
    }
    let mut p = Parser::new(input).map_err(wrap)?;
    let (path, pos) = match p.toks.first() {
        Some(Token {
            tok: Tok::Word(w),
            pos,
        }) => (w.clone(), *pos),
        _ => return Err(wrap(p.error_here("an attribute name such as emails"))),
    };
    let attr = parse_attr_path(&path).map_err(|d| wrap(p.error_at(pos, &d)))?;
    p.i = 1;
    let mut filter = None;
    let mut sub = None;
    if p.peek() == Some(&Tok::LBracket) {
        if attr.sub.is_some() {
            return Err(wrap(p.error_at(
                pos,
                "a value filter '[…]' directly after a multi-valued attribute, not a sub-attribute",
            )));
        }
        let (f, s) = p.parse_bracket_tail().map_err(wrap)?;
        filter = Some(f);
        sub = s.map(|(s, _)| s);
    }
    if p.i < p.toks.len() {
        return Err(wrap(p.error_here("the end of the path")));
    }
    if attr.sub.is_some() {
        return Ok((
            AttrPath {
                sub: None,
                ..attr.clone()
            },
            None,
            attr.sub,
        ));
    }
    Ok((attr, filter, sub))
}

// ---------------------------------------------------------------------------------------------
// Lexer

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    LBracket,
    RBracket,
    Str(String),
    Word(String),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    /// Byte offset into the input.
    pos: usize,
}

fn lex(input: &str) -> Result<Vec<Token>, ScimError> {
    // No attribute name, operator or stored value can hold NUL (PostgreSQL cannot even
    // compare with it), so a filter that carries one, raw or as \u0000, is a mistake.
    if let Some(at) = input.find('\0') {
        return Err(nul_in_filter(column(input, at)));
    }
    let bytes = input.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'(' | b')' | b'[' | b']' => {
                let tok = match c {
                    b'(' => Tok::LParen,
                    b')' => Tok::RParen,
                    b'[' => Tok::LBracket,
                    _ => Tok::RBracket,
                };
                toks.push(Token { tok, pos: i });
                i += 1;
            }
            b'"' => {
                let start = i;
                i += 1;
                let mut closed = false;
                while i < bytes.len() {
                    match bytes[i] {
                        b'\\' => i += 2,
                        b'"' => {
                            closed = true;
                            break;
                        }
                        _ => i += 1,
                    }
                }
                if !closed {
                    return Err(ScimError::InvalidFilter(format!(
                        "invalid filter at position {}: the string starting there has no closing '\"'",
                        column(input, start)
                    )));
                }
                let raw = &input[start..=i];
                let s: String = serde_json::from_str(raw).map_err(|e| {
                    ScimError::InvalidFilter(format!(
                        "invalid filter at position {}: the string {raw} is not a valid JSON string ({e})",
                        column(input, start)
                    ))
                })?;
                if s.contains('\0') {
                    return Err(nul_in_filter(column(input, start)));
                }
                toks.push(Token {
                    tok: Tok::Str(s),
                    pos: start,
                });
                i += 1;
            }
            _ => {
                let start = i;
                while i < bytes.len()
                    && !matches!(
                        bytes[i],
                        b' ' | b'\t' | b'\r' | b'\n' | b'(' | b')' | b'[' | b']' | b'"'
                    )
                {
                    i += 1;
                }
                toks.push(Token {
                    tok: Tok::Word(input[start..i].to_string()),
                    pos: start,
                });
            }
        }
    }
    Ok(toks)
}

fn nul_in_filter(position: usize) -> ScimError {
    ScimError::InvalidFilter(format!(
        "invalid filter at position {position}: the filter contains the NUL character (U+0000, or \\u0000 in a string), which no attribute or value can hold; remove it"
    ))
}

/// 1-based character position of byte offset `pos`.
fn column(input: &str, pos: usize) -> usize {
    input.get(..pos).map_or(pos, |s| s.chars().count()) + 1
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::LParen => "'('".into(),
        Tok::RParen => "')'".into(),
        Tok::LBracket => "'['".into(),
        Tok::RBracket => "']'".into(),
        Tok::Str(s) => format!("the string {s:?}"),
        Tok::Word(w) => format!("'{w}'"),
    }
}

// ---------------------------------------------------------------------------------------------
// Parser

struct Parser<'a> {
    input: &'a str,
    toks: Vec<Token>,
    i: usize,
    depth: usize,
    comparisons: usize,
    /// Inside `attr[…]`: paths are sub-attribute names and value filters cannot nest.
    in_value_path: bool,
}

impl<'a> Parser<'a> {
    fn new(input: &'a str) -> Result<Parser<'a>, ScimError> {
        Ok(Parser {
            input,
            toks: lex(input)?,
            i: 0,
            depth: 0,
            comparisons: 0,
            in_value_path: false,
        })
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i).map(|t| &t.tok)
    }

    fn peek_word(&self) -> Option<&str> {
        match self.peek() {
            Some(Tok::Word(w)) => Some(w),
            _ => None,
        }
    }

    fn pos_here(&self) -> usize {
        self.toks.get(self.i).map_or(self.input.len(), |t| t.pos)
    }

    fn error_at(&self, pos: usize, expected: &str) -> ScimError {
        let found = self
            .toks
            .iter()
            .find(|t| t.pos == pos)
            .map_or_else(|| "the end of the filter".to_string(), |t| describe(&t.tok));
        ScimError::InvalidFilter(format!(
            "invalid filter at position {}: expected {expected}, found {found}",
            column(self.input, pos)
        ))
    }

    fn error_here(&self, expected: &str) -> ScimError {
        self.error_at(self.pos_here(), expected)
    }

    fn enter(&mut self) -> Result<(), ScimError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ScimError::TooMany(format!(
                "the filter nests parentheses, 'not' and '[…]' more than {MAX_DEPTH} levels deep; simplify it"
            )));
        }
        Ok(())
    }

    fn count_comparison(&mut self) -> Result<(), ScimError> {
        self.comparisons += 1;
        if self.comparisons > MAX_COMPARISONS {
            return Err(ScimError::TooMany(format!(
                "the filter has more than {MAX_COMPARISONS} comparisons; split it into several requests"
            )));
        }
        Ok(())
    }

    fn expect(&mut self, tok: Tok, what: &str) -> Result<(), ScimError> {
        if self.peek() == Some(&tok) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.error_here(what))
        }
    }

    fn parse_or(&mut self) -> Result<Filter, ScimError> {
        let mut left = self.parse_and()?;
        while self
            .peek_word()
            .is_some_and(|w| w.eq_ignore_ascii_case("or"))
        {
            self.i += 1;
            let right = self.parse_and()?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn parse_and(&mut self) -> Result<Filter, ScimError> {
        let mut left = self.parse_unary()?;
        while self
            .peek_word()
            .is_some_and(|w| w.eq_ignore_ascii_case("and"))
        {
            self.i += 1;
            let right = self.parse_unary()?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn parse_unary(&mut self) -> Result<Filter, ScimError> {
        match self.peek() {
            Some(Tok::LParen) => {
                self.enter()?;
                self.i += 1;
                let f = self.parse_or()?;
                self.expect(Tok::RParen, "')'")?;
                self.depth -= 1;
                Ok(f)
            }
            Some(Tok::Word(w))
                if w.eq_ignore_ascii_case("not")
                    && self.toks.get(self.i + 1).map(|t| &t.tok) == Some(&Tok::LParen) =>
            {
                self.enter()?;
                self.i += 2;
                let f = self.parse_or()?;
                self.expect(Tok::RParen, "')' closing 'not ('")?;
                self.depth -= 1;
                Ok(Filter::Not(Box::new(f)))
            }
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("not") => {
                self.i += 1;
                Err(self.error_here("'(' after 'not'"))
            }
            Some(Tok::Word(_)) => self.parse_attr_expr(),
            _ => Err(self.error_here("an attribute name, '(' or 'not'")),
        }
    }

    /// `path op value`, `path pr`, or `path[filter]` optionally followed by `.sub op value`.
    fn parse_attr_expr(&mut self) -> Result<Filter, ScimError> {
        let (word, pos) = match self.toks.get(self.i) {
            Some(Token {
                tok: Tok::Word(w),
                pos,
            }) => (w.clone(), *pos),
            _ => return Err(self.error_here("an attribute name")),
        };
        let path =
            parse_attr_path(&word).map_err(|d| self.error_at(pos, &format!("{d}; a path")))?;
        self.i += 1;

        if self.peek() == Some(&Tok::LBracket) {
            if self.in_value_path {
                return Err(self.error_here(
                    "a comparison; value filters '[…]' cannot be nested inside another value filter",
                ));
            }
            if path.sub.is_some() {
                return Err(self.error_at(
                    pos,
                    "a value filter '[…]' directly after a multi-valued attribute, not a sub-attribute",
                ));
            }
            let (inner, sub) = self.parse_bracket_tail()?;
            let filter = match sub {
                None => inner,
                Some((sub, _)) => {
                    let rel = AttrPath::new(&sub, None);
                    let tail = self.parse_operator_and_value(rel)?;
                    Filter::And(Box::new(inner), Box::new(tail))
                }
            };
            return Ok(Filter::ValuePath {
                path,
                filter: Box::new(filter),
            });
        }

        if self.in_value_path && (path.urn.is_some() || path.sub.is_some()) {
            return Err(self.error_at(
                pos,
                "a sub-attribute name inside '[…]' (for example emails[type eq \"work\"])",
            ));
        }
        self.parse_operator_and_value(path)
    }

    /// After `[`: the inner filter, `]`, and an optional `.sub` directly after it.
    fn parse_bracket_tail(&mut self) -> Result<(Filter, Option<(String, usize)>), ScimError> {
        self.enter()?;
        self.i += 1; // '['
        let outer = self.in_value_path;
        self.in_value_path = true;
        let inner = self.parse_or()?;
        self.in_value_path = outer;
        self.expect(Tok::RBracket, "']' closing the value filter")?;
        self.depth -= 1;
        let mut sub = None;
        if let Some(Token {
            tok: Tok::Word(w),
            pos,
        }) = self.toks.get(self.i)
            && let Some(rest) = w.strip_prefix('.')
        {
            let pos = *pos;
            let rest = rest.to_string();
            if !valid_attr_name(&rest) {
                return Err(self.error_at(pos, "a sub-attribute name after ']'"));
            }
            self.i += 1;
            sub = Some((rest, pos));
        }
        Ok((inner, sub))
    }

    fn parse_operator_and_value(&mut self, path: AttrPath) -> Result<Filter, ScimError> {
        let Some(word) = self.peek_word() else {
            return Err(self.error_here(
                "an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr) after the attribute",
            ));
        };
        if word.eq_ignore_ascii_case("pr") {
            self.i += 1;
            self.count_comparison()?;
            return Ok(Filter::Present(path));
        }
        let Some(op) = CompareOp::from_word(word) else {
            return Err(self.error_here(
                "an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr) after the attribute",
            ));
        };
        self.i += 1;
        let value = match self.peek() {
            Some(Tok::Str(s)) => Value::String(s.clone()),
            Some(Tok::Word(w)) => literal(w),
            _ => {
                return Err(self.error_here(&format!(
                    "a value after '{op}' (a quoted string, a number, true, false or null)"
                )));
            }
        };
        self.i += 1;
        self.count_comparison()?;
        Ok(Filter::Compare { path, op, value })
    }
}

/// An unquoted value: `true`, `false`, `null`, a JSON number, or else a bare word taken as a string.
fn literal(word: &str) -> Value {
    if word.eq_ignore_ascii_case("true") {
        return Value::Bool(true);
    }
    if word.eq_ignore_ascii_case("false") {
        return Value::Bool(false);
    }
    if word.eq_ignore_ascii_case("null") {
        return Value::Null;
    }
    if word.starts_with(|c: char| c == '-' || c.is_ascii_digit())
        && let Ok(n) = serde_json::from_str::<serde_json::Number>(word)
    {
        return Value::Number(n);
    }
    Value::String(word.to_string())
}

/// ATTRNAME = ALPHA *(nameChar); `$ref` too.
fn valid_attr_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '$' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `[urn:…:]attr[.sub]`. A URN is everything up to the last ':' (URNs contain '.' as in `2.0`).
pub(crate) fn parse_attr_path(word: &str) -> Result<AttrPath, String> {
    let (urn, rest) = if word
        .get(..4)
        .is_some_and(|w| w.eq_ignore_ascii_case("urn:"))
    {
        match word.rfind(':') {
            Some(idx) => (Some(word[..idx].to_string()), &word[idx + 1..]),
            None => (None, word),
        }
    } else {
        (None, word)
    };
    let mut parts = rest.splitn(3, '.');
    let name = parts.next().unwrap_or_default();
    let sub = parts.next();
    if parts.next().is_some() {
        return Err(format!(
            "'{word}' is not an attribute path: a path has at most one sub-attribute (attr.sub)"
        ));
    }
    if !valid_attr_name(name) || sub.is_some_and(|s| !valid_attr_name(s)) {
        return Err(format!(
            "'{word}' is not an attribute path (letters, digits, '-' and '_', optionally urn:…: before and .sub after)"
        ));
    }
    Ok(AttrPath {
        urn,
        name: name.to_string(),
        sub: sub.map(str::to_string),
    })
}

// ---------------------------------------------------------------------------------------------
// Resolution against a resource type

/// [`ResourceType::split_urn`] for input that may not be ASCII: `split_urn` slices by byte
/// length, which would panic inside a multi-byte character. Names and URNs are ASCII, so a
/// non-ASCII path has no schema prefix (and fails name validation later).
pub(crate) fn split_urn<'p>(rt: &ResourceType, path: &'p str) -> (Option<&'static str>, &'p str) {
    if path.is_ascii() {
        rt.split_urn(path)
    } else {
        (None, path)
    }
}

/// A path resolved against a resource type.
#[derive(Debug, Clone)]
pub(crate) struct ResolvedPath<'a> {
    /// Canonical: names in schema case; `urn` only for extensions.
    pub path: AttrPath,
    pub attribute: &'a Attribute,
    pub sub_attribute: Option<&'a Attribute>,
}

fn type_name(ty: AttrType) -> &'static str {
    match ty {
        AttrType::String => "a string",
        AttrType::Boolean => "a boolean",
        AttrType::Decimal => "a decimal",
        AttrType::Integer => "an integer",
        AttrType::DateTime => "a dateTime",
        AttrType::Reference => "a reference",
        AttrType::Complex => "complex",
        AttrType::Binary => "binary",
    }
}

fn names(attrs: &[Attribute]) -> String {
    attrs.iter().map(|a| a.name).collect::<Vec<_>>().join(", ")
}

/// Every attribute name of `rt`, for "unknown attribute" details.
fn known_attributes(rt: &ResourceType) -> String {
    let mut s = names(&rt.core.attributes);
    for ext in &rt.extensions {
        s.push_str(&format!(
            "; prefixed with {}: {}",
            ext.id,
            names(&ext.attributes)
        ));
    }
    s
}

/// Resolve `p` case-insensitively. `context` says where the path came from ("in filter",
/// "in PATCH path"). An unqualified name that is not in the core schema but in exactly one
/// extension resolves to that extension. Errors are detail sentences.
pub(crate) fn resolve_path<'a>(
    rt: &'a ResourceType,
    p: &AttrPath,
    context: &str,
) -> Result<ResolvedPath<'a>, String> {
    let (schema_urn, name): (Option<&'static str>, &str) = match &p.urn {
        None => (None, p.name.as_str()),
        Some(urn) => {
            let full = format!("{urn}:{}", p.name);
            match split_urn(rt, &full) {
                (Some(id), "") => {
                    return Err(format!(
                        "'{full}' {context} names the schema {id}, not one of its attributes"
                    ));
                }
                (Some(id), rest) if rest == p.name => (Some(id), p.name.as_str()),
                _ => {
                    let ids: Vec<&str> = rt.schema_ids().collect();
                    return Err(format!(
                        "unknown schema '{urn}' {context}; {} resources use {}",
                        rt.name,
                        ids.join(", ")
                    ));
                }
            }
        }
    };
    let mut resolved = rt.resolve(schema_urn, name, None);
    if resolved.is_none() && schema_urn.is_none() {
        let mut found = rt.extensions.iter().filter(|e| e.attribute(name).is_some());
        if let (Some(ext), None) = (found.next(), found.next()) {
            resolved = rt.resolve(Some(ext.id), name, None);
        }
    }
    let Some(r) = resolved else {
        let shown = match schema_urn {
            Some(u) => format!("{u}:{name}"),
            None => name.to_string(),
        };
        return Err(format!(
            "unknown attribute '{shown}' {context}; {} attributes are {}",
            rt.name,
            known_attributes(rt)
        ));
    };
    let attribute = r.attribute;
    let sub_attribute = match &p.sub {
        None => None,
        Some(s) => Some(sub_of(attribute, s, context)?),
    };
    Ok(ResolvedPath {
        path: AttrPath {
            urn: r.is_extension.then(|| r.schema.id.to_string()),
            name: attribute.name.to_string(),
            sub: sub_attribute.map(|a| a.name.to_string()),
        },
        attribute,
        sub_attribute,
    })
}

/// The sub-attribute `name` of `parent`, or a detail sentence.
pub(crate) fn sub_of<'a>(
    parent: &'a Attribute,
    name: &str,
    context: &str,
) -> Result<&'a Attribute, String> {
    if parent.ty != AttrType::Complex {
        return Err(format!(
            "'{}' {context} is {} attribute and has no sub-attributes such as '{name}'",
            parent.name,
            type_name(parent.ty)
        ));
    }
    parent.sub(name).ok_or_else(|| {
        format!(
            "'{}' has no sub-attribute '{name}' ({context}); its sub-attributes are {}",
            parent.name,
            names(&parent.sub_attributes)
        )
    })
}

/// Check `op value` against `attr` and coerce the value: `"true"`/`"false"` (any case) become
/// booleans for boolean attributes, numbers become strings for string attributes.
fn check_compare(
    attr: &Attribute,
    shown: &str,
    op: CompareOp,
    value: Value,
) -> Result<Value, ScimError> {
    let bad = |why: String| Err(ScimError::InvalidFilter(why));
    if attr.ty == AttrType::Complex {
        return bad(format!(
            "'{shown}' is complex; compare one of its sub-attributes ({}) instead, e.g. {shown}.{} {op} …",
            names(&attr.sub_attributes),
            attr.sub_attributes.first().map_or("value", |a| a.name)
        ));
    }
    if value.is_null() {
        if matches!(op, CompareOp::Eq | CompareOp::Ne) {
            return Ok(Value::Null);
        }
        return bad(format!(
            "'{shown} {op} null' is not a valid comparison; null can only be compared with eq or ne"
        ));
    }
    if op.is_substring() && !matches!(attr.ty, AttrType::String | AttrType::Reference) {
        return bad(format!(
            "'{op}' applies only to string attributes, but '{shown}' is {}; use eq or ne",
            type_name(attr.ty)
        ));
    }
    if op.is_ordering() && matches!(attr.ty, AttrType::Boolean | AttrType::Binary) {
        return bad(format!(
            "'{op}' cannot compare '{shown}', which is {}; use eq or ne",
            type_name(attr.ty)
        ));
    }
    match attr.ty {
        AttrType::String | AttrType::Reference | AttrType::Binary => match value {
            Value::String(_) => Ok(value),
            Value::Number(n) => Ok(Value::String(n.to_string())),
            other => bad(format!(
                "'{shown}' is {} attribute; compare it with a quoted string, not {other}",
                type_name(attr.ty)
            )),
        },
        AttrType::Boolean => match value {
            Value::Bool(_) => Ok(value),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
            other => bad(format!(
                "'{shown}' is a boolean attribute; compare it with true or false, not {other}"
            )),
        },
        AttrType::Integer | AttrType::Decimal => match value {
            Value::Number(_) => Ok(value),
            other => bad(format!(
                "'{shown}' is {} attribute; compare it with an unquoted number, not {other}",
                type_name(attr.ty)
            )),
        },
        AttrType::DateTime => match &value {
            Value::String(s) if OffsetDateTime::parse(s, &Rfc3339).is_ok() => Ok(value),
            other => bad(format!(
                "'{shown}' is a dateTime attribute; compare it with an RFC 3339 date-time such as \"2024-05-01T12:00:00Z\", not {other}"
            )),
        },
        AttrType::Complex => bad(format!("'{shown}' is complex")),
    }
}

impl Filter {
    /// Canonicalize every path against the resource type, check operators against types.
    ///
    /// - Names resolve case-insensitively and are rewritten to schema case; the core schema's
    ///   URN becomes `urn: None`, an extension keeps its canonical URN.
    /// - `emails eq "x"` (a complex attribute with a `value` sub-attribute and no sub-attribute
    ///   named) means `emails.value eq "x"`.
    /// - `co`/`sw`/`ew` need a string or reference; `gt`/`ge`/`lt`/`le` refuse booleans, binary
    ///   and complex attributes; booleans accept `"true"`/`"false"` in any case (rewritten to
    ///   JSON booleans); dateTimes need RFC 3339; integers and decimals need numbers; numbers
    ///   given for string attributes become strings (`externalId eq 12345`).
    /// - Inside `attr[…]` paths resolve as sub-attributes of `attr`.
    pub fn resolve(self, rt: &ResourceType) -> Result<Filter, ScimError> {
        let ctx = "in filter";
        match self {
            Filter::Compare { path, op, value } => {
                let r = resolve_path(rt, &path, ctx).map_err(ScimError::InvalidFilter)?;
                let mut path = r.path;
                let mut target = r.sub_attribute.unwrap_or(r.attribute);
                if r.sub_attribute.is_none()
                    && target.ty == AttrType::Complex
                    && let Some(v) = target.sub("value")
                {
                    path.sub = Some(v.name.to_string());
                    target = v;
                }
                let value = check_compare(target, &path.to_string(), op, value)?;
                Ok(Filter::Compare { path, op, value })
            }
            Filter::Present(path) => {
                let r = resolve_path(rt, &path, ctx).map_err(ScimError::InvalidFilter)?;
                Ok(Filter::Present(r.path))
            }
            Filter::And(a, b) => Ok(Filter::And(
                Box::new(a.resolve(rt)?),
                Box::new(b.resolve(rt)?),
            )),
            Filter::Or(a, b) => Ok(Filter::Or(
                Box::new(a.resolve(rt)?),
                Box::new(b.resolve(rt)?),
            )),
            Filter::Not(a) => Ok(Filter::Not(Box::new(a.resolve(rt)?))),
            Filter::ValuePath { path, filter } => {
                let r = resolve_path(rt, &path, ctx).map_err(ScimError::InvalidFilter)?;
                if r.sub_attribute.is_some() {
                    return Err(ScimError::InvalidFilter(format!(
                        "a value filter '[…]' must follow a multi-valued complex attribute, not the sub-attribute '{}'",
                        r.path
                    )));
                }
                let filter = filter.resolve_within(r.attribute)?;
                Ok(Filter::ValuePath {
                    path: r.path,
                    filter: Box::new(filter),
                })
            }
        }
    }

    /// Resolve a filter whose paths are sub-attributes of `parent` (the inside of `parent[…]`).
    pub(crate) fn resolve_within(self, parent: &Attribute) -> Result<Filter, ScimError> {
        if parent.ty != AttrType::Complex {
            return Err(ScimError::InvalidFilter(format!(
                "'{}' is {} attribute; value filters '[…]' apply to complex attributes such as emails",
                parent.name,
                type_name(parent.ty)
            )));
        }
        let ctx = format!("inside {}[…]", parent.name);
        let sub = |path: &AttrPath| -> Result<&Attribute, ScimError> {
            if path.urn.is_some() || path.sub.is_some() {
                return Err(ScimError::InvalidFilter(format!(
                    "'{path}' {ctx} must be a plain sub-attribute name of {} ({})",
                    parent.name,
                    names(&parent.sub_attributes)
                )));
            }
            sub_of(parent, &path.name, &ctx).map_err(ScimError::InvalidFilter)
        };
        match self {
            Filter::Compare { path, op, value } => {
                let a = sub(&path)?;
                let shown = format!("{}.{}", parent.name, a.name);
                let value = check_compare(a, &shown, op, value)?;
                Ok(Filter::Compare {
                    path: AttrPath::new(a.name, None),
                    op,
                    value,
                })
            }
            Filter::Present(path) => {
                let a = sub(&path)?;
                Ok(Filter::Present(AttrPath::new(a.name, None)))
            }
            Filter::And(a, b) => Ok(Filter::And(
                Box::new(a.resolve_within(parent)?),
                Box::new(b.resolve_within(parent)?),
            )),
            Filter::Or(a, b) => Ok(Filter::Or(
                Box::new(a.resolve_within(parent)?),
                Box::new(b.resolve_within(parent)?),
            )),
            Filter::Not(a) => Ok(Filter::Not(Box::new(a.resolve_within(parent)?))),
            Filter::ValuePath { path, .. } => Err(ScimError::InvalidFilter(format!(
                "value filters cannot be nested: '{path}[…]' {ctx}"
            ))),
        }
    }
}

/// Small resource types for tests (the real definitions live in `definitions.rs`).
#[cfg(test)]
pub(crate) mod fixtures {
    use crate::schema::{
        AttrType, Attribute, Mutability, ResourceType, Returned, Schema, Uniqueness,
    };

    pub const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
    pub const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
    pub const ENTERPRISE_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    /// A test-only extension with the numeric and binary types the RFC's User lacks.
    pub const TEST_URN: &str = "urn:example:params:scim:schemas:extension:test:2.0:User";

    pub fn attr(name: &'static str, ty: AttrType) -> Attribute {
        Attribute {
            name,
            ty,
            multi_valued: false,
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            canonical_values: vec![],
            reference_types: vec![],
            description: "",
            sub_attributes: vec![],
        }
    }

    fn s(name: &'static str) -> Attribute {
        attr(name, AttrType::String)
    }

    fn complex(name: &'static str, subs: Vec<Attribute>) -> Attribute {
        Attribute {
            sub_attributes: subs,
            ..attr(name, AttrType::Complex)
        }
    }

    fn multi(name: &'static str, subs: Vec<Attribute>) -> Attribute {
        Attribute {
            multi_valued: true,
            ..complex(name, subs)
        }
    }

    fn read_only(a: Attribute) -> Attribute {
        Attribute {
            mutability: Mutability::ReadOnly,
            ..a
        }
    }

    fn id() -> Attribute {
        Attribute {
            case_exact: true,
            returned: Returned::Always,
            uniqueness: Uniqueness::Server,
            ..read_only(s("id"))
        }
    }

    fn external_id() -> Attribute {
        Attribute {
            case_exact: true,
            ..s("externalId")
        }
    }

    fn meta() -> Attribute {
        read_only(complex(
            "meta",
            vec![
                s("resourceType"),
                attr("created", AttrType::DateTime),
                attr("lastModified", AttrType::DateTime),
                attr("location", AttrType::Reference),
                s("version"),
            ],
        ))
    }

    fn typed_multi(name: &'static str) -> Attribute {
        multi(
            name,
            vec![
                s("value"),
                s("type"),
                attr("primary", AttrType::Boolean),
                s("display"),
            ],
        )
    }

    /// A User; `user_name` is the mutability of `userName` (`Immutable` under github-emu).
    pub fn user_with(user_name: Mutability) -> ResourceType {
        ResourceType {
            name: "User",
            endpoint: "/Users",
            description: "User Account",
            core: Schema {
                id: USER_URN,
                name: "User",
                description: "",
                attributes: vec![
                    id(),
                    external_id(),
                    Attribute {
                        required: true,
                        uniqueness: Uniqueness::Server,
                        mutability: user_name,
                        ..s("userName")
                    },
                    s("displayName"),
                    s("nickName"),
                    attr("active", AttrType::Boolean),
                    complex(
                        "name",
                        vec![s("formatted"), s("givenName"), s("familyName")],
                    ),
                    typed_multi("emails"),
                    typed_multi("phoneNumbers"),
                    typed_multi("roles"),
                    read_only(multi(
                        "groups",
                        vec![
                            s("value"),
                            attr("$ref", AttrType::Reference),
                            s("display"),
                            s("type"),
                        ],
                    )),
                    meta(),
                ],
            },
            extensions: vec![
                Schema {
                    id: ENTERPRISE_URN,
                    name: "EnterpriseUser",
                    description: "",
                    attributes: vec![
                        s("employeeNumber"),
                        s("costCenter"),
                        s("department"),
                        complex(
                            "manager",
                            vec![
                                s("value"),
                                attr("$ref", AttrType::Reference),
                                read_only(s("displayName")),
                            ],
                        ),
                    ],
                },
                Schema {
                    id: TEST_URN,
                    name: "TestUser",
                    description: "",
                    attributes: vec![
                        attr("loginCount", AttrType::Integer),
                        attr("score", AttrType::Decimal),
                        attr("badge", AttrType::Binary),
                        Attribute {
                            case_exact: true,
                            ..s("code")
                        },
                    ],
                },
            ],
        }
    }

    pub fn user() -> ResourceType {
        user_with(Mutability::ReadWrite)
    }

    pub fn group() -> ResourceType {
        ResourceType {
            name: "Group",
            endpoint: "/Groups",
            description: "Group",
            core: Schema {
                id: GROUP_URN,
                name: "Group",
                description: "",
                attributes: vec![
                    id(),
                    external_id(),
                    Attribute {
                        required: true,
                        ..s("displayName")
                    },
                    multi(
                        "members",
                        vec![
                            Attribute {
                                mutability: Mutability::Immutable,
                                ..s("value")
                            },
                            s("display"),
                            s("type"),
                            attr("$ref", AttrType::Reference),
                        ],
                    ),
                    meta(),
                ],
            },
            extensions: vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{ENTERPRISE_URN, TEST_URN, USER_URN, group, user};
    use super::*;
    use serde_json::json;

    fn p(name: &str) -> AttrPath {
        AttrPath::new(name, None)
    }

    fn cmp(path: AttrPath, op: CompareOp, value: Value) -> Filter {
        Filter::Compare { path, op, value }
    }

    fn and(a: Filter, b: Filter) -> Filter {
        Filter::And(Box::new(a), Box::new(b))
    }

    fn or(a: Filter, b: Filter) -> Filter {
        Filter::Or(Box::new(a), Box::new(b))
    }

    fn resolved(s: &str) -> Result<Filter, ScimError> {
        parse(s)?.resolve(&user())
    }

    fn invalid(s: &str) -> String {
        match resolved(s) {
            Err(ScimError::InvalidFilter(d)) => d,
            other => panic!("{s}: expected InvalidFilter, got {other:?}"),
        }
    }

    #[test]
    fn simple_comparison() {
        assert_eq!(
            parse(r#"userName eq "bjensen""#).unwrap(),
            cmp(p("userName"), CompareOp::Eq, json!("bjensen"))
        );
    }

    #[test]
    fn every_operator_case_insensitive() {
        for (w, op) in [
            ("eq", CompareOp::Eq),
            ("NE", CompareOp::Ne),
            ("Co", CompareOp::Co),
            ("sW", CompareOp::Sw),
            ("ew", CompareOp::Ew),
            ("GT", CompareOp::Gt),
            ("ge", CompareOp::Ge),
            ("Lt", CompareOp::Lt),
            ("le", CompareOp::Le),
        ] {
            assert_eq!(
                parse(&format!("title {w} \"x\"")).unwrap(),
                cmp(p("title"), op, json!("x"))
            );
        }
        assert_eq!(parse("title PR").unwrap(), Filter::Present(p("title")));
    }

    #[test]
    fn ping_style_username_eq() {
        let f = resolved(r#"username Eq "x""#).unwrap();
        assert_eq!(f, cmp(p("userName"), CompareOp::Eq, json!("x")));
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let f = parse("a eq 1 or b eq 2 and c eq 3").unwrap();
        assert_eq!(
            f,
            or(
                cmp(p("a"), CompareOp::Eq, json!(1)),
                and(
                    cmp(p("b"), CompareOp::Eq, json!(2)),
                    cmp(p("c"), CompareOp::Eq, json!(3))
                )
            )
        );
        let f = parse("(a eq 1 or b eq 2) AND c eq 3").unwrap();
        assert_eq!(
            f,
            and(
                or(
                    cmp(p("a"), CompareOp::Eq, json!(1)),
                    cmp(p("b"), CompareOp::Eq, json!(2))
                ),
                cmp(p("c"), CompareOp::Eq, json!(3))
            )
        );
        // left associative
        let f = parse("a pr or b pr or c pr").unwrap();
        assert_eq!(
            f,
            or(
                or(Filter::Present(p("a")), Filter::Present(p("b"))),
                Filter::Present(p("c"))
            )
        );
    }

    #[test]
    fn not_with_and_without_space() {
        let want = Filter::Not(Box::new(cmp(p("a"), CompareOp::Eq, json!("x"))));
        assert_eq!(parse(r#"not (a eq "x")"#).unwrap(), want);
        assert_eq!(parse(r#"NOT(a eq "x")"#).unwrap(), want);
        assert!(parse(r#"not a eq "x""#).is_err());
    }

    #[test]
    fn literals() {
        assert_eq!(
            parse("a eq true").unwrap(),
            cmp(p("a"), CompareOp::Eq, json!(true))
        );
        assert_eq!(
            parse("a eq False").unwrap(),
            cmp(p("a"), CompareOp::Eq, json!(false))
        );
        assert_eq!(
            parse("a eq null").unwrap(),
            cmp(p("a"), CompareOp::Eq, Value::Null)
        );
        assert_eq!(
            parse("a gt -12").unwrap(),
            cmp(p("a"), CompareOp::Gt, json!(-12))
        );
        assert_eq!(
            parse("a lt 1.5e2").unwrap(),
            cmp(p("a"), CompareOp::Lt, json!(150.0))
        );
        assert_eq!(
            parse(r#"a eq "tab\t \"q\" \u00e9""#).unwrap(),
            cmp(p("a"), CompareOp::Eq, json!("tab\t \"q\" é"))
        );
    }

    #[test]
    fn unquoted_bare_word_is_a_string() {
        assert_eq!(
            resolved("externalId eq jyoung").unwrap(),
            cmp(p("externalId"), CompareOp::Eq, json!("jyoung"))
        );
        // A bare number for a string attribute is a string too.
        assert_eq!(
            resolved("externalId eq 12345").unwrap(),
            cmp(p("externalId"), CompareOp::Eq, json!("12345"))
        );
    }

    #[test]
    fn urn_qualified_paths() {
        let f = parse(&format!("{ENTERPRISE_URN}:employeeNumber eq \"7\"")).unwrap();
        assert_eq!(
            f,
            cmp(
                AttrPath {
                    urn: Some(ENTERPRISE_URN.into()),
                    name: "employeeNumber".into(),
                    sub: None
                },
                CompareOp::Eq,
                json!("7")
            )
        );
        // extension: URN kept canonical, names canonical
        let f = resolved(&format!(
            "{}:MANAGER.VALUE eq \"m\"",
            ENTERPRISE_URN.to_lowercase()
        ))
        .unwrap();
        assert_eq!(
            f,
            cmp(
                AttrPath {
                    urn: Some(ENTERPRISE_URN.into()),
                    name: "manager".into(),
                    sub: Some("value".into())
                },
                CompareOp::Eq,
                json!("m")
            )
        );
        // core URN disappears
        let f = resolved(&format!("{USER_URN}:userName eq \"x\"")).unwrap();
        assert_eq!(f, cmp(p("userName"), CompareOp::Eq, json!("x")));
        let f = resolved(&format!("{USER_URN}:name.givenName sw \"B\"")).unwrap();
        assert_eq!(
            f,
            cmp(
                AttrPath::new("name", Some("givenName")),
                CompareOp::Sw,
                json!("B")
            )
        );
    }

    #[test]
    fn unqualified_extension_attribute_resolves_to_its_extension() {
        let f = resolved(r#"department eq "R&D""#).unwrap();
        assert_eq!(
            f,
            cmp(
                AttrPath {
                    urn: Some(ENTERPRISE_URN.into()),
                    name: "department".into(),
                    sub: None
                },
                CompareOp::Eq,
                json!("R&D")
            )
        );
    }

    #[test]
    fn value_path_filters() {
        let f = parse(r#"emails[type eq "work" and value co "@example.com"]"#).unwrap();
        assert_eq!(
            f,
            Filter::ValuePath {
                path: p("emails"),
                filter: Box::new(and(
                    cmp(p("type"), CompareOp::Eq, json!("work")),
                    cmp(p("value"), CompareOp::Co, json!("@example.com"))
                ))
            }
        );
        // nested logic inside, combined outside
        let f = resolved(
            r#"userName sw "b" and EMAILS[TYPE eq "work" and (primary eq "True" or not (value ew ".org"))]"#,
        )
        .unwrap();
        assert_eq!(
            f,
            and(
                cmp(p("userName"), CompareOp::Sw, json!("b")),
                Filter::ValuePath {
                    path: p("emails"),
                    filter: Box::new(and(
                        cmp(p("type"), CompareOp::Eq, json!("work")),
                        or(
                            cmp(p("primary"), CompareOp::Eq, json!(true)),
                            Filter::Not(Box::new(cmp(p("value"), CompareOp::Ew, json!(".org"))))
                        )
                    ))
                }
            )
        );
    }

    #[test]
    fn entra_value_path_then_sub_attribute() {
        let want = Filter::ValuePath {
            path: p("emails"),
            filter: Box::new(and(
                cmp(p("type"), CompareOp::Eq, json!("work")),
                cmp(p("value"), CompareOp::Eq, json!("x@example.com")),
            )),
        };
        assert_eq!(
            parse(r#"emails[type eq "work"].value eq "x@example.com""#).unwrap(),
            want
        );
        assert_eq!(
            resolved(r#"emails[type eq "work"].value eq "x@example.com""#).unwrap(),
            want
        );
        let f = parse(r#"emails[type eq "work"].value pr"#).unwrap();
        assert_eq!(
            f,
            Filter::ValuePath {
                path: p("emails"),
                filter: Box::new(and(
                    cmp(p("type"), CompareOp::Eq, json!("work")),
                    Filter::Present(p("value"))
                )),
            }
        );
    }

    #[test]
    fn nested_value_paths_are_refused() {
        assert!(matches!(
            parse(r#"emails[type[value eq "x"] eq "y"]"#),
            Err(ScimError::InvalidFilter(_))
        ));
        assert!(matches!(
            parse(r#"emails[name.givenName eq "x"]"#),
            Err(ScimError::InvalidFilter(_))
        ));
        assert!(matches!(
            parse(r#"name.givenName[x eq "y"]"#),
            Err(ScimError::InvalidFilter(_))
        ));
    }

    #[test]
    fn syntax_errors_say_where_and_what() {
        let cases = [
            ("", "empty"),
            ("userName", "position 9: expected an operator"),
            ("userName eq", "expected a value after 'eq'"),
            (
                r#"userName equals "x""#,
                "position 10: expected an operator",
            ),
            (r#"userName eq "x" "y""#, "expected 'and', 'or' or the end"),
            (r#"(userName eq "x""#, "expected ')'"),
            (r#"userName eq "x)"#, "no closing"),
            (r#"emails[type eq "work""#, "']' closing the value filter"),
            (r#"userName eq "x" and"#, "expected an attribute name"),
            (r#"a.b.c eq "x""#, "at most one sub-attribute"),
            (r#"1abc eq "x""#, "not an attribute path"),
            (r#"userName eq "\q""#, "not a valid JSON string"),
            (r#"not userName eq "x""#, "'(' after 'not'"),
            (r#")"#, "position 1"),
        ];
        for (input, want) in cases {
            match parse(input) {
                Err(ScimError::InvalidFilter(d)) => {
                    assert!(d.contains(want), "{input:?}: {d:?} should contain {want:?}")
                }
                other => panic!("{input:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn non_ascii_input_is_an_error_not_a_panic() {
        for f in [
            "é eq 1",
            "urné:x eq 1",
            "urn:ietf:params:scim:schemas:core:2.0:Useé:x eq 1",
            "urn:ietf:params:scim:schemas:core:2.0:Us\u{e9}x eq 1",
            "userName eq ünïcode",
        ] {
            let _ = resolved(f);
        }
        assert_eq!(
            resolved("userName eq ünïcode").unwrap(),
            cmp(p("userName"), CompareOp::Eq, json!("ünïcode"))
        );
    }

    #[test]
    fn budgets() {
        let long = format!("userName eq \"{}\"", "x".repeat(MAX_FILTER_BYTES));
        match parse(&long) {
            Err(ScimError::TooMany(d)) => assert!(d.contains("4096")),
            other => panic!("{other:?}"),
        }
        let deep = format!("{}a pr{}", "(".repeat(33), ")".repeat(33));
        match parse(&deep) {
            Err(ScimError::TooMany(d)) => assert!(d.contains("32")),
            other => panic!("{other:?}"),
        }
        let ok = format!("{}a pr{}", "(".repeat(32), ")".repeat(32));
        assert!(parse(&ok).is_ok());
        let deep_not = format!("{}a pr{}", "not (".repeat(40), ")".repeat(40));
        assert!(matches!(parse(&deep_not), Err(ScimError::TooMany(_))));
        let many = vec!["a pr"; 257].join(" or ");
        match parse(&many) {
            Err(ScimError::TooMany(d)) => assert!(d.contains("256")),
            other => panic!("{other:?}"),
        }
        assert!(parse(&vec!["a pr"; 256].join(" or ")).is_ok());
    }

    #[test]
    fn resolve_canonicalizes_and_rewrites_complex_to_value() {
        assert_eq!(
            resolved(r#"EMAILS eq "a@b.c""#).unwrap(),
            cmp(
                AttrPath::new("emails", Some("value")),
                CompareOp::Eq,
                json!("a@b.c")
            )
        );
        assert_eq!(
            resolved(r#"Name.GivenName co "ar""#).unwrap(),
            cmp(
                AttrPath::new("name", Some("givenName")),
                CompareOp::Co,
                json!("ar")
            )
        );
        assert_eq!(
            resolved("META.LASTMODIFIED gt \"2024-01-01T00:00:00Z\"").unwrap(),
            cmp(
                AttrPath::new("meta", Some("lastModified")),
                CompareOp::Gt,
                json!("2024-01-01T00:00:00Z")
            )
        );
        // pr on a complex attribute stays as it is
        assert_eq!(resolved("emails pr").unwrap(), Filter::Present(p("emails")));
        let g = parse(r#"members[VALUE eq "u1"]"#)
            .unwrap()
            .resolve(&group())
            .unwrap();
        assert_eq!(
            g,
            Filter::ValuePath {
                path: p("members"),
                filter: Box::new(cmp(p("value"), CompareOp::Eq, json!("u1")))
            }
        );
    }

    #[test]
    fn resolve_errors_name_the_problem() {
        let d = invalid(r#"foo eq "x""#);
        assert!(
            d.contains("unknown attribute 'foo'") && d.contains("userName"),
            "{d}"
        );
        let d = invalid(r#"name.middle eq "x""#);
        assert!(
            d.contains("no sub-attribute 'middle'") && d.contains("givenName"),
            "{d}"
        );
        let d = invalid(r#"userName.x eq "x""#);
        assert!(d.contains("no sub-attributes"), "{d}");
        let d = invalid(r#"urn:example:nope:foo eq "x""#);
        assert!(d.contains("unknown schema"), "{d}");
        let d = invalid(&format!("{ENTERPRISE_URN} pr"));
        assert!(d.contains("names the schema"), "{d}");
        let d = invalid(r#"emails[foo eq "x"]"#);
        assert!(d.contains("no sub-attribute 'foo'"), "{d}");
        let d = invalid(r#"userName[value eq "x"]"#);
        assert!(d.contains("value filters"), "{d}");
        let d = invalid(r#"name eq "x""#);
        assert!(d.contains("is complex"), "{d}");
    }

    #[test]
    fn resolve_type_checks() {
        // booleans: "true"/"false" strings become booleans; ordering refused
        assert_eq!(
            resolved(r#"active eq "TRUE""#).unwrap(),
            cmp(p("active"), CompareOp::Eq, json!(true))
        );
        assert!(invalid(r#"active eq "yes""#).contains("true or false"));
        assert!(invalid("active gt true").contains("boolean"));
        assert!(invalid(r#"active co "t""#).contains("only to string"));
        // co/sw/ew only on strings and references
        assert!(invalid(r#"meta.created sw "2024""#).contains("only to string"));
        assert!(resolved(r#"meta.location co "Users""#).is_ok());
        // dateTime must be RFC 3339
        assert!(invalid(r#"meta.created gt "04-12-2018 00:00:00""#).contains("RFC 3339"));
        assert!(invalid("meta.created gt 5").contains("RFC 3339"));
        // numbers
        let n = format!("{TEST_URN}:loginCount");
        assert!(resolved(&format!("{n} ge 3")).is_ok());
        assert!(invalid(&format!("{n} ge \"3\"")).contains("number"));
        assert!(resolved(&format!("{TEST_URN}:score lt 2.5")).is_ok());
        assert!(invalid(&format!("{TEST_URN}:badge gt \"x\"")).contains("binary"));
        // strings refuse booleans
        assert!(invalid("userName eq true").contains("quoted string"));
        // null only with eq/ne
        assert!(resolved("userName eq null").is_ok());
        assert!(resolved("userName ne null").is_ok());
        assert!(invalid("userName gt null").contains("null"));
        // pr on anything
        assert!(resolved("active pr and meta pr and emails.primary pr").is_ok());
        // inside value paths too
        assert!(invalid(r#"emails[primary gt true]"#).contains("boolean"));
        assert_eq!(
            resolved(r#"emails[primary eq "false"]"#).unwrap(),
            Filter::ValuePath {
                path: p("emails"),
                filter: Box::new(cmp(p("primary"), CompareOp::Eq, json!(false)))
            }
        );
    }

    #[test]
    fn patch_paths_parse() {
        let (a, f, s) = parse_patch_path("members").unwrap();
        assert_eq!((a, f, s), (p("members"), None, None));
        let (a, f, s) = parse_patch_path("name.givenName").unwrap();
        assert_eq!((a, f, s), (p("name"), None, Some("givenName".into())));
        let (a, f, s) = parse_patch_path(r#"emails[type eq "work"].value"#).unwrap();
        assert_eq!(a, p("emails"));
        assert_eq!(f, Some(cmp(p("type"), CompareOp::Eq, json!("work"))));
        assert_eq!(s.as_deref(), Some("value"));
        let (a, _, s) = parse_patch_path(&format!("{ENTERPRISE_URN}:manager.value")).unwrap();
        assert_eq!(a.urn.as_deref(), Some(ENTERPRISE_URN));
        assert_eq!(a.name, "manager");
        assert_eq!(s.as_deref(), Some("value"));
        for bad in [
            "",
            "emails[",
            r#"emails[type eq "work"] extra"#,
            "a b",
            r#"emails[type eq "work"].value eq "x""#,
        ] {
            assert!(
                matches!(parse_patch_path(bad), Err(ScimError::InvalidPath(_))),
                "{bad:?}"
            );
        }
    }
}

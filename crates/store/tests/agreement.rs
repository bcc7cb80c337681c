//! Generated filters over generated users: the rows the SQL returns are exactly the documents
//! `Filter::matches` (the oracle, `scim::eval`) accepts. Strings are ASCII: SQLite's `lower()`
//! folds ASCII only.

use std::collections::BTreeSet;

use directory::model::ManagedUser;
use directory::store::ListQuery;
use scim::definitions::user_resource_type;
use scim::filter::parse;
use scim::schema::{Mutability, ResourceType};
use serde_json::{Map, Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::support::{Backend, group, now};

both_backends!(generated_filters_agree_with_the_oracle);

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const WORDS: &[&str] = &["a", "ab", "B", "ba", "Ab", "", "abc", "x", "A-b"];
const USERS: usize = 30;
const FILTERS: usize = 800;

/// A small deterministic generator (xorshift64*): the same cases on every run and backend.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn word(&mut self) -> String {
        self.pick(WORDS).to_string()
    }
    /// A JSON value that is usually a string, sometimes null, "" or another type.
    fn string_value(&mut self) -> Value {
        match self.below(10) {
            0 => Value::Null,
            1 => json!(7),
            _ => json!(self.word()),
        }
    }
}

fn user_doc(g: &mut Gen, i: usize) -> (ManagedUser, Value) {
    let user_name = format!("{}{i}", g.word());
    let mut doc = Map::new();
    doc.insert("userName".into(), json!(user_name));
    let display = g.chance(70).then(|| g.word());
    if let Some(d) = &display {
        doc.insert("displayName".into(), json!(d));
    }
    let external = g.chance(50).then(|| format!("{}{}", g.word(), g.below(3)));
    if let Some(x) = &external {
        doc.insert("externalId".into(), json!(x));
    }
    let active = g.chance(60);
    doc.insert("active".into(), json!(active));
    for key in ["nickName", "title"] {
        if g.chance(60) {
            let v = g.string_value();
            doc.insert(key.into(), v);
        }
    }
    if g.chance(70) {
        let mut name = Map::new();
        for key in ["givenName", "familyName"] {
            if g.chance(60) {
                name.insert(key.into(), g.string_value());
            }
        }
        doc.insert("name".into(), Value::Object(name));
    }
    if g.chance(80) {
        let emails: Vec<Value> = (0..g.below(4))
            .map(|_| {
                let mut e = Map::new();
                if g.chance(80) {
                    e.insert("value".into(), g.string_value());
                }
                if g.chance(60) {
                    e.insert("type".into(), json!(g.pick(&["work", "home", "Work"])));
                }
                if g.chance(40) {
                    e.insert("primary".into(), json!(g.chance(50)));
                }
                Value::Object(e)
            })
            .collect();
        doc.insert("emails".into(), Value::Array(emails));
    }
    if g.chance(50) {
        let mut ext = Map::new();
        if g.chance(70) {
            ext.insert("employeeNumber".into(), g.string_value());
        }
        if g.chance(50) {
            ext.insert("department".into(), json!(g.word()));
        }
        doc.insert(ENTERPRISE.into(), Value::Object(ext));
    }
    let created = now() - Duration::minutes(i as i64);
    let user = ManagedUser {
        id: format!("id{i:02}"),
        enterprise_id: 0,
        user_name,
        handle: format!("h{i}_acme"),
        external_id: external,
        display_name: display,
        active,
        doc: Value::Object(doc),
        version: 1,
        created,
        last_modified: created,
    };
    let mut oracle = user.doc.clone();
    oracle["id"] = json!(user.id);
    oracle["meta"] = json!({
        "created": created.format(&Rfc3339).unwrap_or_default(),
        "lastModified": created.format(&Rfc3339).unwrap_or_default(),
    });
    (user, oracle)
}

fn literal(g: &mut Gen) -> String {
    match g.below(12) {
        0 => "true".into(),
        1 => "7".into(),
        2 => "null".into(),
        _ => format!("\"{}\"", g.word()),
    }
}

fn leaf(g: &mut Gen, created: &[OffsetDateTime]) -> String {
    let paths = [
        "userName",
        "displayName",
        "nickName",
        "title",
        "name.givenName",
        "name.familyName",
        "emails.value",
        "emails.type",
        "emails.primary",
        "emails",
        "externalId",
        "id",
        "active",
        "employeeNumber",
        "department",
        "groups.value",
        "groups.display",
        "meta.created",
        "name",
    ];
    let path = *g.pick(&paths);
    let op = *g.pick(&["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr"]);
    if op == "pr" {
        return format!("{path} pr");
    }
    let value = match path {
        "active" | "emails.primary" => g.pick(&["true", "false", "\"True\""]).to_string(),
        "id" => format!("\"id{:02}\"", g.below(USERS)),
        "groups.value" => format!("\"grp{}\"", g.below(3)),
        "meta.created" => {
            let t = *g.pick(created);
            format!("\"{}\"", t.format(&Rfc3339).unwrap_or_default())
        }
        _ => literal(g),
    };
    format!("{path} {op} {value}")
}

fn filter(g: &mut Gen, depth: usize, created: &[OffsetDateTime]) -> String {
    if depth == 0 {
        return leaf(g, created);
    }
    match g.below(6) {
        0 => format!(
            "({} and {})",
            filter(g, depth - 1, created),
            filter(g, depth - 1, created)
        ),
        1 => format!(
            "({} or {})",
            filter(g, depth - 1, created),
            filter(g, depth - 1, created)
        ),
        2 => format!("not ({})", filter(g, depth - 1, created)),
        3 => {
            let sub = *g.pick(&["value", "type", "primary"]);
            let inner = match sub {
                "primary" => format!("primary eq {}", g.pick(&["true", "false"])),
                _ => format!(
                    "{sub} {} {}",
                    g.pick(&["eq", "ne", "co", "sw", "gt"]),
                    literal(g)
                ),
            };
            let inner = if g.chance(30) {
                format!("not ({inner})")
            } else {
                inner
            };
            format!("emails[{inner} or {} pr]", g.pick(&["value", "type"]))
        }
        _ => leaf(g, created),
    }
}

async fn generated_filters_agree_with_the_oracle(b: Backend) {
    let e = b.enterprise("acme").await;
    let rt: ResourceType = user_resource_type(Mutability::Immutable, Vec::new());
    let mut g = Gen(0x9E37_79B9_7F4A_7C15);
    let mut oracle_docs = Vec::new();
    let mut created = Vec::new();
    for i in 0..USERS {
        let (mut user, oracle) = user_doc(&mut g, i);
        user.enterprise_id = e;
        b.insert_user(&user).await;
        created.push(user.created);
        oracle_docs.push(oracle);
    }
    // Three groups with random members; the oracle sees them as the users' `groups`.
    let names = ["Alpha", "beta", "AB"];
    for (k, name) in names.iter().enumerate() {
        let members: Vec<String> = (0..USERS)
            .filter(|_| g.chance(30))
            .map(|i| format!("id{i:02}"))
            .collect();
        b.insert_group(&group(e, &format!("grp{k}"), name), &members)
            .await;
        for m in &members {
            let i: usize = m[2..].parse().unwrap_or(0);
            let doc = &mut oracle_docs[i];
            if doc.get("groups").is_none() {
                doc["groups"] = json!([]);
            }
            if let Some(list) = doc["groups"].as_array_mut() {
                list.push(json!({ "value": format!("grp{k}"), "display": name }));
            }
        }
    }
    let mut checked = 0;
    // Filters that split the users: the ones that can tell a wrong compiler from a right one.
    let mut splitting = 0;
    for _ in 0..FILTERS {
        let text = filter(&mut g, 2, &created);
        let Ok(f) = parse(&text).and_then(|f| f.resolve(&rt)) else {
            continue;
        };
        let want: BTreeSet<String> = oracle_docs
            .iter()
            .filter(|d| f.matches(d, &rt))
            .filter_map(|d| d["id"].as_str().map(str::to_string))
            .collect();
        let page = b
            .store
            .users(
                e,
                &ListQuery {
                    sort: None,
                    after: None,
                    resource_type: &rt,
                    filter: Some(&f),
                    start_index: 1,
                    count: 1000,
                },
            )
            .await
            .unwrap_or_else(|err| panic!("{text}: {err:?}"));
        let got: BTreeSet<String> = page.items.into_iter().map(|u| u.id).collect();
        assert_eq!(got, want, "filter: {text}\nresolved: {f:?}");
        assert_eq!(page.total, want.len() as u64, "{text}");
        checked += 1;
        if !want.is_empty() && want.len() < USERS {
            splitting += 1;
        }
    }
    assert!(
        splitting > checked / 4,
        "only {splitting} of {checked} filters split the users"
    );
    assert!(
        checked > FILTERS / 2,
        "only {checked} generated filters resolved"
    );
}

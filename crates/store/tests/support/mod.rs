//! A store per test on either backend, and records to put in it.

#![allow(dead_code)]

use std::sync::Arc;

use directory::model::{AuditEvent, IdpGroup, ManagedUser, Profile, Scope, Token};
use directory::store::{NewEnterprise, Store};
use serde_json::{Value, json};
use store::DatabaseUrl;
use store::scratch::ScratchDatabase;
use time::OffsetDateTime;

/// For each test function named, a module with a `sqlite` and a `postgres` test running it.
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    super::$name(crate::support::Backend::sqlite().await).await
                }
                #[tokio::test]
                async fn postgres() {
                    super::$name(crate::support::Backend::postgres().await).await
                }
            }
        )*
    };
}

pub struct Backend {
    pub store: Arc<dyn Store>,
    pub url: DatabaseUrl,
    _dir: tempfile::TempDir,
    _pg: Option<ScratchDatabase>,
}

impl Backend {
    pub async fn sqlite() -> Backend {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = DatabaseUrl::Sqlite(dir.path().join("roster.db"));
        let store = store::open(&url).await.expect("open sqlite");
        Backend {
            store,
            url,
            _dir: dir,
            _pg: None,
        }
    }

    pub async fn postgres() -> Backend {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = ScratchDatabase::create().await.expect("scratch database");
        let url = DatabaseUrl::Postgres(db.url.clone());
        let store = store::open(&url).await.expect("open postgres");
        Backend {
            store,
            url,
            _dir: dir,
            _pg: Some(db),
        }
    }

    pub fn is_postgres(&self) -> bool {
        self._pg.is_some()
    }

    /// A new enterprise; its id.
    pub async fn enterprise(&self, slug: &str) -> i64 {
        let mut tx = self.store.begin().await.expect("begin");
        let e = tx
            .insert_enterprise(&NewEnterprise {
                slug: slug.into(),
                short_code: slug.into(),
                profile: Profile::GithubEmu,
                created: now(),
            })
            .await
            .expect("enterprise");
        tx.commit().await.expect("commit");
        e.id
    }

    pub async fn insert_user(&self, u: &ManagedUser) {
        let mut tx = self.store.begin().await.expect("begin");
        tx.insert_user(u).await.expect("insert user");
        tx.commit().await.expect("commit");
    }

    pub async fn insert_group(&self, g: &IdpGroup, members: &[String]) {
        let mut tx = self.store.begin().await.expect("begin");
        tx.insert_group(g).await.expect("insert group");
        tx.add_members(&g.id, members).await.expect("members");
        tx.commit().await.expect("commit");
    }

    /// Rows in `table`.
    pub async fn rows(&self, table: &str) -> u64 {
        store::copy::table_counts(&self.url)
            .await
            .expect("counts")
            .into_iter()
            .find(|c| c.table == table)
            .map(|c| c.rows)
            .expect("table")
    }
}

/// Now, at the microsecond precision both stores keep.
pub fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(t.nanosecond() / 1_000 * 1_000)
        .expect("micros")
}

pub fn user(enterprise_id: i64, id: &str, user_name: &str) -> ManagedUser {
    let at = now();
    ManagedUser {
        id: id.into(),
        enterprise_id,
        user_name: user_name.into(),
        handle: format!("{}_acme", user_name.replace(['@', '.'], "-")),
        external_id: Some(format!("ext-{id}")),
        display_name: Some(format!("{user_name} Display")),
        active: true,
        doc: json!({ "userName": user_name, "active": true, "emails": [{ "value": user_name, "type": "work" }] }),
        version: 1,
        created: at,
        last_modified: at,
    }
}

pub fn group(enterprise_id: i64, id: &str, name: &str) -> IdpGroup {
    let at = now();
    IdpGroup {
        id: id.into(),
        enterprise_id,
        display_name: name.into(),
        external_id: None,
        doc: json!({ "displayName": name }),
        version: 1,
        created: at,
        last_modified: at,
    }
}

pub fn token(enterprise_id: i64, id: &str) -> Token {
    Token {
        id: id.into(),
        enterprise_id,
        owner: "acme_admin".into(),
        scopes: vec![Scope::ScimEnterprise],
        created: now(),
        expires_at: None,
        revoked_at: None,
        last_used_at: None,
    }
}

pub fn audit(enterprise_id: i64, target: &str, data: Value) -> AuditEvent {
    AuditEvent {
        enterprise_id,
        action: "external_identity.provision",
        actor: "acme_admin".into(),
        token_id: None,
        request_id: Some("req-1".into()),
        target_type: "user",
        target_id: target.into(),
        target_name: None,
        at: now(),
        data,
    }
}

pub fn ids(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

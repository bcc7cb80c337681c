//! The audit log reader (filters, keyset paging both ways) and retention.

use directory::model::AuditEvent;
use directory::store::{ActionMatch, AuditQuery};
use serde_json::json;
use time::Duration;

use crate::support::{Backend, audit, now};

both_backends!(audit_events_filter_and_page, prune_audit_deletes_old_events);

fn event(enterprise_id: i64, action: &'static str, actor: &str, minutes_ago: i64) -> AuditEvent {
    let mut e = audit(
        enterprise_id,
        action,
        json!({ "action": action, "n": [1, "two"] }),
    );
    e.action = action;
    e.actor = actor.into();
    e.at = now() - Duration::minutes(minutes_ago);
    e
}

fn query(enterprise_id: i64) -> AuditQuery {
    AuditQuery {
        enterprise_id,
        limit: 100,
        ..AuditQuery::default()
    }
}

async fn actions(b: &Backend, q: &AuditQuery) -> Vec<String> {
    b.store
        .audit_events(q)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

async fn audit_events_filter_and_page(b: Backend) {
    let e = b.enterprise("acme").await;
    let other = b.enterprise("beta").await;
    let mut tx = b.store.begin().await.unwrap();
    tx.append_audit(&[
        event(e, "team.create", "mona", 50),
        event(e, "team.add_member", "mona", 40),
        event(e, "org.add_member", "hubot", 30),
        // `_` must not act as a wildcard: `team_x.` is not category `team.`, and `teamXcreate`
        // is not `team.create`.
        event(e, "team_x.create", "mona", 20),
        event(e, "teamXcreate", "lisa", 10),
        event(other, "team.create", "mona", 5),
    ])
    .await
    .unwrap();
    tx.commit().await.unwrap();

    // Newest first, one enterprise only, every field read back.
    let all = b.store.audit_events(&query(e)).await.unwrap();
    assert_eq!(all.len(), 5);
    assert!(all.windows(2).all(|w| w[0].seq > w[1].seq));
    let first = &all[4];
    assert_eq!(first.action, "team.create");
    assert_eq!(first.actor, "mona");
    assert_eq!(first.enterprise_id, e);
    assert_eq!(first.request_id.as_deref(), Some("req-1"));
    assert_eq!(first.target_type, "user");
    assert_eq!(first.target_id, "team.create");
    assert_eq!(
        first.data,
        json!({ "action": "team.create", "n": [1, "two"] })
    );

    let mut q = query(e);
    q.actions = vec![ActionMatch::Category("team".into())];
    assert_eq!(
        actions(&b, &q).await,
        vec!["team.add_member", "team.create"]
    );
    q.actions = vec![
        ActionMatch::Exact("team.create".into()),
        ActionMatch::Category("org".into()),
    ];
    assert_eq!(actions(&b, &q).await, vec!["org.add_member", "team.create"]);
    q.actions = vec![ActionMatch::Category("team_x".into())];
    assert_eq!(actions(&b, &q).await, vec!["team_x.create"]);

    let mut q = query(e);
    q.actors = vec!["hubot".into(), "lisa".into()];
    assert_eq!(actions(&b, &q).await, vec!["teamXcreate", "org.add_member"]);
    q.actions = vec![ActionMatch::Category("org".into())];
    assert_eq!(actions(&b, &q).await, vec!["org.add_member"], "kinds AND");

    // `from` is inclusive, `until` exclusive.
    let mut q = query(e);
    q.from = Some(all[3].at);
    q.until = Some(all[1].at);
    assert_eq!(
        actions(&b, &q).await,
        vec!["org.add_member", "team.add_member"]
    );

    // Keyset paging: newest first with `older_than`, then back with `newer_than`.
    let mut q = query(e);
    q.limit = 2;
    let page1 = b.store.audit_events(&q).await.unwrap();
    assert_eq!(page1.len(), 2);
    q.older_than = Some(page1[1].seq);
    let page2 = b.store.audit_events(&q).await.unwrap();
    assert_eq!(
        page2.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![all[2].seq, all[3].seq]
    );
    let mut back = query(e);
    back.newer_than = Some(page2[0].seq);
    back.oldest_first = true;
    back.limit = 2;
    let before = b.store.audit_events(&back).await.unwrap();
    assert_eq!(
        before.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![all[1].seq, all[0].seq]
    );
    let mut q = query(e);
    q.oldest_first = true;
    q.limit = 1;
    assert_eq!(actions(&b, &q).await, vec!["team.create"]);
    q.limit = 0;
    assert!(actions(&b, &q).await.is_empty());
}

async fn prune_audit_deletes_old_events(b: Backend) {
    let e = b.enterprise("acme").await;
    let other = b.enterprise("beta").await;
    let mut tx = b.store.begin().await.unwrap();
    tx.append_audit(&[
        event(e, "team.create", "mona", 60 * 24 * 40),
        event(other, "team.create", "mona", 60 * 24 * 31),
        event(e, "team.add_member", "mona", 60 * 24 * 29),
        event(e, "org.add_member", "mona", 1),
    ])
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let cutoff = now() - Duration::days(30);
    let mut tx = b.store.begin().await.unwrap();
    assert_eq!(tx.prune_audit(cutoff).await.unwrap(), 2, "every enterprise");
    assert_eq!(tx.prune_audit(cutoff).await.unwrap(), 0);
    tx.commit().await.unwrap();
    assert_eq!(
        actions(&b, &query(e)).await,
        vec!["org.add_member", "team.add_member"]
    );
    assert!(actions(&b, &query(other)).await.is_empty());
    assert_eq!(b.rows("audit_events").await, 2);
}

//! Enterprises and tokens: uniqueness, lookup by hash, touch, revoke.

use directory::model::Profile;
use directory::store::{NewEnterprise, StoreError, UniqueKey};

use crate::support::{Backend, now, token};

both_backends!(
    enterprises_are_unique_by_slug_and_short_code,
    tokens_by_hash_touch_and_revoke
);

async fn enterprises_are_unique_by_slug_and_short_code(b: Backend) {
    let id = b.enterprise("acme").await;
    let found = b.store.enterprise_by_slug("acme").await.unwrap().unwrap();
    assert_eq!((found.id, found.short_code.as_str()), (id, "acme"));
    assert!(b.store.enterprise_by_slug("nope").await.unwrap().is_none());
    for (slug, code, key) in [
        ("acme", "other", UniqueKey::EnterpriseSlug),
        ("other", "ACME", UniqueKey::EnterpriseShortCode),
    ] {
        let mut tx = b.store.begin().await.unwrap();
        let err = tx
            .insert_enterprise(&NewEnterprise {
                slug: slug.into(),
                short_code: code.into(),
                profile: Profile::Scim,
                created: now(),
            })
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Unique(k) if k == key), "{err:?}");
    }
    let second = b.enterprise("beta").await;
    let all = b.store.enterprises().await.unwrap();
    assert_eq!(
        all.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![id, second]
    );
}

async fn tokens_by_hash_touch_and_revoke(b: Backend) {
    let e = b.enterprise("acme").await;
    let other = b.enterprise("beta").await;
    let mut tx = b.store.begin().await.unwrap();
    tx.insert_token(&token(e, "tok_1"), "hash-1").await.unwrap();
    tx.insert_token(&token(other, "tok_2"), "hash-2")
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let (t, ent) = b.store.token_by_hash("hash-1").await.unwrap().unwrap();
    assert_eq!((t.id.as_str(), ent.slug.as_str()), ("tok_1", "acme"));
    assert_eq!(t.scopes, token(e, "x").scopes);
    assert!(b.store.token_by_hash("hash-3").await.unwrap().is_none());
    assert_eq!(b.store.tokens(None).await.unwrap().len(), 2);
    assert_eq!(b.store.tokens(Some(other)).await.unwrap()[0].id, "tok_2");

    let used = now();
    let mut tx = b.store.begin().await.unwrap();
    tx.touch_token("tok_1", used).await.unwrap();
    tx.commit().await.unwrap();
    let (t, _) = b.store.token_by_hash("hash-1").await.unwrap().unwrap();
    assert_eq!(t.last_used_at, Some(used));

    let at = now();
    let mut tx = b.store.begin().await.unwrap();
    let revoked = tx.revoke_token("tok_1", at).await.unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(at));
    assert!(tx.revoke_token("tok_404", at).await.unwrap().is_none());
    tx.commit().await.unwrap();
    // Revoking again keeps the first revocation time.
    let mut tx = b.store.begin().await.unwrap();
    let again = tx.revoke_token("tok_1", now()).await.unwrap().unwrap();
    assert_eq!(again.revoked_at, Some(at));
    tx.commit().await.unwrap();

    let mut tx = b.store.begin().await.unwrap();
    let err = tx
        .insert_token(&token(e, "tok_3"), "hash-2")
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Unique(UniqueKey::Other)),
        "{err:?}"
    );
}

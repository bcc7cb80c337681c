//! The identity of a userName: one canonical form (Unicode normalization and full case
//! folding) for uniqueness and lookups on both backends, nothing invisible in it, documented
//! length limits; under the `scim` profile, no handle rule refuses a valid userName.

use directory::model::Profile;
use serde_json::json;

use crate::support::*;

fn filter(attr: &str, value: &str) -> String {
    format!(
        "/Users?filter={}",
        encode(&format!("{attr} eq \"{value}\""))
    )
}

#[tokio::test]
async fn spellings_of_one_user_name_are_one_user() {
    let app = spawn_app().await;
    // Under the scim profile no handle is involved: the 409 is the userName's own.
    let plain = app.enterprise("plain", "plain", Profile::Scim).await;
    for (first, second) in [
        ("jos\u{e9}@example.com", "jose\u{301}@example.com"),
        ("straße@example.com", "STRASSE@example.com"),
        ("İstanbul@example.com", "istanbul@example.com"),
        ("ＪＯＨＮ@example.com", "john@example.com"),
        ("ΟΔΥΣΣΕΥΣ@example.com", "οδυσσευς@example.com"),
    ] {
        let created = plain.create_user(first).await;
        let r = plain
            .post("/Users", &okta_user(second))
            .await
            .expect_error(409, Some("uniqueness"));
        assert!(
            r.body["detail"].as_str().unwrap().contains("userName"),
            "{first} / {second}: {}",
            r.text
        );
        // Any spelling finds the user, which keeps the spelling it was provisioned with.
        for spelling in [first, second] {
            let found = plain
                .get(&filter("userName", spelling))
                .await
                .expect(200)
                .body;
            assert_eq!(found["totalResults"], 1, "{spelling}: {found}");
            assert_eq!(found["Resources"][0]["id"], created["id"]);
            assert_eq!(found["Resources"][0]["userName"], first);
        }
    }
}

#[tokio::test]
async fn padded_and_invisible_user_names_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    for bad in [
        " mona@example.com",
        "mona@example.com ",
        "mona@example.com\n",
        "\u{feff}mona@example.com",
        "mona\u{202e}moc.elpmaxe@x.io",
        "mo\u{200b}na@example.com",
        "mona\u{a0}lisa@example.com",
    ] {
        let r = app
            .scim
            .post("/Users", &okta_user(bad))
            .await
            .expect_error(400, Some("invalidValue"));
        let detail = r.body["detail"].as_str().unwrap();
        assert!(detail.contains("userName"), "{detail}");
        // The detail names the character visibly; it never carries it.
        assert!(
            !detail.contains(['\u{202e}', '\u{feff}', '\u{200b}', '\n']),
            "{detail:?}"
        );
    }
    let list = app.scim.get("/Users").await.expect(200).body;
    assert_eq!(list["totalResults"], 0);
    // A rename (scim profile) to such a userName is refused the same way.
    let plain = app.enterprise("plain", "plain", Profile::Scim).await;
    let user = plain.create_user("ok@example.com").await;
    plain
        .patch_ops(
            &format!("/Users/{}", id_of(&user)),
            json!([{ "op": "replace", "path": "userName", "value": "ok@example.com\u{202e}" }]),
        )
        .await
        .expect_error(400, Some("invalidValue"));
}

#[tokio::test]
async fn identifying_values_have_documented_length_limits_on_every_backend() {
    let app = spawn_app().await;
    let plain = app.enterprise("plain", "plain", Profile::Scim).await;
    let long = "a".repeat(1025);
    let mut body = okta_user(&format!("{}@example.com", "a".repeat(1013)));
    let r = plain
        .post("/Users", &body)
        .await
        .expect_error(400, Some("invalidValue"));
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("at most 1024 bytes")
    );
    body = okta_user("fits@example.com");
    body["externalId"] = json!(long);
    plain
        .post("/Users", &body)
        .await
        .expect_error(400, Some("invalidValue"));
    body = okta_user("fits@example.com");
    body["displayName"] = json!(long);
    plain
        .post("/Users", &body)
        .await
        .expect_error(400, Some("invalidValue"));
    plain
        .post(
            "/Groups",
            &json!({ "schemas": [GROUP_SCHEMA], "displayName": long }),
        )
        .await
        .expect_error(400, Some("invalidValue"));
    // At the limit everything is stored and found again (PostgreSQL indexes it too).
    let at_limit = format!("{}@example.com", "b".repeat(1024 - "@example.com".len()));
    let created = plain.create_user(&at_limit).await;
    let found = plain
        .get(&filter("userName", &at_limit))
        .await
        .expect(200)
        .body;
    assert_eq!(found["Resources"][0]["id"], created["id"]);
    let list = plain.get("/Users").await.expect(200).body;
    assert_eq!(list["totalResults"], 1);
}

#[tokio::test]
async fn under_the_scim_profile_no_handle_rule_refuses_a_user_name() {
    let app = spawn_app().await;
    let plain = app.enterprise("plain", "plain", Profile::Scim).await;
    for user_name in [
        "john@corp.example",
        "john@subsidiary.example",
        "山田太郎@example.jp",
        "@@@",
        &format!("{}@example.com", "x".repeat(200)),
    ] {
        plain.create_user(user_name).await;
    }
    assert_eq!(
        plain.get("/Users").await.expect(200).body["totalResults"],
        5
    );
    // Under github-emu, GitHub's rules hold: a CJK userName has no letters for a handle.
    app.scim
        .post("/Users", &okta_user("山田太郎@example.jp"))
        .await
        .expect_error(400, Some("invalidValue"));
}

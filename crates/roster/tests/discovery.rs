//! Discovery documents, attribute projection, the read-only `groups` of a user, `.search`
//! endpoints, and the filters IdPs use.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::support::{
    ENTERPRISE_USER, GROUP_SCHEMA, Scim, USER_SCHEMA, id_of, okta_user, spawn_app,
};

const SEARCH_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

fn ids(list: &Value) -> HashSet<String> {
    list["Resources"]
        .as_array()
        .map(|a| a.iter().map(id_of).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn service_provider_config_tells_what_roster_does() {
    let app = spawn_app().await;
    let r = app.scim.get("/ServiceProviderConfig").await.expect(200);
    assert_eq!(r.header("content-type"), Some("application/scim+json"));
    let spc = r.body;
    assert_eq!(
        spc["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"])
    );
    assert_eq!(spc["patch"]["supported"], true);
    assert_eq!(spc["etag"]["supported"], true);
    assert_eq!(spc["filter"]["supported"], true);
    assert!(spc["filter"]["maxResults"].as_u64().is_some_and(|n| n > 0));
    // Bulk is supported, with its limits advertised (RFC 7644 §3.7).
    assert_eq!(spc["bulk"]["supported"], true);
    assert!(spc["bulk"]["maxOperations"].as_u64().is_some_and(|n| n > 0));
    assert!(
        spc["bulk"]["maxPayloadSize"]
            .as_u64()
            .is_some_and(|n| n > 0)
    );
    assert_eq!(spc["changePassword"]["supported"], false);
    assert_eq!(spc["sort"]["supported"], true);
    let schemes = spc["authenticationSchemes"].as_array().expect("schemes");
    assert_eq!(schemes[0]["type"], "oauthbearertoken");
    assert_eq!(spc["meta"]["resourceType"], "ServiceProviderConfig");
    assert_eq!(
        spc["meta"]["location"],
        app.scim.url("/ServiceProviderConfig").as_str()
    );
}

#[tokio::test]
async fn resource_types_list_users_with_the_enterprise_extension_and_groups() {
    let app = spawn_app().await;
    let list = app.scim.get("/ResourceTypes").await.expect(200).body;
    assert_eq!(list["schemas"], json!([LIST_RESPONSE]));
    assert_eq!(list["totalResults"], 2);
    let types = list["Resources"].as_array().expect("Resources");
    let user = types
        .iter()
        .find(|t| t["name"] == "User")
        .expect("User type");
    assert_eq!(user["endpoint"], "/Users");
    assert_eq!(user["schema"], USER_SCHEMA);
    assert_eq!(
        user["schemaExtensions"],
        json!([{ "schema": ENTERPRISE_USER, "required": false }])
    );
    let group = types
        .iter()
        .find(|t| t["name"] == "Group")
        .expect("Group type");
    assert_eq!(group["endpoint"], "/Groups");
    assert_eq!(group["schema"], GROUP_SCHEMA);

    let one = app.scim.get("/ResourceTypes/User").await.expect(200).body;
    assert_eq!(&one, user);
    assert_eq!(
        one["meta"]["location"],
        app.scim.url("/ResourceTypes/User").as_str()
    );
    let g = app.scim.get("/ResourceTypes/Group").await.expect(200).body;
    assert_eq!(&g, group);
    app.scim
        .get("/ResourceTypes/Widget")
        .await
        .expect_error(404, None);
}

#[tokio::test]
async fn schemas_list_and_by_urn() {
    let app = spawn_app().await;
    let list = app.scim.get("/Schemas").await.expect(200).body;
    assert_eq!(list["schemas"], json!([LIST_RESPONSE]));
    let got: HashSet<String> = list["Resources"]
        .as_array()
        .expect("Resources")
        .iter()
        .map(id_of)
        .collect();
    let want: HashSet<String> = [USER_SCHEMA, ENTERPRISE_USER, GROUP_SCHEMA]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(got, want);
    assert_eq!(list["totalResults"], 3);

    for urn in [USER_SCHEMA, ENTERPRISE_USER, GROUP_SCHEMA] {
        let one = app
            .scim
            .get(&format!("/Schemas/{urn}"))
            .await
            .expect(200)
            .body;
        assert_eq!(one["id"], urn);
        assert!(one["attributes"].as_array().is_some_and(|a| !a.is_empty()));
        let listed = list["Resources"]
            .as_array()
            .and_then(|a| a.iter().find(|s| s["id"] == urn))
            .expect("listed");
        assert_eq!(&one, listed, "{urn}");
        assert_eq!(
            one["meta"]["location"],
            app.scim.url(&format!("/Schemas/{urn}")).as_str()
        );
    }
    // Group members are writable, a user's groups are not.
    let group = app
        .scim
        .get(&format!("/Schemas/{GROUP_SCHEMA}"))
        .await
        .expect(200)
        .body;
    let members = group["attributes"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["name"] == "members"))
        .expect("members");
    assert_eq!(members["multiValued"], true);
    let user = app
        .scim
        .get(&format!("/Schemas/{USER_SCHEMA}"))
        .await
        .expect(200)
        .body;
    let groups = user["attributes"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["name"] == "groups"))
        .expect("groups");
    assert_eq!(groups["mutability"], "readOnly");

    app.scim
        .get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:Widget")
        .await
        .expect_error(404, None);
}

async fn seeded(scim: &Scim) -> (Value, Value, Value) {
    let mut body = okta_user("proj@example.com");
    body[ENTERPRISE_USER] = json!({ "employeeNumber": "701984", "department": "R&D" });
    let user = scim.post("/Users", &body).await.expect(201).body;
    let other = scim.create_user("other@example.com").await;
    let group = scim
        .create_group("Projected", &[&id_of(&user), &id_of(&other)])
        .await;
    (user, other, group)
}

#[tokio::test]
async fn attributes_and_excluded_attributes_on_a_user() {
    let app = spawn_app().await;
    let (user, _, _) = seeded(&app.scim).await;
    let path = format!("/Users/{}", id_of(&user));

    let r = app
        .scim
        .get(&format!("{path}?attributes=userName"))
        .await
        .expect(200)
        .body;
    assert_eq!(r["id"], user["id"], "id is always returned");
    assert_eq!(r["userName"], "proj@example.com");
    for gone in [
        "name",
        "emails",
        "displayName",
        "active",
        "groups",
        ENTERPRISE_USER,
    ] {
        assert!(r.get(gone).is_none(), "{gone} in {r}");
    }

    let r = app
        .scim
        .get(&format!("{path}?attributes=name.givenName,emails"))
        .await
        .expect(200)
        .body;
    assert_eq!(r["name"], json!({ "givenName": "proj" }));
    assert_eq!(r["emails"], user["emails"]);
    assert!(r.get("userName").is_none() || r["userName"] == "proj@example.com");

    let r = app
        .scim
        .get(&format!(
            "{path}?attributes={ENTERPRISE_USER}:employeeNumber"
        ))
        .await
        .expect(200)
        .body;
    assert_eq!(r[ENTERPRISE_USER]["employeeNumber"], "701984");
    assert!(r[ENTERPRISE_USER].get("department").is_none(), "{r}");

    let r = app
        .scim
        .get(&format!("{path}?excludedAttributes=emails,name,groups"))
        .await
        .expect(200)
        .body;
    assert_eq!(r["id"], user["id"]);
    assert_eq!(r["userName"], "proj@example.com");
    assert_eq!(r["displayName"], user["displayName"]);
    for gone in ["emails", "name", "groups"] {
        assert!(r.get(gone).is_none(), "{gone} in {r}");
    }
    // id and userName cannot be excluded (returned: always).
    let r = app
        .scim
        .get(&format!("{path}?excludedAttributes=id,userName"))
        .await
        .expect(200)
        .body;
    assert_eq!(r["id"], user["id"]);
}

#[tokio::test]
async fn attributes_and_excluded_attributes_on_lists() {
    let app = spawn_app().await;
    let (user, other, group) = seeded(&app.scim).await;

    let list = app
        .scim
        .get("/Users?attributes=userName")
        .await
        .expect(200)
        .body;
    assert_eq!(list["totalResults"], 2);
    for u in list["Resources"].as_array().expect("Resources") {
        assert!(u["id"].is_string(), "{u}");
        assert!(u["userName"].is_string(), "{u}");
        assert!(u.get("emails").is_none() && u.get("name").is_none(), "{u}");
    }
    assert_eq!(ids(&list), HashSet::from([id_of(&user), id_of(&other)]));

    // Entra's group lookup: without members.
    let groups = app
        .scim
        .get("/Groups?excludedAttributes=members&filter=displayName%20eq%20%22Projected%22")
        .await
        .expect(200)
        .body;
    assert_eq!(groups["totalResults"], 1);
    let g = &groups["Resources"][0];
    assert_eq!(g["id"], group["id"]);
    assert_eq!(g["displayName"], "Projected");
    assert!(g.get("members").is_none(), "{g}");

    let groups = app
        .scim
        .get("/Groups?attributes=displayName")
        .await
        .expect(200)
        .body;
    assert!(groups["Resources"][0].get("members").is_none());
    assert_eq!(groups["Resources"][0]["id"], group["id"]);

    // And members when asked for.
    let groups = app
        .scim
        .get("/Groups?attributes=members")
        .await
        .expect(200)
        .body;
    assert_eq!(
        groups["Resources"][0]["members"].as_array().map(Vec::len),
        Some(2)
    );
}

#[tokio::test]
async fn a_users_groups_are_listed_read_only() {
    let app = spawn_app().await;
    let (user, _, group) = seeded(&app.scim).await;
    let second = app.scim.create_group("Second", &[&id_of(&user)]).await;
    let uid = id_of(&user);
    let path = format!("/Users/{uid}");

    let got = app.scim.get(&path).await.expect(200).body;
    let listed: HashSet<(String, String)> = got["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            assert_eq!(
                g["$ref"],
                app.scim
                    .url(&format!(
                        "/Groups/{}",
                        g["value"].as_str().unwrap_or_default()
                    ))
                    .as_str()
            );
            (
                g["value"].as_str().unwrap_or_default().to_string(),
                g["display"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        HashSet::from([
            (id_of(&group), "Projected".to_string()),
            (id_of(&second), "Second".to_string()),
        ])
    );
    // In lists too, and by attributes=groups.
    let list = app
        .scim
        .get(&format!(
            "/Users?filter=id%20eq%20%22{uid}%22&attributes=groups"
        ))
        .await
        .expect(200)
        .body;
    assert_eq!(
        list["Resources"][0]["groups"].as_array().map(Vec::len),
        Some(2)
    );

    // Writing groups on the user does nothing to memberships.
    let mut body = got.clone();
    body["groups"] = json!([]);
    app.scim.put(&path, &body).await.expect(200);
    app.scim
        .patch_ops(
            &path,
            json!([{ "op": "add", "path": "groups", "value": [{ "value": id_of(&group) }] }]),
        )
        .await;
    let after = app.scim.get(&path).await.expect(200).body;
    assert_eq!(after["groups"].as_array().map(Vec::len), Some(2));
    assert_eq!(app.scim.member_ids(&id_of(&second)).await, vec![uid]);
    // A renamed group shows its new name.
    app.scim
        .patch_ops(
            &format!("/Groups/{}", id_of(&second)),
            json!([{ "op": "replace", "path": "displayName", "value": "Renamed" }]),
        )
        .await
        .expect(204);
    let after = app.scim.get(&path).await.expect(200).body;
    assert!(
        after["groups"]
            .as_array()
            .is_some_and(|g| g.iter().any(|x| x["display"] == "Renamed")),
        "{after}"
    );
}

#[tokio::test]
async fn search_endpoints() {
    let app = spawn_app().await;
    let (user, other, group) = seeded(&app.scim).await;

    let r = app
        .scim
        .post(
            "/Users/.search",
            &json!({ "schemas": [SEARCH_REQUEST],
                     "filter": "userName eq \"PROJ@example.com\"",
                     "attributes": ["userName"], "startIndex": 1, "count": 10 }),
        )
        .await
        .expect(200);
    assert_eq!(r.header("content-type"), Some("application/scim+json"));
    assert_eq!(r.body["schemas"], json!([LIST_RESPONSE]));
    assert_eq!(r.body["totalResults"], 1);
    let found = &r.body["Resources"][0];
    assert_eq!(found["id"], user["id"]);
    assert!(found.get("emails").is_none(), "{found}");

    let r = app
        .scim
        .post("/Users/.search", &json!({ "schemas": [SEARCH_REQUEST] }))
        .await
        .expect(200)
        .body;
    assert_eq!(ids(&r), HashSet::from([id_of(&user), id_of(&other)]));

    let r = app
        .scim
        .post(
            "/Groups/.search",
            &json!({ "schemas": [SEARCH_REQUEST], "filter": "displayName eq \"projected\"",
                     "excludedAttributes": ["members"] }),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(r["totalResults"], 1);
    assert_eq!(r["Resources"][0]["id"], group["id"]);
    assert!(r["Resources"][0].get("members").is_none());

    // The root search spans both types.
    let r = app
        .scim
        .post("/.search", &json!({ "schemas": [SEARCH_REQUEST] }))
        .await
        .expect(200)
        .body;
    assert_eq!(r["totalResults"], 3);
    assert_eq!(r["itemsPerPage"], 3);
    assert_eq!(
        ids(&r),
        HashSet::from([id_of(&user), id_of(&other), id_of(&group)])
    );
    let types: HashSet<String> = r["Resources"]
        .as_array()
        .expect("Resources")
        .iter()
        .map(|x| {
            x["meta"]["resourceType"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(types, HashSet::from(["User".into(), "Group".into()]));
    // A filter only groups have.
    let r = app
        .scim
        .post(
            "/.search",
            &json!({ "schemas": [SEARCH_REQUEST], "filter": "displayName eq \"Projected\"" }),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(ids(&r), HashSet::from([id_of(&group)]));
    // Paging across the boundary between users and groups.
    let page = app
        .scim
        .post(
            "/.search",
            &json!({ "schemas": [SEARCH_REQUEST], "startIndex": 2, "count": 2 }),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(page["totalResults"], 3);
    assert_eq!(page["itemsPerPage"], 2);
    assert_eq!(page["startIndex"], 2);
    let first = app
        .scim
        .post(
            "/.search",
            &json!({ "schemas": [SEARCH_REQUEST], "startIndex": 1, "count": 1 }),
        )
        .await
        .expect(200)
        .body;
    let mut seen = ids(&first);
    seen.extend(ids(&page));
    assert_eq!(seen.len(), 3, "no repeats across pages");
}

#[tokio::test]
async fn filters_idps_use() {
    let app = spawn_app().await;
    let mut a = okta_user("alice@example.com");
    a["externalId"] = json!("ext-alice");
    a["emails"] = json!([
        { "value": "alice@example.com", "type": "work", "primary": true },
        { "value": "alice@home.example", "type": "home" }
    ]);
    let alice = app.scim.post("/Users", &a).await.expect(201).body;
    let mut b = okta_user("bob@example.com");
    b["externalId"] = json!("ext-bob");
    b["active"] = json!(false);
    b["emails"] = json!([{ "value": "bob@work.example", "type": "work" }]);
    let bob = app.scim.post("/Users", &b).await.expect(201).body;
    let (ai, bi) = (id_of(&alice), id_of(&bob));

    let cases: Vec<(String, HashSet<String>)> = vec![
        (
            "externalId eq \"ext-alice\"".into(),
            HashSet::from([ai.clone()]),
        ),
        (format!("id eq \"{bi}\""), HashSet::from([bi.clone()])),
        (
            "displayName eq \"bob Tester\"".into(),
            HashSet::from([bi.clone()]),
        ),
        (
            "emails.value eq \"alice@home.example\"".into(),
            HashSet::from([ai.clone()]),
        ),
        (
            "emails[type eq \"work\"].value eq \"bob@work.example\"".into(),
            HashSet::from([bi.clone()]),
        ),
        // The home address is not a work address.
        (
            "emails[type eq \"work\"].value eq \"alice@home.example\"".into(),
            HashSet::new(),
        ),
        (
            "emails[type eq \"work\" and value co \"example.com\"]".into(),
            HashSet::from([ai.clone()]),
        ),
        (
            "userName eq \"alice@example.com\" and active eq true".into(),
            HashSet::from([ai.clone()]),
        ),
        (
            "userName eq \"bob@example.com\" and active eq true".into(),
            HashSet::new(),
        ),
        (
            "externalId eq \"ext-bob\" and emails[type eq \"work\"].value eq \"bob@work.example\""
                .into(),
            HashSet::from([bi.clone()]),
        ),
        (
            "userName sw \"a\" or userName sw \"b\"".into(),
            HashSet::from([ai.clone(), bi.clone()]),
        ),
        ("not (active eq false)".into(), HashSet::from([ai.clone()])),
        (
            "externalId pr".into(),
            HashSet::from([ai.clone(), bi.clone()]),
        ),
        // Entra's Test Connection: a random GUID.
        (
            "userName eq \"9bd9b4a3-7b5c-4a3e-9a4f-6b1c2d3e4f50\"".into(),
            HashSet::new(),
        ),
        // Ping's casing.
        (
            "username Eq \"ALICE@example.com\"".into(),
            HashSet::from([ai.clone()]),
        ),
    ];
    for (filter, want) in &cases {
        let encoded: String = filter
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        let r = app
            .scim
            .get(&format!("/Users?filter={encoded}"))
            .await
            .expect(200)
            .body;
        assert_eq!(&ids(&r), want, "GET filter {filter}: {r}");
        assert_eq!(
            r["totalResults"].as_u64(),
            Some(want.len() as u64),
            "{filter}"
        );
        // The same through .search.
        let r = app
            .scim
            .post(
                "/Users/.search",
                &json!({ "schemas": [SEARCH_REQUEST], "filter": filter }),
            )
            .await
            .expect(200)
            .body;
        assert_eq!(&ids(&r), want, ".search filter {filter}: {r}");
    }

    // Groups by displayName and externalId.
    let mut g =
        json!({ "schemas": [GROUP_SCHEMA], "displayName": "Filtered", "externalId": "grp-1" });
    g["members"] = json!([{ "value": ai }]);
    let group = app.scim.post("/Groups", &g).await.expect(201).body;
    app.scim.create_group("Unrelated", &[]).await;
    for filter in [
        "displayName%20eq%20%22Filtered%22",
        "externalId%20eq%20%22grp-1%22",
        "displayName%20eq%20%22filtered%22",
    ] {
        let r = app
            .scim
            .get(&format!("/Groups?filter={filter}"))
            .await
            .expect(200)
            .body;
        assert_eq!(ids(&r), HashSet::from([id_of(&group)]), "{filter}");
    }
    let r = app
        .scim
        .get(&format!("/Groups?filter=members%20eq%20%22{ai}%22"))
        .await
        .expect(200)
        .body;
    assert_eq!(ids(&r), HashSet::from([id_of(&group)]));
}

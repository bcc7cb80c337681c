//! The first thing an admin does: Okta's "Test API Credentials".

use crate::support::spawn_app;

#[tokio::test]
async fn okta_test_api_credentials_lists_users() {
    let app = spawn_app().await;
    let r = app
        .scim
        .get("/Users?startIndex=1&count=2")
        .await
        .expect(200);
    assert_eq!(r.header("content-type"), Some("application/scim+json"));
    assert_eq!(r.body["totalResults"], 0);
    assert_eq!(r.body["itemsPerPage"], 0);
    assert_eq!(r.body["startIndex"], 1);
}

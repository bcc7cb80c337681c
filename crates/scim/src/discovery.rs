//! The discovery documents: `/ServiceProviderConfig` (RFC 7643 §5), `/ResourceTypes` (§6) and
//! `/Schemas` (§7, §8.7.1), rendered from the same attribute metadata the server enforces, so
//! what they advertise is what Roster does.

use serde_json::{Map, Value, json};

use crate::definitions::{
    RESOURCE_TYPE_SCHEMA, SCHEMA_SCHEMA, SERVICE_PROVIDER_CONFIG_SCHEMA, is_common_attribute,
};
use crate::schema::{AttrType, Attribute, Mutability, ResourceType, Returned, Schema, Uniqueness};

/// Where `/ServiceProviderConfig` points people for the protocol Roster speaks.
pub const DOCUMENTATION_URI: &str = "https://www.rfc-editor.org/rfc/rfc7644";

/// What this service provider supports, as `/ServiceProviderConfig` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    pub patch: bool,
    /// `(maxOperations, maxPayloadSize)` when bulk is supported.
    pub bulk: Option<(u32, u64)>,
    pub filter_max_results: u32,
    pub change_password: bool,
    pub sort: bool,
    pub etag: bool,
    /// RFC 9865 pagination: whether cursors are offered, the default and largest page.
    pub pagination: Option<Pagination>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pagination {
    pub cursor: bool,
    pub default_page_size: u64,
    pub max_page_size: u64,
}

/// The RFC 7643 §5 document; `location` is the full URL of `/ServiceProviderConfig`.
pub fn service_provider_config(location: &str, opts: &Capabilities) -> Value {
    let (bulk_supported, max_operations, max_payload_size) = match opts.bulk {
        Some((ops, size)) => (true, ops, size),
        None => (false, 0, 0),
    };
    let mut doc = json!({
        "schemas": [SERVICE_PROVIDER_CONFIG_SCHEMA],
        "documentationUri": DOCUMENTATION_URI,
        "patch": { "supported": opts.patch },
        "bulk": {
            "supported": bulk_supported,
            "maxOperations": max_operations,
            "maxPayloadSize": max_payload_size,
        },
        "filter": { "supported": true, "maxResults": opts.filter_max_results },
        "changePassword": { "supported": opts.change_password },
        "sort": { "supported": opts.sort },
        "etag": { "supported": opts.etag },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication with a personal access token carrying the \
                            scim:enterprise scope, sent as an OAuth 2.0 Bearer Token \
                            (Authorization: Bearer TOKEN).",
            "specUri": "https://www.rfc-editor.org/info/rfc6750",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": location,
        },
    });
    if let Some(p) = &opts.pagination {
        // Cursors are positions in a stable order, so they do not expire: no cursorTimeout.
        doc["pagination"] = json!({
            "cursor": p.cursor,
            "index": true,
            "defaultPaginationMethod": "index",
            "defaultPageSize": p.default_page_size,
            "maxPageSize": p.max_page_size,
        });
    }
    doc
}

/// The RFC 7643 §6 document for one resource type; `base` is the SCIM base URL (no trailing `/`).
pub fn resource_type_json(rt: &ResourceType, base: &str) -> Value {
    let mut doc = json!({
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": rt.name,
        "name": rt.name,
        "endpoint": rt.endpoint,
        "description": rt.description,
        "schema": rt.core.id,
    });
    if !rt.extensions.is_empty() {
        doc["schemaExtensions"] = Value::Array(
            rt.extensions
                .iter()
                .map(|s| json!({ "schema": s.id, "required": false }))
                .collect(),
        );
    }
    doc["meta"] = json!({
        "resourceType": "ResourceType",
        "location": format!("{}/ResourceTypes/{}", base.trim_end_matches('/'), rt.name),
    });
    doc
}

/// The RFC 7643 §7 document for one schema, in the shape of §8.7.1; the common attributes
/// (`id`, `externalId`, `meta`) are left out, as the RFC does.
pub fn schema_json(schema: &Schema, base: &str) -> Value {
    let attributes: Vec<Value> = schema
        .attributes
        .iter()
        .filter(|a| !is_common_attribute(a.name))
        .map(attribute_json)
        .collect();
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": schema.id,
        "name": schema.name,
        "description": schema.description,
        "attributes": attributes,
        "meta": {
            "resourceType": "Schema",
            "location": format!("{}/Schemas/{}", base.trim_end_matches('/'), schema.id),
        },
    })
}

fn attribute_json(a: &Attribute) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), a.name.into());
    m.insert("type".into(), type_name(a.ty).into());
    if a.ty == AttrType::Complex {
        m.insert(
            "subAttributes".into(),
            Value::Array(a.sub_attributes.iter().map(attribute_json).collect()),
        );
    }
    m.insert("multiValued".into(), a.multi_valued.into());
    m.insert("description".into(), a.description.into());
    m.insert("required".into(), a.required.into());
    if !a.canonical_values.is_empty() {
        m.insert(
            "canonicalValues".into(),
            Value::Array(a.canonical_values.iter().map(|v| (*v).into()).collect()),
        );
    }
    m.insert("caseExact".into(), a.case_exact.into());
    m.insert("mutability".into(), mutability_name(a.mutability).into());
    m.insert("returned".into(), returned_name(a.returned).into());
    m.insert("uniqueness".into(), uniqueness_name(a.uniqueness).into());
    if a.ty == AttrType::Reference {
        m.insert(
            "referenceTypes".into(),
            Value::Array(a.reference_types.iter().map(|v| (*v).into()).collect()),
        );
    }
    Value::Object(m)
}

/// RFC 7643 §7's spelling of each data type.
pub fn type_name(t: AttrType) -> &'static str {
    match t {
        AttrType::String => "string",
        AttrType::Boolean => "boolean",
        AttrType::Decimal => "decimal",
        AttrType::Integer => "integer",
        AttrType::DateTime => "dateTime",
        AttrType::Reference => "reference",
        AttrType::Complex => "complex",
        AttrType::Binary => "binary",
    }
}

fn mutability_name(m: Mutability) -> &'static str {
    match m {
        Mutability::ReadOnly => "readOnly",
        Mutability::ReadWrite => "readWrite",
        Mutability::Immutable => "immutable",
        Mutability::WriteOnly => "writeOnly",
    }
}

fn returned_name(r: Returned) -> &'static str {
    match r {
        Returned::Always => "always",
        Returned::Never => "never",
        Returned::Default => "default",
        Returned::Request => "request",
    }
}

fn uniqueness_name(u: Uniqueness) -> &'static str {
    match u {
        Uniqueness::None => "none",
        Uniqueness::Server => "server",
        Uniqueness::Global => "global",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definitions::{
        ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA, group_resource_type, user_resource_type,
    };

    const BASE: &str = "https://roster.example/scim/v2/enterprises/acme";

    fn caps() -> Capabilities {
        Capabilities {
            patch: true,
            bulk: None,
            filter_max_results: 100,
            change_password: false,
            sort: false,
            etag: true,
            pagination: None,
        }
    }

    fn find<'a>(attrs: &'a Value, name: &str) -> &'a Value {
        attrs
            .as_array()
            .and_then(|a| a.iter().find(|x| x["name"] == name))
            .unwrap_or(&Value::Null)
    }

    #[test]
    fn service_provider_config_document() {
        let loc = format!("{BASE}/ServiceProviderConfig");
        let doc = service_provider_config(&loc, &caps());
        assert_eq!(doc["schemas"], json!([SERVICE_PROVIDER_CONFIG_SCHEMA]));
        assert_eq!(doc["patch"], json!({"supported": true}));
        assert_eq!(
            doc["bulk"],
            json!({"supported": false, "maxOperations": 0, "maxPayloadSize": 0})
        );
        assert_eq!(doc["filter"], json!({"supported": true, "maxResults": 100}));
        assert_eq!(doc["changePassword"], json!({"supported": false}));
        assert_eq!(doc["sort"], json!({"supported": false}));
        assert_eq!(doc["etag"], json!({"supported": true}));
        assert!(doc["documentationUri"].is_string());
        let auth = &doc["authenticationSchemes"][0];
        assert_eq!(auth["type"], "oauthbearertoken");
        assert_eq!(auth["name"], "OAuth Bearer Token");
        assert_eq!(auth["primary"], true);
        assert!(auth["description"].is_string());
        assert!(auth["specUri"].is_string());
        assert_eq!(
            doc["meta"],
            json!({"resourceType": "ServiceProviderConfig", "location": loc})
        );
    }

    #[test]
    fn pagination_is_advertised_when_offered() {
        assert!(
            service_provider_config("x", &caps())
                .get("pagination")
                .is_none()
        );
        let c = Capabilities {
            pagination: Some(Pagination {
                cursor: true,
                default_page_size: 100,
                max_page_size: 1000,
            }),
            ..caps()
        };
        let doc = service_provider_config("x", &c);
        assert_eq!(
            doc["pagination"],
            json!({"cursor": true, "index": true, "defaultPaginationMethod": "index", "defaultPageSize": 100, "maxPageSize": 1000})
        );
    }

    #[test]
    fn service_provider_config_with_bulk() {
        let c = Capabilities {
            bulk: Some((1000, 1_048_576)),
            ..caps()
        };
        let doc = service_provider_config("x", &c);
        assert_eq!(
            doc["bulk"],
            json!({"supported": true, "maxOperations": 1000, "maxPayloadSize": 1_048_576})
        );
    }

    #[test]
    fn user_resource_type_document() {
        let rt = user_resource_type(Mutability::Immutable, vec![]);
        let doc = resource_type_json(&rt, BASE);
        assert_eq!(
            doc,
            json!({
                "schemas": [RESOURCE_TYPE_SCHEMA],
                "id": "User",
                "name": "User",
                "endpoint": "/Users",
                "description": "User Account",
                "schema": USER_SCHEMA,
                "schemaExtensions": [{"schema": ENTERPRISE_USER_SCHEMA, "required": false}],
                "meta": {
                    "resourceType": "ResourceType",
                    "location": format!("{BASE}/ResourceTypes/User"),
                },
            })
        );
    }

    #[test]
    fn group_resource_type_document_has_no_extensions() {
        let doc = resource_type_json(&group_resource_type(), &format!("{BASE}/"));
        assert_eq!(doc["schema"], GROUP_SCHEMA);
        assert_eq!(doc["endpoint"], "/Groups");
        assert!(doc.get("schemaExtensions").is_none());
        assert_eq!(
            doc["meta"]["location"],
            format!("{BASE}/ResourceTypes/Group")
        );
    }

    #[test]
    fn user_schema_document_tells_the_truth() {
        let rt = user_resource_type(Mutability::Immutable, vec!["user", "guest_collaborator"]);
        let doc = schema_json(&rt.core, BASE);
        assert_eq!(doc["schemas"], json!([SCHEMA_SCHEMA]));
        assert_eq!(doc["id"], USER_SCHEMA);
        assert_eq!(doc["name"], "User");
        assert_eq!(
            doc["meta"],
            json!({"resourceType": "Schema", "location": format!("{BASE}/Schemas/{USER_SCHEMA}")})
        );
        let attrs = &doc["attributes"];
        for common in ["id", "externalId", "meta"] {
            assert!(find(attrs, common).is_null(), "{common} must be omitted");
        }
        let user_name = find(attrs, "userName");
        assert_eq!(
            *user_name,
            json!({
                "name": "userName",
                "type": "string",
                "multiValued": false,
                "description": user_name["description"].clone(),
                "required": true,
                "caseExact": false,
                "mutability": "immutable",
                "returned": "default",
                "uniqueness": "server",
            })
        );
        let password = find(attrs, "password");
        assert_eq!(password["mutability"], "writeOnly");
        assert_eq!(password["returned"], "never");
        let active = find(attrs, "active");
        assert_eq!(active["type"], "boolean");
        let profile = find(attrs, "profileUrl");
        assert_eq!(profile["type"], "reference");
        assert_eq!(profile["referenceTypes"], json!(["external"]));
        let emails = find(attrs, "emails");
        assert_eq!(emails["type"], "complex");
        assert_eq!(emails["multiValued"], true);
        let email_type = find(&emails["subAttributes"], "type");
        assert_eq!(
            email_type["canonicalValues"],
            json!(["work", "home", "other"])
        );
        let email_value = find(&emails["subAttributes"], "value");
        assert!(email_value.get("canonicalValues").is_none());
        assert!(email_value.get("referenceTypes").is_none());
        assert!(email_value.get("subAttributes").is_none());
        let roles = find(attrs, "roles");
        assert_eq!(
            find(&roles["subAttributes"], "value")["canonicalValues"],
            json!(["user", "guest_collaborator"])
        );
        let groups = find(attrs, "groups");
        assert_eq!(groups["mutability"], "readOnly");
        assert_eq!(
            find(&groups["subAttributes"], "$ref")["referenceTypes"],
            json!(["User", "Group"])
        );
        let certs = find(attrs, "x509Certificates");
        assert_eq!(find(&certs["subAttributes"], "value")["type"], "binary");
    }

    #[test]
    fn enterprise_and_group_schema_documents() {
        let rt = user_resource_type(Mutability::ReadWrite, vec![]);
        let ext = rt.extension(ENTERPRISE_USER_SCHEMA).expect("enterprise");
        let doc = schema_json(ext, BASE);
        assert_eq!(doc["id"], ENTERPRISE_USER_SCHEMA);
        let manager = find(&doc["attributes"], "manager");
        assert_eq!(
            find(&manager["subAttributes"], "displayName")["mutability"],
            "readOnly"
        );
        assert_eq!(
            find(&manager["subAttributes"], "$ref")["referenceTypes"],
            json!(["User"])
        );
        let g = schema_json(&group_resource_type().core, BASE);
        let members = find(&g["attributes"], "members");
        assert_eq!(
            find(&members["subAttributes"], "type")["canonicalValues"],
            json!(["User"])
        );
        assert_eq!(
            find(&members["subAttributes"], "value")["mutability"],
            "immutable"
        );
        assert_eq!(find(&g["attributes"], "displayName")["required"], true);
    }

    #[test]
    fn type_names_are_rfc_spelling() {
        assert_eq!(type_name(AttrType::DateTime), "dateTime");
        assert_eq!(type_name(AttrType::Decimal), "decimal");
        assert_eq!(type_name(AttrType::Integer), "integer");
    }
}

//! The User and Group resource types and the Enterprise User extension, as RFC 7643 §4.1–§4.3
//! and §8.7.1 define them, plus the common attributes (§3.1) so that filters and projection can
//! resolve `id`, `externalId` and `meta.*` like any other attribute.

use crate::schema::{AttrType, Attribute, Mutability, ResourceType, Returned, Schema, Uniqueness};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_USER_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const LIST_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const SEARCH_REQUEST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
pub const SERVICE_PROVIDER_CONFIG_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
pub const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
pub const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// The common attributes (RFC 7643 §3.1) that every resource carries but that `/Schemas` leaves
/// out (RFC 7643 §8.7.1 does not list them in the User or Group schema).
pub fn is_common_attribute(name: &str) -> bool {
    ["id", "externalId", "meta"]
        .iter()
        .any(|c| c.eq_ignore_ascii_case(name))
}

/// An attribute with RFC 7643 §7's defaults: single-valued, optional, not case-exact,
/// readWrite, returned by default, no uniqueness.
fn attr(name: &'static str, ty: AttrType, description: &'static str) -> Attribute {
    Attribute {
        name,
        ty,
        multi_valued: false,
        required: false,
        case_exact: false,
        mutability: Mutability::ReadWrite,
        returned: Returned::Default,
        uniqueness: Uniqueness::None,
        canonical_values: Vec::new(),
        reference_types: Vec::new(),
        description,
        sub_attributes: Vec::new(),
    }
}

fn string(name: &'static str, description: &'static str) -> Attribute {
    attr(name, AttrType::String, description)
}

fn reference(
    name: &'static str,
    reference_types: Vec<&'static str>,
    description: &'static str,
) -> Attribute {
    attr(name, AttrType::Reference, description).reference_types(reference_types)
}

fn complex(
    name: &'static str,
    description: &'static str,
    sub_attributes: Vec<Attribute>,
) -> Attribute {
    Attribute {
        sub_attributes,
        ..attr(name, AttrType::Complex, description)
    }
}

/// Chainable setters, so each definition reads like the RFC's JSON.
trait Build {
    fn multi(self) -> Self;
    fn required(self) -> Self;
    fn case_exact(self) -> Self;
    fn mutability(self, m: Mutability) -> Self;
    fn returned(self, r: Returned) -> Self;
    fn uniqueness(self, u: Uniqueness) -> Self;
    fn canonical(self, values: Vec<&'static str>) -> Self;
    fn reference_types(self, types: Vec<&'static str>) -> Self;
}

impl Build for Attribute {
    fn multi(mut self) -> Self {
        self.multi_valued = true;
        self
    }
    fn required(mut self) -> Self {
        self.required = true;
        self
    }
    fn case_exact(mut self) -> Self {
        self.case_exact = true;
        self
    }
    fn mutability(mut self, m: Mutability) -> Self {
        self.mutability = m;
        self
    }
    fn returned(mut self, r: Returned) -> Self {
        self.returned = r;
        self
    }
    fn uniqueness(mut self, u: Uniqueness) -> Self {
        self.uniqueness = u;
        self
    }
    fn canonical(mut self, values: Vec<&'static str>) -> Self {
        self.canonical_values = values;
        self
    }
    fn reference_types(mut self, types: Vec<&'static str>) -> Self {
        self.reference_types = types;
        self
    }
}

/// `id`, `externalId` and `meta` (RFC 7643 §3.1).
fn common_attributes() -> Vec<Attribute> {
    vec![
        string(
            "id",
            "A unique identifier for a SCIM resource as defined by the service provider.",
        )
        .case_exact()
        .mutability(Mutability::ReadOnly)
        .returned(Returned::Always)
        .uniqueness(Uniqueness::Server),
        string(
            "externalId",
            "A String that is an identifier for the resource as defined by the provisioning \
             client.",
        )
        .case_exact(),
        complex(
            "meta",
            "A complex attribute containing resource metadata.",
            vec![
                string(
                    "resourceType",
                    "The name of the resource type of the resource.",
                )
                .case_exact()
                .mutability(Mutability::ReadOnly),
                attr(
                    "created",
                    AttrType::DateTime,
                    "The DateTime that the resource was added to the service provider.",
                )
                .mutability(Mutability::ReadOnly),
                attr(
                    "lastModified",
                    AttrType::DateTime,
                    "The most recent DateTime that the details of this resource were updated at \
                     the service provider.",
                )
                .mutability(Mutability::ReadOnly),
                reference(
                    "location",
                    vec!["uri"],
                    "The URI of the resource being returned.",
                )
                .case_exact()
                .mutability(Mutability::ReadOnly),
                string("version", "The version of the resource being returned.")
                    .case_exact()
                    .mutability(Mutability::ReadOnly),
            ],
        )
        .mutability(Mutability::ReadOnly),
    ]
}

/// The four sub-attributes RFC 7643 §2.4 gives most multi-valued attributes.
fn multi_value_subs(
    value: Attribute,
    type_description: &'static str,
    types: Vec<&'static str>,
) -> Vec<Attribute> {
    vec![
        value,
        string(
            "display",
            "A human-readable name, primarily used for display purposes. READ-ONLY.",
        ),
        string("type", type_description).canonical(types),
        attr(
            "primary",
            AttrType::Boolean,
            "A Boolean value indicating the 'primary' or preferred attribute value for this \
             attribute. The primary attribute value 'true' MUST appear no more than once.",
        ),
    ]
}

/// The User resource type (RFC 7643 §4.1, §4.3, §8.7.1) with the Enterprise User extension.
/// `user_name_mutability` is `Immutable` under the github-emu profile; `role_canonical_values`
/// are what `/Schemas` advertises for `roles.value`.
pub fn user_resource_type(
    user_name_mutability: Mutability,
    role_canonical_values: Vec<&'static str>,
) -> ResourceType {
    let mut attributes = common_attributes();
    attributes.extend(vec![
        string(
            "userName",
            "Unique identifier for the User, typically used by the user to directly \
             authenticate to the service provider. Each User MUST include a non-empty userName \
             value. This identifier MUST be unique across the service provider's entire set of \
             Users. REQUIRED.",
        )
        .required()
        .mutability(user_name_mutability)
        .uniqueness(Uniqueness::Server),
        complex(
            "name",
            "The components of the user's real name. Providers MAY return just the full name as \
             a single string in the formatted sub-attribute, or they MAY return just the \
             individual component attributes using the other sub-attributes, or they MAY return \
             both. If both variants are returned, they SHOULD be describing the same name, with \
             the formatted name indicating how the component attributes should be combined.",
            vec![
                string(
                    "formatted",
                    "The full name, including all middle names, titles, and suffixes as \
                     appropriate, formatted for display (e.g., 'Ms. Barbara J Jensen, III').",
                ),
                string(
                    "familyName",
                    "The family name of the User, or last name in most Western languages (e.g., \
                     'Jensen' given the full name 'Ms. Barbara J Jensen, III').",
                ),
                string(
                    "givenName",
                    "The given name of the User, or first name in most Western languages (e.g., \
                     'Barbara' given the full name 'Ms. Barbara J Jensen, III').",
                ),
                string(
                    "middleName",
                    "The middle name(s) of the User (e.g., 'Jane' given the full name 'Ms. \
                     Barbara J Jensen, III').",
                ),
                string(
                    "honorificPrefix",
                    "The honorific prefix(es) of the User, or title in most Western languages \
                     (e.g., 'Ms.' given the full name 'Ms. Barbara J Jensen, III').",
                ),
                string(
                    "honorificSuffix",
                    "The honorific suffix(es) of the User, or suffix in most Western languages \
                     (e.g., 'III' given the full name 'Ms. Barbara J Jensen, III').",
                ),
            ],
        ),
        string(
            "displayName",
            "The name of the User, suitable for display to end-users. The name SHOULD be the \
             full name of the User being described, if known.",
        ),
        string(
            "nickName",
            "The casual way to address the user in real life, e.g., 'Bob' or 'Bobby' instead of \
             'Robert'. This attribute SHOULD NOT be used to represent a User's username (e.g., \
             'bjensen' or 'mpepperidge').",
        ),
        reference(
            "profileUrl",
            vec!["external"],
            "A fully qualified URL pointing to a page representing the User's online profile.",
        ),
        string("title", "The user's title, such as \"Vice President.\""),
        string(
            "userType",
            "Used to identify the relationship between the organization and the user. Typical \
             values used might be 'Contractor', 'Employee', 'Intern', 'Temp', 'External', and \
             'Unknown', but any value may be used.",
        ),
        string(
            "preferredLanguage",
            "Indicates the User's preferred written or spoken language. Generally used for \
             selecting a localized user interface; e.g., 'en_US' specifies the language English \
             and country US.",
        ),
        string(
            "locale",
            "Used to indicate the User's default location for purposes of localizing items such \
             as currency, date time format, or numerical representations.",
        ),
        string(
            "timezone",
            "The User's time zone in the 'Olson' time zone database format, e.g., \
             'America/Los_Angeles'.",
        ),
        attr(
            "active",
            AttrType::Boolean,
            "A Boolean value indicating the User's administrative status.",
        ),
        string(
            "password",
            "The User's cleartext password. This attribute is intended to be used as a means to \
             specify an initial password when creating a new User or to reset an existing \
             User's password.",
        )
        .mutability(Mutability::WriteOnly)
        .returned(Returned::Never),
        complex(
            "emails",
            "Email addresses for the user. The value SHOULD be canonicalized by the service \
             provider, e.g., 'bjensen@example.com' instead of 'bjensen@EXAMPLE.COM'. Canonical \
             type values of 'work', 'home', and 'other'.",
            multi_value_subs(
                string(
                    "value",
                    "Email addresses for the user. The value SHOULD be canonicalized by the \
                     service provider, e.g., 'bjensen@example.com' instead of \
                     'bjensen@EXAMPLE.COM'. Canonical type values of 'work', 'home', and \
                     'other'.",
                ),
                "A label indicating the attribute's function, e.g., 'work' or 'home'.",
                vec!["work", "home", "other"],
            ),
        )
        .multi(),
        complex(
            "phoneNumbers",
            "Phone numbers for the User. The value SHOULD be canonicalized by the service \
             provider according to the format specified in RFC 3966, e.g., \
             'tel:+1-201-555-0123'. Canonical type values of 'work', 'home', 'mobile', 'fax', \
             'pager', and 'other'.",
            multi_value_subs(
                string("value", "Phone number of the User."),
                "A label indicating the attribute's function, e.g., 'work', 'home', 'mobile'.",
                vec!["work", "home", "mobile", "fax", "pager", "other"],
            ),
        )
        .multi(),
        complex(
            "ims",
            "Instant messaging addresses for the User.",
            multi_value_subs(
                string("value", "Instant messaging address for the User."),
                "A label indicating the attribute's function, e.g., 'aim', 'gtalk', 'xmpp'.",
                vec!["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"],
            ),
        )
        .multi(),
        complex(
            "photos",
            "URLs of photos of the User.",
            multi_value_subs(
                reference("value", vec!["external"], "URL of a photo of the User."),
                "A label indicating the attribute's function, i.e., 'photo' or 'thumbnail'.",
                vec!["photo", "thumbnail"],
            ),
        )
        .multi(),
        complex(
            "addresses",
            "A physical mailing address for this User. Canonical type values of 'work', 'home', \
             and 'other'. This attribute is a complex type with the following sub-attributes.",
            vec![
                string(
                    "formatted",
                    "The full mailing address, formatted for display or use with a mailing \
                     label. This attribute MAY contain newlines.",
                ),
                string(
                    "streetAddress",
                    "The full street address component, which may include house number, street \
                     name, P.O. box, and multi-line extended street address information. This \
                     attribute MAY contain newlines.",
                ),
                string("locality", "The city or locality component."),
                string("region", "The state or region component."),
                string("postalCode", "The zip code or postal code component."),
                string("country", "The country name component."),
                string(
                    "type",
                    "A label indicating the attribute's function, e.g., 'work' or 'home'.",
                )
                .canonical(vec!["work", "home", "other"]),
                attr(
                    "primary",
                    AttrType::Boolean,
                    "A Boolean value indicating the 'primary' or preferred address. The primary \
                     attribute value 'true' MUST appear no more than once.",
                ),
            ],
        )
        .multi(),
        complex(
            "groups",
            "A list of groups to which the user belongs, either through direct membership, \
             through nested groups, or dynamically calculated.",
            vec![
                string("value", "The identifier of the User's group.")
                    .mutability(Mutability::ReadOnly),
                reference(
                    "$ref",
                    vec!["User", "Group"],
                    "The URI of the corresponding 'Group' resource to which the user belongs.",
                )
                .mutability(Mutability::ReadOnly),
                string(
                    "display",
                    "A human-readable name, primarily used for display purposes. READ-ONLY.",
                )
                .mutability(Mutability::ReadOnly),
                string(
                    "type",
                    "A label indicating the attribute's function, e.g., 'direct' or 'indirect'.",
                )
                .canonical(vec!["direct", "indirect"])
                .mutability(Mutability::ReadOnly),
            ],
        )
        .multi()
        .mutability(Mutability::ReadOnly),
        complex(
            "entitlements",
            "A list of entitlements for the User that represent a thing the User has.",
            multi_value_subs(
                string("value", "The value of an entitlement."),
                "A label indicating the attribute's function.",
                Vec::new(),
            ),
        )
        .multi(),
        complex(
            "roles",
            "A list of roles for the User that collectively represent who the User is, e.g., \
             'Student', 'Faculty'.",
            multi_value_subs(
                string("value", "The value of a role.").canonical(role_canonical_values),
                "A label indicating the attribute's function.",
                Vec::new(),
            ),
        )
        .multi(),
        complex(
            "x509Certificates",
            "A list of certificates issued to the User.",
            multi_value_subs(
                attr(
                    "value",
                    AttrType::Binary,
                    "The value of an X.509 certificate.",
                ),
                "A label indicating the attribute's function.",
                Vec::new(),
            ),
        )
        .multi(),
    ]);

    ResourceType {
        name: "User",
        endpoint: "/Users",
        description: "User Account",
        core: Schema {
            id: USER_SCHEMA,
            name: "User",
            description: "User Account",
            attributes,
        },
        extensions: vec![enterprise_user_schema()],
    }
}

/// The Enterprise User extension (RFC 7643 §4.3, §8.7.1).
fn enterprise_user_schema() -> Schema {
    Schema {
        id: ENTERPRISE_USER_SCHEMA,
        name: "EnterpriseUser",
        description: "Enterprise User",
        attributes: vec![
            string(
                "employeeNumber",
                "Numeric or alphanumeric identifier assigned to a person, typically based on \
                 order of hire or association with an organization.",
            ),
            string("costCenter", "Identifies the name of a cost center."),
            string("organization", "Identifies the name of an organization."),
            string("division", "Identifies the name of a division."),
            string("department", "Identifies the name of a department."),
            complex(
                "manager",
                "The User's manager. A complex type that optionally allows service providers to \
                 represent organizational hierarchy by referencing the 'id' attribute of \
                 another User.",
                vec![
                    string(
                        "value",
                        "The id of the SCIM resource representing the User's manager.",
                    ),
                    reference(
                        "$ref",
                        vec!["User"],
                        "The URI of the SCIM resource representing the User's manager.",
                    ),
                    // Computed from the manager's own record, and only when asked for
                    // (`attributes=…manager.displayName`): a client comparing the manager it
                    // wrote with the one it reads must get its own value back.
                    string(
                        "displayName",
                        "The displayName of the User's manager, computed by Roster. READ-ONLY; returned when requested.",
                    )
                    .mutability(Mutability::ReadOnly)
                    .returned(Returned::Request),
                ],
            ),
        ],
    }
}

/// The Group resource type (RFC 7643 §4.2, §8.7.1). `displayName` is required and unique:
/// Roster enforces both.
pub fn group_resource_type() -> ResourceType {
    let mut attributes = common_attributes();
    attributes.extend(vec![
        string(
            "displayName",
            "A human-readable name for the Group. REQUIRED.",
        )
        .required()
        .uniqueness(Uniqueness::Server),
        complex(
            "members",
            "A list of members of the Group.",
            vec![
                string("value", "Identifier of the member of this Group.")
                    .mutability(Mutability::Immutable),
                // Only `value` is read from a client: Roster computes `$ref`, `display` and
                // `type` itself (IdPs send them pointing at other hosts, or null). `$ref` stays
                // writable in the schema as RFC 7643 has it, so clients may send it.
                reference(
                    "$ref",
                    vec!["User"],
                    "The URI of the member's SCIM resource. Roster reads only `value` and computes `$ref` from it.",
                )
                .mutability(Mutability::Immutable),
                // Returned only when asked for (`attributes=members.display`): it is not what
                // the client sent, and a client comparing what it wrote with what it reads
                // must see its own members back.
                string(
                    "display",
                    "The member's displayName (or userName when it has none), computed by Roster. READ-ONLY; returned when requested.",
                )
                .mutability(Mutability::ReadOnly)
                .returned(Returned::Request),
                string(
                    "type",
                    "The type of the member: always 'User' (Roster has no nested groups). READ-ONLY.",
                )
                .canonical(vec!["User"])
                .mutability(Mutability::ReadOnly),
            ],
        )
        .multi(),
    ]);

    ResourceType {
        name: "Group",
        endpoint: "/Groups",
        description: "Group",
        core: Schema {
            id: GROUP_SCHEMA,
            name: "Group",
            description: "Group",
            attributes,
        },
        extensions: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> ResourceType {
        user_resource_type(Mutability::Immutable, vec!["user", "enterprise_owner"])
    }

    #[test]
    fn user_name_is_required_unique_case_insensitive_with_given_mutability() {
        let rt = user();
        let a = rt.core.attribute("USERNAME").expect("userName");
        assert_eq!(a.name, "userName");
        assert!(a.required);
        assert!(!a.case_exact);
        assert_eq!(a.uniqueness, Uniqueness::Server);
        assert_eq!(a.mutability, Mutability::Immutable);
        let plain = user_resource_type(Mutability::ReadWrite, vec![]);
        assert_eq!(
            plain.core.attribute("userName").map(|a| a.mutability),
            Some(Mutability::ReadWrite)
        );
    }

    #[test]
    fn all_rfc_user_attributes_are_defined() {
        let rt = user();
        for name in [
            "id",
            "externalId",
            "meta",
            "userName",
            "name",
            "displayName",
            "nickName",
            "profileUrl",
            "title",
            "userType",
            "preferredLanguage",
            "locale",
            "timezone",
            "active",
            "password",
            "emails",
            "phoneNumbers",
            "ims",
            "photos",
            "addresses",
            "groups",
            "entitlements",
            "roles",
            "x509Certificates",
        ] {
            assert!(rt.core.attribute(name).is_some(), "{name} missing");
        }
        let ext = rt.extension(ENTERPRISE_USER_SCHEMA).expect("enterprise");
        for name in [
            "employeeNumber",
            "costCenter",
            "organization",
            "division",
            "department",
            "manager",
        ] {
            assert!(ext.attribute(name).is_some(), "{name} missing");
        }
    }

    #[test]
    fn password_is_write_only_and_never_returned() {
        let rt = user();
        let p = rt.core.attribute("password").expect("password");
        assert_eq!(p.mutability, Mutability::WriteOnly);
        assert_eq!(p.returned, Returned::Never);
    }

    #[test]
    fn groups_are_read_only_with_four_sub_attributes() {
        let rt = user();
        let g = rt.core.attribute("groups").expect("groups");
        assert_eq!(g.mutability, Mutability::ReadOnly);
        assert!(g.multi_valued);
        let names: Vec<_> = g.sub_attributes.iter().map(|s| s.name).collect();
        assert_eq!(names, ["value", "$ref", "display", "type"]);
        assert!(
            g.sub_attributes
                .iter()
                .all(|s| s.mutability == Mutability::ReadOnly)
        );
    }

    #[test]
    fn roles_value_carries_the_given_canonical_values() {
        let rt = user();
        let r = rt
            .resolve(None, "roles", Some("VALUE"))
            .expect("roles.value");
        assert_eq!(
            r.sub_attribute.map(|s| s.canonical_values.clone()),
            Some(vec!["user", "enterprise_owner"])
        );
    }

    #[test]
    fn common_attributes_resolve() {
        let rt = user();
        let id = rt.core.attribute("id").expect("id");
        assert_eq!(id.returned, Returned::Always);
        assert!(id.case_exact);
        assert_eq!(id.mutability, Mutability::ReadOnly);
        assert_eq!(id.uniqueness, Uniqueness::Server);
        let ext = rt.core.attribute("externalId").expect("externalId");
        assert!(ext.case_exact);
        assert_eq!(ext.mutability, Mutability::ReadWrite);
        let created = rt
            .resolve(None, "meta", Some("created"))
            .and_then(|r| r.sub_attribute)
            .expect("meta.created");
        assert_eq!(created.ty, AttrType::DateTime);
        let location = rt
            .resolve(None, "meta", Some("location"))
            .and_then(|r| r.sub_attribute)
            .expect("meta.location");
        assert_eq!(location.ty, AttrType::Reference);
        assert!(is_common_attribute("ID"));
        assert!(is_common_attribute("externalId"));
        assert!(is_common_attribute("meta"));
        assert!(!is_common_attribute("userName"));
    }

    #[test]
    fn manager_display_name_is_read_only() {
        let rt = user();
        let r = rt
            .resolve(Some(ENTERPRISE_USER_SCHEMA), "manager", Some("displayname"))
            .expect("manager.displayName");
        assert!(r.is_extension);
        assert_eq!(
            r.sub_attribute.map(|s| s.mutability),
            Some(Mutability::ReadOnly)
        );
        let rf = rt
            .resolve(Some(ENTERPRISE_USER_SCHEMA), "manager", Some("$ref"))
            .and_then(|r| r.sub_attribute)
            .expect("$ref");
        assert_eq!(rf.reference_types, vec!["User"]);
    }

    #[test]
    fn group_members_and_display_name() {
        let rt = group_resource_type();
        let d = rt.core.attribute("displayname").expect("displayName");
        assert!(d.required);
        assert!(!d.case_exact);
        assert_eq!(d.uniqueness, Uniqueness::Server);
        let m = rt.core.attribute("members").expect("members");
        assert!(m.multi_valued);
        assert_eq!(
            m.sub("value").map(|s| s.mutability),
            Some(Mutability::Immutable)
        );
        assert_eq!(
            m.sub("type").map(|s| s.canonical_values.clone()),
            Some(vec!["User"])
        );
        assert!(m.sub("$ref").is_some());
        assert!(m.sub("display").is_some());
        assert!(rt.extensions.is_empty());
    }

    #[test]
    fn every_reference_has_reference_types_and_only_complex_has_subs() {
        for rt in [user(), group_resource_type()] {
            for schema in std::iter::once(&rt.core).chain(rt.extensions.iter()) {
                for a in &schema.attributes {
                    let all = std::iter::once(a).chain(a.sub_attributes.iter());
                    for x in all {
                        if x.ty == AttrType::Reference {
                            assert!(!x.reference_types.is_empty(), "{}", x.name);
                        }
                        if x.ty != AttrType::Complex {
                            assert!(x.sub_attributes.is_empty(), "{}", x.name);
                        }
                    }
                }
            }
        }
    }
}

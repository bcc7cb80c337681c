//! Test fixtures: keys and certificates from `openssl`, responses signed by `xmlsec1`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine as _;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::saml::xml::format_time;
use crate::saml::{Certificate, Checks, IdentityProvider, ServiceProvider};

pub const SP_ENTITY: &str = "https://roster.example/enterprises/acme";
pub const ACS: &str = "https://roster.example/enterprises/acme/saml/consume";
pub const IDP_ENTITY: &str = "https://idp.example/saml/metadata";
pub const IDP_SSO: &str = "https://idp.example/sso/saml";
pub const NOW: OffsetDateTime = datetime!(2026-03-01 12:00:00 UTC);

pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
pub const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
pub const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
pub const SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";
pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
pub const INCLUSIVE_C14N: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";

/// A key pair and its self-signed certificate, held in memory.
pub struct KeyPair {
    pub key_pem: String,
    pub cert_pem: String,
}

impl KeyPair {
    pub fn certificate(&self) -> Certificate {
        Certificate::parse(&self.cert_pem).expect("openssl's certificate parses")
    }

    /// The certificate as bare base64 DER, as GitHub's form and metadata carry it.
    pub fn cert_base64(&self) -> String {
        self.cert_pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect()
    }
}

/// The IdP's key and a stranger's.
pub fn idp_key() -> &'static KeyPair {
    static KEY: OnceLock<KeyPair> = OnceLock::new();
    KEY.get_or_init(|| new_key_pair(&["-newkey", "rsa:2048"], "test-idp"))
}

pub fn other_key() -> &'static KeyPair {
    static KEY: OnceLock<KeyPair> = OnceLock::new();
    KEY.get_or_init(|| new_key_pair(&["-newkey", "rsa:2048"], "someone-else"))
}

/// A fresh scratch directory, removed by `Scratch::drop`.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new() -> Scratch {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "sso-saml-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        Scratch(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    pub fn write(&self, name: &str, content: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, content).expect("write scratch file");
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs a tool the fixtures need, failing the test (never skipping it) when it is missing.
pub fn run(program: &str, args: &[&str]) -> std::process::Output {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run `{program}` ({e}): the SAML tests sign their fixtures with Debian's \
             xmlsec1 and make keys with openssl; install them with \
             `apt-get update && apt-get install -y xmlsec1 openssl`"
            )
        });
    assert!(
        output.status.success(),
        "`{program} {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// `key_args` are openssl req's key options, e.g. `["-newkey", "rsa:2048"]`.
pub fn new_key_pair(key_args: &[&str], cn: &str) -> KeyPair {
    let scratch = Scratch::new();
    let key = scratch.path("key.pem");
    let cert = scratch.path("cert.pem");
    let subject = format!("/CN={cn}");
    let mut args = vec!["req", "-x509"];
    args.extend_from_slice(key_args);
    args.extend_from_slice(&[
        "-nodes",
        "-keyout",
        path_str(&key),
        "-out",
        path_str(&cert),
        "-days",
        "3650",
        "-subj",
        &subject,
    ]);
    run("openssl", &args);
    KeyPair {
        key_pem: std::fs::read_to_string(&key).expect("key written"),
        cert_pem: std::fs::read_to_string(&cert).expect("cert written"),
    }
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}

/// Signs the first `<ds:Signature>` template in `xml` with `key`, by `xmlsec1`.
pub fn xmlsec_sign(xml: &str, key: &KeyPair) -> String {
    let scratch = Scratch::new();
    let input = scratch.write("in.xml", xml);
    let key_file = scratch.write("key.pem", &key.key_pem);
    let cert_file = scratch.write("cert.pem", &key.cert_pem);
    let output = scratch.path("out.xml");
    run(
        "xmlsec1",
        &[
            "--sign",
            "--privkey-pem",
            &format!("{},{}", path_str(&key_file), path_str(&cert_file)),
            "--id-attr:ID",
            "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
            "--id-attr:ID",
            "urn:oasis:names:tc:SAML:2.0:protocol:Response",
            "--output",
            path_str(&output),
            path_str(&input),
        ],
    );
    std::fs::read_to_string(&output).expect("xmlsec1 wrote its output")
}

/// What goes into a test response. `Response::default()` is a valid Okta-like response.
#[derive(Clone)]
pub struct Response {
    pub response_id: String,
    pub assertion_id: String,
    pub response_issuer: Option<String>,
    pub assertion_issuer: String,
    pub destination: Option<String>,
    pub response_in_response_to: Option<String>,
    pub status: String,
    pub status_message: Option<String>,
    pub name_id: String,
    pub name_id_format: String,
    pub recipient: String,
    pub confirmation_in_response_to: Option<String>,
    pub confirmation_not_on_or_after: OffsetDateTime,
    pub not_before: OffsetDateTime,
    pub not_on_or_after: OffsetDateTime,
    pub audience: String,
    pub session_not_on_or_after: Option<OffsetDateTime>,
    /// Attribute values carry `xsi:type="xs:string"`, with `xs` declared on the Response, as
    /// Okta's do.
    pub attributes: Vec<(String, Vec<String>)>,
    pub sign_assertion: bool,
    pub sign_response: bool,
    pub signature_method: &'static str,
    pub digest_method: &'static str,
    pub c14n: &'static str,
    /// `InclusiveNamespaces PrefixList` on the Reference's exclusive c14n transform.
    pub prefix_list: Option<&'static str>,
}

impl Default for Response {
    fn default() -> Self {
        Response {
            response_id: "_response1".to_owned(),
            assertion_id: "_assertion1".to_owned(),
            response_issuer: Some(IDP_ENTITY.to_owned()),
            assertion_issuer: IDP_ENTITY.to_owned(),
            destination: Some(ACS.to_owned()),
            response_in_response_to: Some("_request1".to_owned()),
            status: "urn:oasis:names:tc:SAML:2.0:status:Success".to_owned(),
            status_message: None,
            name_id: "mona@acme.example".to_owned(),
            name_id_format: "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent".to_owned(),
            recipient: ACS.to_owned(),
            confirmation_in_response_to: Some("_request1".to_owned()),
            confirmation_not_on_or_after: NOW + Duration::minutes(5),
            not_before: NOW - Duration::minutes(1),
            not_on_or_after: NOW + Duration::minutes(10),
            audience: SP_ENTITY.to_owned(),
            session_not_on_or_after: Some(NOW + Duration::hours(8)),
            attributes: vec![
                ("full_name".to_owned(), vec!["Mona Lisa".to_owned()]),
                (
                    "emails".to_owned(),
                    vec!["mona@acme.example".to_owned(), "ml@acme.example".to_owned()],
                ),
            ],
            sign_assertion: true,
            sign_response: false,
            signature_method: RSA_SHA256,
            digest_method: SHA256,
            c14n: EXC_C14N,
            prefix_list: None,
        }
    }
}

pub fn signature_template(r: &Response, reference: &str) -> String {
    let c14n_transform = match (r.c14n, r.prefix_list) {
        (EXC_C14N, Some(list)) => format!(
            r#"<ds:Transform Algorithm="{EXC_C14N}"><ec:InclusiveNamespaces xmlns:ec="{EXC_C14N}" PrefixList="{list}"/></ds:Transform>"#
        ),
        (method, _) => format!(r#"<ds:Transform Algorithm="{method}"/>"#),
    };
    format!(
        concat!(
            r#"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>"#,
            r#"<ds:CanonicalizationMethod Algorithm="{c14n}"/>"#,
            r#"<ds:SignatureMethod Algorithm="{sig}"/>"#,
            r##"<ds:Reference URI="#{reference}"><ds:Transforms>"##,
            r#"<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>"#,
            "{c14n_transform}</ds:Transforms>",
            r#"<ds:DigestMethod Algorithm="{digest}"/><ds:DigestValue/></ds:Reference>"#,
            "</ds:SignedInfo><ds:SignatureValue/>",
            "<ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>"
        ),
        c14n = r.c14n,
        sig = r.signature_method,
        reference = reference,
        c14n_transform = c14n_transform,
        digest = r.digest_method,
    )
}

impl Response {
    /// The assertion element, with a signature template when `sign_assertion`.
    pub fn assertion_xml(&self) -> String {
        let signature = if self.sign_assertion {
            signature_template(self, &self.assertion_id)
        } else {
            String::new()
        };
        let confirmation_irt = self
            .confirmation_in_response_to
            .as_ref()
            .map(|v| format!(r#" InResponseTo="{v}""#))
            .unwrap_or_default();
        let session = self
            .session_not_on_or_after
            .map(|t| format!(r#" SessionNotOnOrAfter="{}""#, format_time(t)))
            .unwrap_or_default();
        let attributes: String = self
            .attributes
            .iter()
            .map(|(name, values)| {
                let values: String = values
                    .iter()
                    .map(|v| {
                        format!(
                            r#"<saml:AttributeValue xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">{v}</saml:AttributeValue>"#
                        )
                    })
                    .collect();
                format!(
                    r#"<saml:Attribute Name="{name}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">{values}</saml:Attribute>"#
                )
            })
            .collect();
        format!(
            concat!(
                r#"<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{id}" IssueInstant="{now}" Version="2.0">"#,
                "\n  <saml:Issuer>{issuer}</saml:Issuer>{signature}\n",
                r#"  <saml:Subject><saml:NameID Format="{format}">{name_id}</saml:NameID>"#,
                r#"<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">"#,
                r#"<saml:SubjectConfirmationData{irt} NotOnOrAfter="{scd_end}" Recipient="{recipient}"/>"#,
                "</saml:SubjectConfirmation></saml:Subject>\n",
                r#"  <saml:Conditions NotBefore="{not_before}" NotOnOrAfter="{not_on_or_after}">"#,
                "<saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience>",
                "</saml:AudienceRestriction></saml:Conditions>\n",
                r#"  <saml:AuthnStatement AuthnInstant="{authn}" SessionIndex="{id}"{session}>"#,
                "<saml:AuthnContext><saml:AuthnContextClassRef>",
                "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
                "</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>\n",
                "  <saml:AttributeStatement>{attributes}</saml:AttributeStatement>\n",
                "</saml:Assertion>"
            ),
            id = self.assertion_id,
            now = format_time(NOW),
            issuer = self.assertion_issuer,
            signature = signature,
            format = self.name_id_format,
            name_id = self.name_id,
            irt = confirmation_irt,
            scd_end = format_time(self.confirmation_not_on_or_after),
            recipient = self.recipient,
            not_before = format_time(self.not_before),
            not_on_or_after = format_time(self.not_on_or_after),
            audience = self.audience,
            authn = format_time(NOW - Duration::minutes(1)),
            session = session,
            attributes = attributes,
        )
    }

    /// The Response around `assertion` (any XML, so hostile tests can put anything there).
    pub fn response_xml(&self, inner: &str, with_signature_template: bool) -> String {
        let destination = self
            .destination
            .as_ref()
            .map(|d| format!(r#" Destination="{d}""#))
            .unwrap_or_default();
        let irt = self
            .response_in_response_to
            .as_ref()
            .map(|v| format!(r#" InResponseTo="{v}""#))
            .unwrap_or_default();
        let issuer = self
            .response_issuer
            .as_ref()
            .map(|i| format!("<saml:Issuer>{i}</saml:Issuer>"))
            .unwrap_or_default();
        let signature = if with_signature_template {
            signature_template(self, &self.response_id)
        } else {
            String::new()
        };
        let message = self
            .status_message
            .as_ref()
            .map(|m| format!("<samlp:StatusMessage>{m}</samlp:StatusMessage>"))
            .unwrap_or_default();
        format!(
            concat!(
                r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:xs="http://www.w3.org/2001/XMLSchema""#,
                r#" ID="{id}" Version="2.0" IssueInstant="{now}"{destination}{irt}>"#,
                "\n{issuer}{signature}\n",
                r#"<samlp:Status><samlp:StatusCode Value="{status}"/>{message}</samlp:Status>"#,
                "\n{inner}\n</samlp:Response>\n"
            ),
            id = self.response_id,
            now = format_time(NOW),
            destination = destination,
            irt = irt,
            issuer = issuer,
            signature = signature,
            status = self.status,
            message = message,
            inner = inner,
        )
    }

    /// The signed response XML, as the IdP would POST it (before base64).
    pub fn signed_xml(&self) -> String {
        self.signed_xml_by(idp_key())
    }

    pub fn signed_xml_by(&self, key: &KeyPair) -> String {
        let mut xml = self.response_xml(&self.assertion_xml(), false);
        if self.sign_assertion {
            xml = xmlsec_sign(&xml, key);
        }
        if self.sign_response {
            // The Response's template goes after its Issuer, ahead of the assertion's
            // signature in document order, which is the one xmlsec1 signs.
            let template = signature_template(self, &self.response_id);
            let marker = "</saml:Issuer>";
            let at = xml.find(marker).expect("the Response has an Issuer") + marker.len();
            xml.insert_str(at, &template);
            xml = xmlsec_sign(&xml, key);
        }
        xml
    }
}

pub fn encode(xml: &str) -> String {
    // Wrapped at 76 columns, as many IdPs send it.
    let b64 = base64::engine::general_purpose::STANDARD.encode(xml);
    b64.as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\r\n")
}

pub fn sp() -> ServiceProvider {
    ServiceProvider {
        entity_id: SP_ENTITY.to_owned(),
        acs_url: ACS.to_owned(),
    }
}

pub fn idp() -> IdentityProvider {
    IdentityProvider {
        entity_id: IDP_ENTITY.to_owned(),
        sso_url: IDP_SSO.to_owned(),
        certificates: vec![idp_key().certificate()],
    }
}

pub fn verify(xml: &str) -> Result<crate::saml::VerifiedAssertion, crate::saml::SamlError> {
    verify_with(xml, &idp(), NOW)
}

pub fn verify_with(
    xml: &str,
    idp: &IdentityProvider,
    now: OffsetDateTime,
) -> Result<crate::saml::VerifiedAssertion, crate::saml::SamlError> {
    let sp = sp();
    let checks = Checks {
        sp: &sp,
        idp,
        now,
        skew: Duration::minutes(3),
    };
    crate::saml::verify_response(&encode(xml), &checks)
}

/// The text of the first `<saml:Assertion …>…</saml:Assertion>` in `xml`.
pub fn assertion_in(xml: &str) -> String {
    let start = xml.find("<saml:Assertion").expect("an assertion");
    let end = xml.find("</saml:Assertion>").expect("an assertion end") + "</saml:Assertion>".len();
    xml[start..end].to_owned()
}

//! The partner SOAP API's `login` at `/services/Soap/u/{version}`: username +
//! password to a session usable everywhere else (retired from API 65.0).
//! Owns: the LoginResult shape and the partner LoginFault. Nothing else of
//! the partner API is emulated.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use super::limits::{self, BodyError, MAX_LOGIN_REQUEST_BYTES};
use super::soap::{self, esc, leaf};
use super::state::{id_of, str_field};
use super::{ids, Shared};

const PARTNER_NS: &str = "urn:partner.soap.sforce.com";
const FAULT_NS: &str = "urn:fault.partner.soap.sforce.com";

fn fault(code: &str, message: &str, detail: Option<&str>) -> Response {
    let detail = detail.map_or(String::new(), |kind| {
        format!(
            "<detail><sf:{kind} xsi:type=\"sf:{kind}\"><sf:exceptionCode>{code}</sf:exceptionCode>\
<sf:exceptionMessage>{}</sf:exceptionMessage></sf:{kind}></detail>",
            esc(message)
        )
    });
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"{}\" xmlns:sf=\"{FAULT_NS}\" \
xmlns:xsi=\"{}\"><soapenv:Body><soapenv:Fault><faultcode>sf:{code}</faultcode><faultstring>{}</faultstring>{detail}\
</soapenv:Fault></soapenv:Body></soapenv:Envelope>",
        soap::ENVELOPE_NS,
        soap::XSI_NS,
        esc(&format!("{code}: {message}"))
    );
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        body,
    )
        .into_response()
}

/// `POST /services/Soap/u/{version}[/…]`: `login` only.
pub async fn handle(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    mut body: Body,
) -> Response {
    let version = uri.path().trim_start_matches("/services/Soap/u/");
    let version = version.split('/').next().unwrap_or("").to_string();
    // Salesforce limits a login request to 10 KB; nothing larger is read.
    let mut bytes = Vec::new();
    let read = if limits::declared_too_large(&headers, MAX_LOGIN_REQUEST_BYTES) {
        Err(BodyError::TooLarge)
    } else {
        limits::read_all(&mut body, &mut bytes, MAX_LOGIN_REQUEST_BYTES).await
    };
    match read {
        Ok(()) => {}
        Err(BodyError::TooLarge) => {
            return fault(
                "EXCEEDED_MAX_SIZE_REQUEST",
                &format!("The login request is larger than {MAX_LOGIN_REQUEST_BYTES} bytes (10 KB), Salesforce's limit for login()"),
                Some("UnexpectedErrorFault"),
            )
        }
        Err(BodyError::Io(m)) => return soap::client_fault(&format!("Could not read the request: {m}")),
    }
    let Ok(body) = std::str::from_utf8(&bytes) else {
        return soap::client_fault("Malformed request XML: the request is not valid UTF-8");
    };
    let env = match soap::parse(body) {
        Ok(e) => e,
        Err(e) => return soap::client_fault(&e.0),
    };
    if env.operation.name != "login" {
        return soap::client_fault(&format!(
            "No operation available for request {{{}}}{}",
            env.operation.ns, env.operation.name
        ));
    }
    match version.parse::<f64>() {
        Ok(v) if (31.0..65.0).contains(&v) => {}
        _ => {
            return fault(
                "UNSUPPORTED_API_VERSION",
                &format!("login() is not available in API version {version}"),
                Some("UnexpectedErrorFault"),
            )
        }
    }
    let username = env.operation.text_of("username").unwrap_or("");
    let password = env.operation.text_of("password").unwrap_or("");
    let user = shared.lock().authenticate(username, password);
    let Some(user_id) = user else {
        return fault(
            "INVALID_LOGIN",
            "Invalid username, password, security token; or user locked out.",
            Some("LoginFault"),
        );
    };
    let session = shared.issue_token(&user_id);
    let st = shared.lock();
    let u = st.get("User", &user_id).cloned().unwrap_or_default();
    let org = &st.seed.org;
    let org15 = ids::short(&org.id);
    let base = shared.base_url();
    let mut x = String::from("<result>");
    leaf(
        &mut x,
        "metadataServerUrl",
        &format!("{base}/services/Soap/m/{version}/{org15}"),
    );
    leaf(&mut x, "passwordExpired", "false");
    leaf(
        &mut x,
        "sandbox",
        if org.is_sandbox { "true" } else { "false" },
    );
    leaf(
        &mut x,
        "serverUrl",
        &format!("{base}/services/Soap/u/{version}/{org15}"),
    );
    leaf(&mut x, "sessionId", &session);
    leaf(&mut x, "userId", id_of(&u));
    x.push_str("<userInfo>");
    let full_name = format!(
        "{} {}",
        str_field(&u, "FirstName"),
        str_field(&u, "LastName")
    );
    for (k, v) in [
        ("accessibilityMode", "false"),
        ("currencySymbol", "$"),
        ("orgAttachmentFileSizeLimit", "5242880"),
        ("orgDefaultCurrencyIsoCode", "USD"),
        ("orgDisallowHtmlAttachments", "false"),
        ("orgHasPersonAccounts", "false"),
        ("organizationId", org.id.as_str()),
        ("organizationMultiCurrency", "false"),
        ("organizationName", org.name.as_str()),
        ("profileId", str_field(&u, "ProfileId")),
    ] {
        leaf(&mut x, k, v);
    }
    x.push_str("<roleId xsi:nil=\"true\"/>");
    let ttl = shared.token_ttl.as_secs().to_string();
    for (k, v) in [
        ("sessionSecondsValid", ttl.as_str()),
        ("userDefaultCurrencyIsoCode", ""),
        ("userEmail", str_field(&u, "Email")),
        ("userFullName", full_name.trim()),
        ("userId", id_of(&u)),
        ("userLanguage", str_field(&u, "LanguageLocaleKey")),
        ("userLocale", str_field(&u, "LocaleSidKey")),
        ("userName", str_field(&u, "Username")),
        ("userTimeZone", str_field(&u, "TimeZoneSidKey")),
        ("userType", "Standard"),
        ("userUiSkin", "Theme3"),
    ] {
        leaf(&mut x, k, v);
    }
    x.push_str("</userInfo></result>");
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"{}\" xmlns=\"{PARTNER_NS}\" \
xmlns:xsi=\"{}\"><soapenv:Body><loginResponse>{x}</loginResponse></soapenv:Body></soapenv:Envelope>",
        soap::ENVELOPE_NS,
        soap::XSI_NS
    );
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        body,
    )
        .into_response()
}

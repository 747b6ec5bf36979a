//! OAuth over HTTP (issue 3, point 2): JWT bearer signed by a key the test
//! generates, refresh_token, userinfo, the identity URL, expiring sessions.

use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::signature::{SignatureEncoding, Signer};
use rsa::RsaPrivateKey;
use serde_json::{json, Value};
use sha2::Sha256;

use super::client::*;
use sfprov::emulator::Config;

const CLIENT: &str = "3MVG9TestJwtClient";

fn key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap())
}

fn public_pem() -> String {
    key()
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn jwt(claims: Value) -> String {
    let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256"}"#);
    let c = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signed = format!("{h}.{c}");
    let sig = SigningKey::<Sha256>::new(key().clone())
        .sign(signed.as_bytes())
        .to_vec();
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(sig))
}

fn token(org: &Org, form: &str) -> Resp {
    http(
        &org.h.url,
        "POST",
        "/services/oauth2/token",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        form,
    )
    .unwrap()
}

fn bearer(org: &Org, assertion: &str) -> Resp {
    token(org, &format!("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={assertion}"))
}

fn claims(org: &Org) -> Value {
    json!({"iss": CLIENT, "sub": org.h.username, "aud": "https://login.salesforce.com", "exp": now() + 170})
}

#[test]
fn jwt_bearer_issues_a_working_session() {
    let org = Org::start();
    org.h.add_oauth_client(CLIENT, &public_pem());
    let r = bearer(&org, &jwt(claims(&org)));
    assert_eq!(r.status, 200, "{}", r.body);
    let body = r.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["instance_url"], org.h.url);
    assert!(
        body.get("refresh_token").is_none(),
        "JWT bearer gives no refresh token"
    );
    let id_url = body["id"].as_str().unwrap();
    assert!(
        id_url.starts_with(&format!("{}/id/{}/005", org.h.url, org.h.org_id)),
        "{id_url}"
    );
    let access = body["access_token"].as_str().unwrap().to_string();
    assert!(access.starts_with("00D") && access.contains('!'));
    let r = org
        .soap_as(
            &access,
            "<met:describeMetadata><met:asOfVersion>63.0</met:asOfVersion></met:describeMetadata>",
        )
        .unwrap();
    assert_eq!(r.status, 200);
    // userinfo and the identity URL.
    let auth = format!("Bearer {access}");
    let info = http(
        &org.h.url,
        "GET",
        "/services/oauth2/userinfo",
        &[("Authorization", &auth)],
        "",
    )
    .unwrap()
    .json();
    assert_eq!(info["preferred_username"], org.h.username);
    assert_eq!(info["organization_id"], org.h.org_id);
    let path = id_url.trim_start_matches(org.h.url.as_str());
    let ident = http(&org.h.url, "GET", path, &[("Authorization", &auth)], "").unwrap();
    assert_eq!(ident.status, 200, "{}", ident.body);
    assert!(ident.json()["urls"]["metadata"]
        .as_str()
        .unwrap()
        .contains("/services/Soap/m/63.0/"));
    let bad = http(
        &org.h.url,
        "GET",
        "/services/oauth2/userinfo",
        &[("Authorization", "Bearer nope")],
        "",
    )
    .unwrap();
    assert_eq!(bad.status, 403);
    // Test audience and a string exp (simple-salesforce) work too.
    let mut c = claims(&org);
    c["aud"] = json!("https://test.salesforce.com");
    c["exp"] = json!((now() + 60).to_string());
    assert_eq!(bearer(&org, &jwt(c)).status, 200);
    // The org's own URL is its My Domain login URL, a valid audience (what
    // `sf org login jwt --instance-url` sends, with a trailing slash), and an
    // exp in milliseconds (sf sends `Date.now() + 300`) is not refused:
    // Salesforce checks only that the assertion has not expired.
    let mut c = claims(&org);
    c["aud"] = json!(format!("{}/", org.h.url));
    c["exp"] = json!(now() * 1000 + 300);
    assert_eq!(bearer(&org, &jwt(c)).status, 200);
}

#[test]
fn jwt_bearer_errors_are_salesforce_s() {
    let org = Org::start();
    org.h.add_oauth_client(CLIENT, &public_pem());
    let check = |c: Value, error: &str, description: &str| {
        let r = bearer(&org, &jwt(c));
        assert_eq!(r.status, 400, "{}", r.body);
        assert_eq!(
            r.json(),
            json!({"error": error, "error_description": description})
        );
    };
    let mut c = claims(&org);
    c["iss"] = json!("unknown");
    check(c, "invalid_client_id", "client identifier invalid");
    let mut c = claims(&org);
    c["aud"] = json!("https://other-org.my.salesforce.com");
    check(c, "invalid_grant", "audience is invalid");
    let mut c = claims(&org);
    c["exp"] = json!(now() - 3600);
    check(c, "invalid_grant", "expired authorization code");
    let mut c = claims(&org);
    c["sub"] = json!("nobody@example.com");
    check(c, "invalid_grant", "user hasn't approved this consumer");
    // A signature by another key.
    let good = jwt(claims(&org));
    let (head, _) = good.rsplit_once('.').unwrap();
    let r = bearer(
        &org,
        &format!("{head}.{}", URL_SAFE_NO_PAD.encode([7u8; 256])),
    );
    assert_eq!(r.json()["error_description"], "invalid assertion");
    let r = token(&org, "grant_type=authorization_code&code=x");
    assert_eq!(r.json()["error"], "unsupported_grant_type");
}

#[test]
fn refresh_token_grant() {
    let org = Org::start();
    let form = format!(
        "grant_type=refresh_token&client_id={}&refresh_token={}",
        org.h.client_id,
        urlencode(org.h.refresh_token.expose())
    );
    let r = token(&org, &form);
    assert_eq!(r.status, 200, "{}", r.body);
    let access = r.json()["access_token"].as_str().unwrap().to_string();
    assert_ne!(access, org.token());
    let r = token(
        &org,
        &format!(
            "grant_type=refresh_token&client_id={}&refresh_token=nope",
            org.h.client_id
        ),
    );
    assert_eq!(
        r.json(),
        json!({"error": "invalid_grant", "error_description": "expired access/refresh token"})
    );
    let r = token(
        &org,
        "grant_type=refresh_token&client_id=nope&refresh_token=x",
    );
    assert_eq!(r.json()["error"], "invalid_client_id");
}

#[test]
fn sessions_expire() {
    let org = Org::with(Config {
        token_ttl: std::time::Duration::from_secs(3600),
        ..Config::default()
    });
    assert_eq!(
        org.rest(
            "GET",
            "/services/data/v63.0/query?q=SELECT+Id+FROM+User",
            ""
        )
        .status,
        200
    );
    org.h.expire_tokens();
    let r = org.rest(
        "GET",
        "/services/data/v63.0/query?q=SELECT+Id+FROM+User",
        "",
    );
    assert_eq!(r.status, 401);
    assert_eq!(r.json()[0]["errorCode"], "INVALID_SESSION_ID");
    // A refresh gives a working session again.
    let form = format!(
        "grant_type=refresh_token&client_id={}&refresh_token={}",
        org.h.client_id,
        urlencode(org.h.refresh_token.expose())
    );
    let access = token(&org, &form).json()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let r = http(
        &org.h.url,
        "GET",
        "/services/data/v63.0/query?q=SELECT+Id+FROM+User",
        &[("Authorization", &format!("Bearer {access}"))],
        "",
    )
    .unwrap();
    assert_eq!(r.status, 200);
}

#[test]
fn secrets_do_not_print() {
    let org = Org::start();
    let shown = format!(
        "{:?} {} {:?}",
        org.h.access_token, org.h.refresh_token, org.h
    );
    assert!(!shown.contains(org.h.access_token.expose()), "{shown}");
    assert!(shown.contains("[redacted]"));
}

/// A key and self-signed X.509 certificate made by the openssl CLI, when present.
fn openssl_cert(dir: &std::path::Path) -> Option<(RsaPrivateKey, String)> {
    use rsa::pkcs8::DecodePrivateKey;
    let status = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=sfprov-test",
        ])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .stderr(std::process::Stdio::null())
        .status()
        .ok()?;
    if !status.success() {
        return None;
    }
    let key =
        RsaPrivateKey::from_pkcs8_pem(&std::fs::read_to_string(dir.join("key.pem")).ok()?).ok()?;
    Some((key, std::fs::read_to_string(dir.join("cert.pem")).ok()?))
}

fn jwt_with(key: &RsaPrivateKey, claims: Value) -> String {
    let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256"}"#);
    let c = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signed = format!("{h}.{c}");
    let sig = SigningKey::<Sha256>::new(key.clone())
        .sign(signed.as_bytes())
        .to_vec();
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(sig))
}

#[test]
fn jwt_verified_against_a_deployed_connected_app_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let Some((cert_key, cert)) = openssl_cert(dir.path()) else {
        eprintln!("SKIPPED jwt_verified_against_a_deployed_connected_app_certificate: openssl CLI not found");
        return;
    };
    let org = Org::start();
    // The seed's client, configured with the certificate.
    org.h.add_oauth_client("3MVG9CertClient", &cert);
    let mut c = claims(&org);
    c["iss"] = json!("3MVG9CertClient");
    assert_eq!(bearer(&org, &jwt_with(&cert_key, c.clone())).status, 200);
    // A connected app deployed with consumerKey + certificate is a client too;
    // with admin approval, only users of the listed profiles or permission sets
    // (by label) may use it.
    let app = |allowed: &str| {
        doc(
            "ConnectedApp",
            &format!(
                "<contactEmail>ops@example.com</contactEmail><label>CI</label><oauthConfig><callbackUrl>https://example.com/cb</callbackUrl>\
<certificate>{}</certificate><consumerKey>3MVG9DeployedApp</consumerKey><isAdminApproved>true</isAdminApproved><scopes>Api</scopes></oauthConfig>{allowed}",
                esc(&cert)
            ),
        )
    };
    let res = org.deploy(&[("connectedApps/CI.connectedApp", &app(""))]);
    assert_eq!(tag(&res, "status").as_deref(), Some("Succeeded"), "{res}");
    c["iss"] = json!("3MVG9DeployedApp");
    let r = bearer(&org, &jwt_with(&cert_key, c.clone()));
    assert_eq!(
        r.json(),
        json!({"error": "invalid_grant", "error_description": "user hasn't approved this consumer"})
    );
    let res = org.deploy(&[(
        "connectedApps/CI.connectedApp",
        &app("<profileName>System Administrator</profileName>"),
    )]);
    assert_eq!(tag(&res, "status").as_deref(), Some("Succeeded"), "{res}");
    let r = bearer(&org, &jwt_with(&cert_key, c.clone()));
    assert_eq!(r.status, 200, "{}", r.body);
    // By permission set label.
    let ps = doc("PermissionSet", "<label>CI Users</label>");
    let res = org.deploy(&[
        ("permissionsets/CI_Users.permissionset", ps.as_str()),
        (
            "connectedApps/CI.connectedApp",
            &app("<permissionSetName>CI Users</permissionSetName>"),
        ),
    ]);
    assert_eq!(tag(&res, "status").as_deref(), Some("Succeeded"), "{res}");
    assert_eq!(bearer(&org, &jwt_with(&cert_key, c.clone())).status, 400);
    let ps_id = org.id_of("SELECT Id FROM PermissionSet WHERE Name = 'CI_Users'");
    let r = org.create(
        "PermissionSetAssignment",
        json!({"AssigneeId": org.h.user_id, "PermissionSetId": ps_id}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(bearer(&org, &jwt_with(&cert_key, c.clone())).status, 200);
    // Signed by another key: rejected.
    let r = bearer(&org, &jwt_with(key(), c));
    assert_eq!(r.json()["error_description"], "invalid assertion");
}

fn admin_password() -> String {
    let seed = sfprov::emulator::Seed::default_org();
    seed.users.iter().find_map(|u| u.password.clone()).unwrap()
}

#[test]
fn password_grant() {
    let org = Org::start();
    let seed = sfprov::emulator::Seed::default_org();
    let client = &seed.oauth.clients[0];
    let form = |secret: &str, password: &str| {
        format!(
            "grant_type=password&client_id={}&client_secret={}&username={}&password={}",
            client.client_id,
            urlencode(secret),
            urlencode(&org.h.username),
            urlencode(password)
        )
    };
    let r = token(&org, &form(&client.client_secret, &admin_password()));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.json()["access_token"]
        .as_str()
        .unwrap()
        .starts_with("00D"));
    let r = token(&org, &form(&client.client_secret, "wrong"));
    assert_eq!(
        r.json(),
        json!({"error": "invalid_grant", "error_description": "authentication failure"})
    );
    let r = token(&org, &form("wrong", &admin_password()));
    assert_eq!(r.json()["error"], "invalid_client");
}

#[test]
fn partner_soap_login() {
    let org = Org::start();
    let login = |version: &str, password: &str| {
        let env = format!(
            "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:urn=\"urn:partner.soap.sforce.com\">\
<soapenv:Body><urn:login><urn:username>{}</urn:username><urn:password>{}</urn:password></urn:login></soapenv:Body></soapenv:Envelope>",
            esc(&org.h.username),
            esc(password)
        );
        http(
            &org.h.url,
            "POST",
            &format!("/services/Soap/u/{version}"),
            &[("SOAPAction", "login")],
            &env,
        )
        .unwrap()
    };
    let r = login("64.0", &admin_password());
    assert_eq!(r.status, 200, "{}", r.body);
    let session = tag(&r.body, "sessionId").unwrap();
    let metadata_url = tag(&r.body, "metadataServerUrl").unwrap();
    assert!(
        metadata_url.starts_with(&format!("{}/services/Soap/m/64.0/00D", org.h.url)),
        "{metadata_url}"
    );
    assert_eq!(
        tag(&r.body, "userName").as_deref(),
        Some(org.h.username.as_str())
    );
    assert!(r.body.contains("<roleId xsi:nil=\"true\"/>"));
    // The session works on the Metadata API.
    let md = org
        .soap_as(
            &session,
            "<met:describeMetadata><met:asOfVersion>63.0</met:asOfVersion></met:describeMetadata>",
        )
        .unwrap();
    assert_eq!(md.status, 200);
    let bad = login("64.0", "nope");
    assert_eq!(bad.status, 500);
    assert_eq!(
        tag(&bad.body, "faultcode").as_deref(),
        Some("sf:INVALID_LOGIN")
    );
    assert_eq!(
        tag(&bad.body, "sf:exceptionCode").as_deref(),
        Some("INVALID_LOGIN")
    );
    assert!(bad.body.contains("urn:fault.partner.soap.sforce.com"));
    let retired = login("65.0", &admin_password());
    assert_eq!(
        tag(&retired.body, "faultcode").as_deref(),
        Some("sf:UNSUPPORTED_API_VERSION")
    );
}

/// `emulator serve --jwt-cert FILE` and `POST /__emulator/oauth-clients`:
/// the JWT recipe of the README, with the org's own URL as audience.
#[test]
fn jwt_cert_registered_at_serve_and_over_the_admin_route() {
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("jwt.pem");
    std::fs::write(&pem, public_pem()).unwrap();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel();
    let (tx, rx) = std::sync::mpsc::channel();
    let opts = sfprov::emulator::ServeOptions {
        jwt_cert: Some(pem),
        ..Default::default()
    };
    let t = std::thread::spawn(move || {
        sfprov::emulator::serve(
            opts,
            |r| {
                tx.send((r.instance_url.clone(), r.username.clone()))
                    .unwrap()
            },
            Some(stop_rx),
        )
    });
    let (url, username) = rx.recv().unwrap();
    let grant = |client: &str| {
        let c = json!({"iss": client, "sub": username, "aud": url, "exp": now() + 60});
        http(
            &url,
            "POST",
            "/services/oauth2/token",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            &format!(
                "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={}",
                jwt(c)
            ),
        )
        .unwrap()
    };
    // The seed's connected app now trusts the certificate.
    let r = grant("3MVG9sfprovLocalEmulatorClientId");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["instance_url"], url.as_str());
    // Another consumer key is unknown until registered over the admin route.
    assert_eq!(grant(CLIENT).status, 400);
    let add = |body: &str| {
        http(
            &url,
            "POST",
            "/__emulator/oauth-clients",
            &[("Content-Type", "application/json")],
            body,
        )
        .unwrap()
    };
    let bad = add(&json!({"client_id": CLIENT, "certificate": "not pem"}).to_string());
    assert_eq!(bad.status, 400, "{}", bad.body);
    let ok = add(&json!({"client_id": CLIENT, "certificate": public_pem()}).to_string());
    assert_eq!(ok.status, 204, "{}", ok.body);
    assert_eq!(grant(CLIENT).status, 200);
    stop_tx.send(()).unwrap();
    t.join().unwrap().unwrap();

    // A file that holds no certificate is refused at start, by name.
    let junk = dir.path().join("junk.pem");
    std::fs::write(
        &junk,
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let e = sfprov::emulator::serve(
        sfprov::emulator::ServeOptions {
            jwt_cert: Some(junk),
            ..Default::default()
        },
        |_| {},
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("junk.pem") && e.contains("--jwt-cert"), "{e}");
}

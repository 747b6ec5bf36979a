//! A tiny HTTP/1.1 client over std::net for driving the emulator in tests,
//! plus SOAP/REST/zip helpers. Test code only: the production client is
//! `src/org/`. Raw sockets also let tests see a dropped connection as such.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use base64::Engine;
use serde_json::Value;
use sfprov::emulator::{self, Config, EmulatorHandle};

pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One request; `Err` when the server closed the connection without answering.
pub fn http(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<Resp> {
    let addr = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes())?;
    s.write_all(body.as_bytes())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    if raw.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "connection closed without a response",
        ));
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    Ok(Resp {
        status,
        headers,
        body,
    })
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n.min(rest.len())]);
        s = rest.get(n + 2..).unwrap_or("");
    }
    out
}

/// The emulator plus convenience calls, for one test.
pub struct Org {
    pub h: EmulatorHandle,
}

pub const MD: &str = "http://soap.sforce.com/2006/04/metadata";

impl Org {
    pub fn start() -> Org {
        Org::with(Config::default())
    }

    pub fn with(config: Config) -> Org {
        Org {
            h: emulator::spawn(config).expect("emulator starts"),
        }
    }

    pub fn token(&self) -> String {
        self.h.access_token.expose().to_string()
    }

    pub fn soap_as(&self, token: &str, op: &str) -> std::io::Result<Resp> {
        let env = format!(
            "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:met=\"{MD}\">\
<soapenv:Header><met:SessionHeader><met:sessionId>{token}</met:sessionId></met:SessionHeader></soapenv:Header>\
<soapenv:Body>{op}</soapenv:Body></soapenv:Envelope>"
        );
        http(
            &self.h.url,
            "POST",
            "/services/Soap/m/63.0",
            &[
                ("Content-Type", "text/xml; charset=UTF-8"),
                ("SOAPAction", "\"\""),
            ],
            &env,
        )
    }

    /// A Metadata API call; `op` is the Body's operation element with `met:` prefixes.
    pub fn soap(&self, op: &str) -> Resp {
        self.soap_as(&self.token(), op).expect("SOAP call answered")
    }

    pub fn rest(&self, method: &str, path: &str, body: &str) -> Resp {
        let auth = format!("Bearer {}", self.token());
        http(
            &self.h.url,
            method,
            path,
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            body,
        )
        .expect("REST call answered")
    }

    pub fn query(&self, soql: &str) -> Value {
        let r = self.rest(
            "GET",
            &format!("/services/data/v63.0/query?q={}", urlencode(soql)),
            "",
        );
        assert_eq!(r.status, 200, "{soql}: {}", r.body);
        r.json()
    }

    pub fn id_of(&self, soql: &str) -> String {
        self.query(soql)["records"][0]["Id"]
            .as_str()
            .unwrap_or_else(|| panic!("no row: {soql}"))
            .to_string()
    }

    pub fn create(&self, sobject: &str, body: Value) -> Resp {
        self.rest(
            "POST",
            &format!("/services/data/v63.0/sobjects/{sobject}"),
            &body.to_string(),
        )
    }

    /// Starts a deploy of `files` (path -> text) with a package.xml built from them.
    pub fn deploy_start(&self, files: &[(&str, &str)], options: &str) -> String {
        let zip = zip_with_manifest(files, "");
        let op = format!(
            "<met:deploy><met:ZipFile>{}</met:ZipFile><met:DeployOptions>{options}</met:DeployOptions></met:deploy>",
            base64::engine::general_purpose::STANDARD.encode(zip)
        );
        let r = self.soap(&op);
        assert_eq!(r.status, 200, "{}", r.body);
        tag(&r.body, "id").expect("an AsyncResult id")
    }

    /// Polls checkDeployStatus until done; returns the last response body.
    pub fn deploy_wait(&self, id: &str) -> String {
        for _ in 0..20 {
            let r = self.soap(&format!(
                "<met:checkDeployStatus><met:asyncProcessId>{id}</met:asyncProcessId><met:includeDetails>true</met:includeDetails></met:checkDeployStatus>"
            ));
            assert_eq!(r.status, 200, "{}", r.body);
            if tag(&r.body, "done").as_deref() == Some("true") {
                return r.body;
            }
        }
        panic!("deploy {id} never finished");
    }

    /// Deploys with singlePackage=true, rollbackOnError=true; returns the final DeployResult.
    pub fn deploy(&self, files: &[(&str, &str)]) -> String {
        let id = self.deploy_start(files, "<met:rollbackOnError>true</met:rollbackOnError><met:singlePackage>true</met:singlePackage>");
        self.deploy_wait(&id)
    }

    /// Retrieves `members` (type, member); returns (final result, files in the zip).
    pub fn retrieve(
        &self,
        members: &[(&str, &str)],
        single: bool,
    ) -> (String, BTreeMap<String, String>) {
        let mut types: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (t, m) in members {
            types.entry(t).or_default().push(m);
        }
        let mut unpackaged = String::new();
        for (t, ms) in types {
            unpackaged.push_str("<met:types>");
            for m in ms {
                unpackaged.push_str(&format!("<met:members>{}</met:members>", esc(m)));
            }
            unpackaged.push_str(&format!("<met:name>{t}</met:name></met:types>"));
        }
        let r = self.soap(&format!(
            "<met:retrieve><met:retrieveRequest><met:apiVersion>63.0</met:apiVersion><met:singlePackage>{single}</met:singlePackage>\
<met:unpackaged>{unpackaged}<met:version>63.0</met:version></met:unpackaged></met:retrieveRequest></met:retrieve>"
        ));
        assert_eq!(r.status, 200, "{}", r.body);
        let id = tag(&r.body, "id").unwrap();
        for _ in 0..10 {
            let r = self.soap(&format!(
                "<met:checkRetrieveStatus><met:asyncProcessId>{id}</met:asyncProcessId><met:includeZip>true</met:includeZip></met:checkRetrieveStatus>"
            ));
            assert_eq!(r.status, 200, "{}", r.body);
            if tag(&r.body, "done").as_deref() == Some("true") {
                let zip = tag(&r.body, "zipFile").unwrap_or_default();
                return (r.body.clone(), unzip(&zip));
            }
        }
        panic!("retrieve never finished");
    }
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn unesc(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Text of the first `<name>` element (unprefixed, as the emulator writes them).
pub fn tag(xml: &str, name: &str) -> Option<String> {
    tags(xml, name).into_iter().next()
}

/// Texts of every `<name>…</name>` element.
pub fn tags(xml: &str, name: &str) -> Vec<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        rest = &rest[i + open.len()..];
        let Some(j) = rest.find(&close) else { break };
        out.push(unesc(&rest[..j]));
        rest = &rest[j + close.len()..];
    }
    out
}

/// A zip of `files` plus a package.xml naming them, under `prefix`.
pub fn zip_with_manifest(files: &[(&str, &str)], prefix: &str) -> Vec<u8> {
    let pairs: Vec<(String, String)> = files
        .iter()
        .filter_map(|(p, _)| {
            let file = p.rsplit('/').next()?;
            let (ty, member) = sfprov::metadata::schema::registry_for_file(file)?;
            Some((ty.name.to_string(), member))
        })
        .collect();
    let mut manifest = sfprov::metadata::package::manifest(
        pairs.iter().map(|(a, b)| (a.as_str(), b.as_str())),
        "63.0",
    );
    let manifest = sfprov::metadata::to_canonical_bytes(&mut manifest);
    let mut all: Vec<(String, Vec<u8>)> = vec![(format!("{prefix}package.xml"), manifest)];
    all.extend(
        files
            .iter()
            .map(|(p, t)| (format!("{prefix}{p}"), t.as_bytes().to_vec())),
    );
    zip_raw(&all)
}

pub fn zip_raw(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in files {
        w.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

pub fn unzip(b64: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if b64.is_empty() {
        return out;
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        let mut s = String::new();
        f.read_to_string(&mut s).unwrap();
        out.insert(f.name().to_string(), s);
    }
    out
}

/// A Profile or PermissionSet file from its inner XML.
pub fn doc(root: &str, inner: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{root} xmlns=\"{MD}\">{inner}</{root}>\n")
}

pub fn up(name: &str, enabled: bool) -> String {
    format!("<userPermissions><enabled>{enabled}</enabled><name>{name}</name></userPermissions>")
}

pub fn op(object: &str, c: bool, r: bool, e: bool, d: bool) -> String {
    format!(
        "<objectPermissions><allowCreate>{c}</allowCreate><allowDelete>{d}</allowDelete><allowEdit>{e}</allowEdit><allowRead>{r}</allowRead>\
<modifyAllRecords>false</modifyAllRecords><object>{object}</object><viewAllRecords>false</viewAllRecords></objectPermissions>"
    )
}

pub fn fls(field: &str, editable: bool, readable: bool) -> String {
    format!("<fieldPermissions><editable>{editable}</editable><field>{field}</field><readable>{readable}</readable></fieldPermissions>")
}

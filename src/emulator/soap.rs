//! SOAP 1.1 envelopes of the Metadata API: reading requests, writing responses
//! and faults. Owns: namespace-aware parsing of a request into a small tree
//! keyed by local names (any prefix, default namespaces, unknown elements
//! tolerated), and the response/fault envelope text.
//! Does not: know what an operation means (see `mdapi.rs`).

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

pub const ENVELOPE_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const MD_NS: &str = "http://soap.sforce.com/2006/04/metadata";
pub const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// An element of a request: local name, namespace, `xsi:type`, text, children.
#[derive(Debug, Default, Clone)]
pub struct Node {
    pub name: String,
    pub ns: String,
    pub xsi_type: Option<String>,
    pub text: String,
    pub children: Vec<Node>,
}

impl Node {
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The first child with any of these names (clients spell some differently).
    pub fn child_any(&self, names: &[&str]) -> Option<&Node> {
        self.children
            .iter()
            .find(|c| names.contains(&c.name.as_str()))
    }

    pub fn all<'n>(&'n self, name: &'n str) -> impl Iterator<Item = &'n Node> + 'n {
        self.children.iter().filter(move |c| c.name == name)
    }

    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.trim())
    }

    pub fn bool_of(&self, name: &str) -> Option<bool> {
        self.text_of(name).map(|t| t == "true" || t == "1")
    }
}

/// A parsed request envelope.
pub struct Envelope {
    pub session_id: Option<String>,
    /// The first child of Body: the operation.
    pub operation: Node,
}

/// Why a request could not be read (answered as a `soapenv:Client` fault).
#[derive(Debug)]
pub struct BadRequest(pub String);

pub fn parse(body: &str) -> Result<Envelope, BadRequest> {
    let root = parse_tree(body)?;
    if root.name != "Envelope" || root.ns != ENVELOPE_NS {
        return Err(BadRequest(format!(
            "Expected a SOAP 1.1 Envelope in {ENVELOPE_NS}, found {}",
            root.name
        )));
    }
    let session_id = root
        .child("Header")
        .and_then(|h| h.child("SessionHeader"))
        .and_then(|s| s.text_of("sessionId"))
        .map(str::to_string);
    let body = root
        .child("Body")
        .ok_or_else(|| BadRequest("The Envelope has no Body".into()))?;
    let operation = body
        .children
        .first()
        .cloned()
        .ok_or_else(|| BadRequest("The Body is empty".into()))?;
    Ok(Envelope {
        session_id,
        operation,
    })
}

fn parse_tree(body: &str) -> Result<Node, BadRequest> {
    let mut reader = NsReader::from_str(body);
    let mut stack: Vec<Node> = Vec::new();
    let bad = |e: &dyn std::fmt::Display| BadRequest(format!("Malformed request XML: {e}"));
    loop {
        let (res, ev) = reader.read_resolved_event().map_err(|e| bad(&e))?;
        match ev {
            Event::Start(ref s) | Event::Empty(ref s) => {
                let mut node = Node {
                    name: String::from_utf8_lossy(s.local_name().as_ref()).into_owned(),
                    ns: match res {
                        ResolveResult::Bound(ns) => {
                            String::from_utf8_lossy(ns.as_ref()).into_owned()
                        }
                        _ => String::new(),
                    },
                    ..Node::default()
                };
                for a in s.attributes().flatten() {
                    let (ans, local) = reader.resolve_attribute(a.key);
                    let is_xsi =
                        matches!(ans, ResolveResult::Bound(n) if n.as_ref() == XSI_NS.as_bytes());
                    if is_xsi && local.as_ref() == b"type" {
                        let v = a.unescape_value().map_err(|e| bad(&e))?;
                        let local = v.rsplit(':').next().unwrap_or(&v).to_string();
                        node.xsi_type = Some(local);
                    }
                }
                if matches!(ev, Event::Empty(_)) {
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(node),
                        None => return Ok(node),
                    }
                } else {
                    stack.push(node);
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.unescape().map_err(|e| bad(&e))?);
                }
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&String::from_utf8_lossy(&c));
                }
            }
            Event::End(_) => {
                let node = stack.pop().ok_or_else(|| bad(&"unbalanced end tag"))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => return Ok(node),
                }
            }
            Event::Eof => return Err(bad(&"unexpected end of document")),
            _ => {}
        }
    }
}

/// XML-escapes text content.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Appends `<name>text</name>`.
pub fn leaf(out: &mut String, name: &str, text: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    out.push_str(&esc(text));
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// A 200 response: `<{op}Response>` holding `inner` (already XML).
pub fn response(op: &str, inner: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"{ENVELOPE_NS}\" \
xmlns=\"{MD_NS}\" xmlns:xsi=\"{XSI_NS}\"><soapenv:Body><{op}Response>{inner}</{op}Response>\
</soapenv:Body></soapenv:Envelope>"
    );
    xml(StatusCode::OK, body)
}

/// An HTTP 500 fault: `faultcode` `sf:{code}`, `faultstring` `{code}: {message}`.
pub fn fault(code: &str, message: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"{ENVELOPE_NS}\" \
xmlns:sf=\"{MD_NS}\"><soapenv:Body><soapenv:Fault><faultcode>sf:{code}</faultcode>\
<faultstring>{}</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>",
        esc(&format!("{code}: {message}"))
    );
    xml(StatusCode::INTERNAL_SERVER_ERROR, body)
}

/// A `soapenv:Client` fault for a request the server cannot read.
pub fn client_fault(message: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"{ENVELOPE_NS}\">\
<soapenv:Body><soapenv:Fault><faultcode>soapenv:Client</faultcode><faultstring>{}</faultstring>\
</soapenv:Fault></soapenv:Body></soapenv:Envelope>",
        esc(message)
    );
    xml(StatusCode::INTERNAL_SERVER_ERROR, body)
}

pub fn invalid_session() -> Response {
    fault(
        "INVALID_SESSION_ID",
        "Invalid Session ID found in SessionHeader: Illegal Session",
    )
}

fn xml(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_prefix_and_default_namespace() {
        let a = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:met="http://soap.sforce.com/2006/04/metadata"><soapenv:Header><met:SessionHeader><met:sessionId>T</met:sessionId></met:SessionHeader></soapenv:Header><soapenv:Body><met:listMetadata><met:queries><met:type>Profile</met:type></met:queries></met:listMetadata></soapenv:Body></soapenv:Envelope>"#;
        let b = r#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Header><SessionHeader xmlns="http://soap.sforce.com/2006/04/metadata"><sessionId>T</sessionId></SessionHeader></e:Header><e:Body xmlns="http://soap.sforce.com/2006/04/metadata"><listMetadata><queries><type>Profile</type><runAllTests>x</runAllTests></queries></listMetadata></e:Body></e:Envelope>"#;
        for x in [a, b] {
            let env = parse(x).unwrap();
            assert_eq!(env.session_id.as_deref(), Some("T"));
            assert_eq!(env.operation.name, "listMetadata");
            assert_eq!(env.operation.ns, MD_NS);
            let q = env.operation.child("queries").unwrap();
            assert_eq!(q.text_of("type"), Some("Profile"));
        }
    }
}

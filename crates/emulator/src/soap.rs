//! SOAP 1.1 envelopes of the Metadata API: reading requests, writing responses
//! and faults. Owns: namespace-aware parsing of a request into a small tree
//! keyed by local names (any prefix, default namespaces, unknown elements
//! tolerated), bounded in depth and element count (`limits.rs`), a prescan of
//! a request's first bytes for its session, and the response/fault envelope text.
//! Does not: know what an operation means (see `mdapi.rs`).

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use super::limits::{self, MAX_SOAP_ELEMENTS, MAX_XML_DEPTH};

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
        // Salesforce reads booleans without regard to case: simple-salesforce
        // sends `True`/`False` (Python's spelling) and production orgs accept it.
        self.text_of(name)
            .map(|t| t.trim().eq_ignore_ascii_case("true") || t.trim() == "1")
    }
}

/// A parsed request envelope (its session is read by [`prescan`]).
pub struct Envelope {
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
    let body = root
        .child("Body")
        .ok_or_else(|| BadRequest("The Envelope has no Body".into()))?;
    let operation = body
        .children
        .first()
        .cloned()
        .ok_or_else(|| BadRequest("The Body is empty".into()))?;
    Ok(Envelope { operation })
}

fn parse_tree(body: &str) -> Result<Node, BadRequest> {
    let mut reader = NsReader::from_str(body);
    let mut stack: Vec<Node> = Vec::new();
    let mut elements = 0usize;
    let bad = |e: &dyn std::fmt::Display| BadRequest(format!("Malformed request XML: {e}"));
    loop {
        let (res, ev) = reader.read_resolved_event().map_err(|e| bad(&e))?;
        match ev {
            Event::Start(ref s) | Event::Empty(ref s) => {
                elements += 1;
                if elements > MAX_SOAP_ELEMENTS {
                    return Err(BadRequest(limits::elements_message(
                        "The request",
                        MAX_SOAP_ELEMENTS,
                    )));
                }
                if stack.len() >= MAX_XML_DEPTH {
                    return Err(BadRequest(limits::depth_message("The request")));
                }
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

/// What the first bytes of a request say before the rest is read: the
/// session id of the SessionHeader and the operation (the Body's first child).
#[derive(Debug, Default)]
pub struct Prescan {
    pub session_id: Option<String>,
    pub operation: Option<String>,
}

/// Scans the start of a request (`complete`: the whole body) for its session
/// and operation, building no tree, so that an unauthenticated request costs
/// at most [`limits::PRESCAN_BYTES`]. Malformed XML is an error only when the
/// whole body is at hand (a prefix may end anywhere).
pub fn prescan(input: &[u8], complete: bool) -> Result<Prescan, BadRequest> {
    let mut reader = NsReader::from_reader(input);
    let mut buf = Vec::new();
    let mut out = Prescan::default();
    // Local names of the open elements at depths 1 to 3.
    let mut path: Vec<Vec<u8>> = Vec::new();
    let mut depth = 0usize;
    let mut session: Option<String> = None;
    let bad = |e: &dyn std::fmt::Display| BadRequest(format!("Malformed request XML: {e}"));
    loop {
        let (res, ev) = match reader.read_resolved_event_into(&mut buf) {
            Ok(r) => r,
            Err(_) if !complete => return Ok(out),
            Err(e) => return Err(bad(&e)),
        };
        match ev {
            Event::Start(ref s) | Event::Empty(ref s) => {
                depth += 1;
                if depth > MAX_XML_DEPTH {
                    return Err(BadRequest(limits::depth_message("The request")));
                }
                let local = s.local_name().as_ref().to_vec();
                if depth == 1 {
                    let in_env = matches!(res, ResolveResult::Bound(ns) if ns.as_ref() == ENVELOPE_NS.as_bytes());
                    if local != b"Envelope" || !in_env {
                        return Err(BadRequest(format!(
                            "Expected a SOAP 1.1 Envelope in {ENVELOPE_NS}, found {}",
                            String::from_utf8_lossy(&local)
                        )));
                    }
                }
                if depth == 3 && path.get(1).is_some_and(|p| p == b"Body") {
                    out.operation = Some(String::from_utf8_lossy(&local).into_owned());
                    return Ok(out);
                }
                let in_session_header = depth == 4
                    && path.get(1).is_some_and(|p| p == b"Header")
                    && path.get(2).is_some_and(|p| p == b"SessionHeader");
                if in_session_header && local == b"sessionId" && matches!(ev, Event::Start(_)) {
                    session = Some(String::new());
                }
                if matches!(ev, Event::Empty(_)) {
                    depth -= 1;
                } else if depth <= 3 {
                    path.push(local);
                }
            }
            Event::Text(t) => {
                if let Some(s) = session.as_mut() {
                    s.push_str(&t.unescape().map_err(|e| bad(&e))?);
                }
            }
            Event::End(_) => {
                if let Some(s) = session.take() {
                    out.session_id = Some(s.trim().to_string());
                }
                if depth <= 3 {
                    path.pop();
                }
                depth = depth.saturating_sub(1);
            }
            Event::Eof => return Ok(out),
            _ => {}
        }
        buf.clear();
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
            let pre = prescan(x.as_bytes(), true).unwrap();
            assert_eq!(pre.session_id.as_deref(), Some("T"));
            assert_eq!(pre.operation.as_deref(), Some("listMetadata"));
            // A prefix that stops inside the Body still has both.
            let cut = x
                .find("<queries")
                .or_else(|| x.find("<met:queries"))
                .unwrap()
                + 3;
            let pre = prescan(&x.as_bytes()[..cut], false).unwrap();
            assert_eq!(pre.session_id.as_deref(), Some("T"));
            let env = parse(x).unwrap();
            assert_eq!(env.operation.name, "listMetadata");
            assert_eq!(env.operation.ns, MD_NS);
            let q = env.operation.child("queries").unwrap();
            assert_eq!(q.text_of("type"), Some("Profile"));
        }
    }
}

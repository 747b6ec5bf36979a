//! SOAP 1.1 envelopes for the Metadata API: building and reading them.
//! Owns: the request envelope (SessionHeader, CallOptions client, escaped
//! payload), reading a response into a small namespace-aware tree (`Node`,
//! local names, `xsi:nil`/`xsi:type` kept) and SOAP fault extraction.
//! Does not: know any operation's fields (see `mdapi`) or send anything.

use std::io::Cursor;

use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::name::ResolveResult;
use quick_xml::{NsReader, Writer};

use super::api_error::ApiError;
use crate::secret::Secret;

pub const ENVELOPE_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const METADATA_NS: &str = "http://soap.sforce.com/2006/04/metadata";
pub const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// The CallOptions client name sfprov sends.
pub const CLIENT_NAME: &str = concat!("sfprov/", env!("CARGO_PKG_VERSION"));

/// Writes the payload of one operation (`met:` prefixed, every value escaped).
pub struct Payload {
    w: Writer<Cursor<Vec<u8>>>,
}

impl Payload {
    fn start_raw(&mut self, name: &str, attrs: &[(&str, &str)]) {
        let mut s = BytesStart::new(name);
        for (k, v) in attrs {
            s.push_attribute((*k, *v));
        }
        self.w.write_event(Event::Start(s)).expect("Vec write");
    }
    fn end_raw(&mut self, name: &str) {
        self.w
            .write_event(Event::End(BytesEnd::new(name)))
            .expect("Vec write");
    }

    /// `<met:NAME>` ... `</met:NAME>` around what `f` writes.
    pub fn element(&mut self, name: &str, f: impl FnOnce(&mut Payload)) {
        self.element_with(name, &[], f)
    }

    /// Like [`Payload::element`], with attributes (e.g. `xsi:type`).
    pub fn element_with(
        &mut self,
        name: &str,
        attrs: &[(&str, &str)],
        f: impl FnOnce(&mut Payload),
    ) {
        let q = format!("met:{name}");
        self.start_raw(&q, attrs);
        f(self);
        self.end_raw(&q);
    }

    /// `<met:NAME>escaped value</met:NAME>`.
    pub fn text(&mut self, name: &str, value: &str) {
        let q = format!("met:{name}");
        self.start_raw(&q, &[]);
        self.w
            .write_event(Event::Text(BytesText::new(value)))
            .expect("Vec write");
        self.end_raw(&q);
    }

    pub fn boolean(&mut self, name: &str, value: bool) {
        self.text(name, if value { "true" } else { "false" })
    }
}

/// Builds a Metadata API request envelope for `operation`.
pub fn envelope(session: &Secret, operation: &str, body: impl FnOnce(&mut Payload)) -> String {
    let mut p = Payload {
        w: Writer::new(Cursor::new(Vec::with_capacity(1024))),
    };
    p.start_raw(
        "soapenv:Envelope",
        &[
            ("xmlns:soapenv", ENVELOPE_NS),
            ("xmlns:met", METADATA_NS),
            ("xmlns:xsi", XSI_NS),
        ],
    );
    p.start_raw("soapenv:Header", &[]);
    p.element("CallOptions", |p| p.text("client", CLIENT_NAME));
    p.element("SessionHeader", |p| p.text("sessionId", session.expose()));
    p.end_raw("soapenv:Header");
    p.start_raw("soapenv:Body", &[]);
    p.element(operation, body);
    p.end_raw("soapenv:Body");
    p.end_raw("soapenv:Envelope");
    String::from_utf8(p.w.into_inner().into_inner()).expect("quick-xml writes UTF-8")
}

/// One element of a response, by local name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Node {
    pub name: String,
    pub text: String,
    pub nil: bool,
    /// `xsi:type` without its prefix, when present.
    pub xsi_type: Option<String>,
    pub children: Vec<Node>,
}

impl Node {
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }
    pub fn all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s Node> + 's {
        self.children.iter().filter(move |c| c.name == name)
    }
    /// The text of child `name`, if present and not nil.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name).filter(|c| !c.nil).map(|c| c.text.as_str())
    }
    pub fn bool_of(&self, name: &str) -> bool {
        self.text_of(name).map(str::trim) == Some("true")
    }
    pub fn int_of(&self, name: &str) -> u64 {
        self.text_of(name)
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0)
    }
}

/// What a response body held.
#[derive(Debug)]
pub enum Reply {
    /// The first child of `Body` (e.g. `deployResponse`).
    Ok(Node),
    Fault(ApiError),
}

/// Reads a SOAP response. Envelope and Body must be in the SOAP envelope
/// namespace; everything inside is matched by local name.
pub fn parse_reply(xml: &str) -> Result<Reply, String> {
    let root = parse_tree(xml)?;
    if root.name != "Envelope" {
        return Err(format!("expected a SOAP Envelope, got <{}>", root.name));
    }
    let body = root.child("Body").ok_or("the SOAP envelope has no Body")?;
    let first = body
        .children
        .first()
        .ok_or("the SOAP Body is empty")?
        .clone();
    if first.name == "Fault" {
        return Ok(Reply::Fault(fault(&first)));
    }
    Ok(Reply::Ok(first))
}

fn fault(f: &Node) -> ApiError {
    // Partner faults carry <detail><sf:XFault><exceptionCode>; Metadata faults
    // only faultcode/faultstring. Prefer the detail when present.
    let detail = f
        .child("detail")
        .and_then(|d| d.children.first())
        .filter(|d| d.child("exceptionCode").is_some());
    let (code, message) = match detail {
        Some(d) => (
            d.text_of("exceptionCode").unwrap_or_default().to_string(),
            d.text_of("exceptionMessage")
                .unwrap_or_default()
                .to_string(),
        ),
        None => {
            let code = f.text_of("faultcode").unwrap_or("UNKNOWN_EXCEPTION");
            let code = code.rsplit(':').next().unwrap_or(code).to_string();
            let s = f.text_of("faultstring").unwrap_or_default();
            // faultstring is `CODE: message`.
            let message = s
                .strip_prefix(code.as_str())
                .and_then(|m| m.strip_prefix(':'))
                .unwrap_or(s)
                .trim()
                .to_string();
            (code, message)
        }
    };
    ApiError::from_server(&code, &message, Vec::new())
}

/// Deepest element nesting a reply may have: the envelope's few levels plus a
/// readMetadata record's (metadata nests fewer than 10). Every recursion over
/// a `Node` (clone, drop, the record -> document bridge) is bounded by it.
pub const MAX_REPLY_DEPTH: usize = 128;

/// Parses XML into a tree of local names; checks Envelope/Body namespaces.
fn parse_tree(xml: &str) -> Result<Node, String> {
    let mut reader = NsReader::from_str(xml);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Node> = Vec::new();
    loop {
        let pos = reader.buffer_position();
        let (ns, ev) = reader
            .read_resolved_event()
            .map_err(|e| format!("malformed XML near byte {pos}: {e}"))?;
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if matches!(name.as_str(), "Envelope" | "Body") && stack.len() < 2 {
                    let ok = matches!(ns, ResolveResult::Bound(n) if n.as_ref() == ENVELOPE_NS.as_bytes());
                    if !ok {
                        return Err(format!("<{name}> is not in the SOAP envelope namespace"));
                    }
                }
                let mut node = Node {
                    name,
                    ..Node::default()
                };
                for a in e.attributes().flatten() {
                    let (ans, local) = reader.resolve_attribute(a.key);
                    let is_xsi =
                        matches!(ans, ResolveResult::Bound(n) if n.as_ref() == XSI_NS.as_bytes());
                    if !is_xsi {
                        continue;
                    }
                    let v = a.unescape_value().map_err(|e| e.to_string())?.into_owned();
                    match local.as_ref() {
                        b"nil" => node.nil = v == "true",
                        b"type" => {
                            node.xsi_type = Some(v.rsplit(':').next().unwrap_or(&v).to_string())
                        }
                        _ => {}
                    }
                }
                if matches!(ev, Event::Empty(_)) {
                    attach(&mut stack, node)?;
                } else if stack.len() >= MAX_REPLY_DEPTH {
                    return Err(format!(
                        "elements nest deeper than {MAX_REPLY_DEPTH} levels near byte {pos}"
                    ));
                } else {
                    stack.push(node);
                }
            }
            Event::End(_) => {
                let node = stack.pop().ok_or("unbalanced end tag")?;
                if stack.is_empty() {
                    return Ok(node);
                }
                attach(&mut stack, node)?;
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.unescape().map_err(|e| e.to_string())?);
                }
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&String::from_utf8_lossy(&c));
                }
            }
            Event::Eof => return Err("the response ended before the envelope closed".into()),
            _ => {}
        }
    }
}

fn attach(stack: &mut [Node], node: Node) -> Result<(), String> {
    match stack.last_mut() {
        Some(parent) => {
            parent.children.push(node);
            Ok(())
        }
        None => Err(format!("<{}> outside the envelope", node.name)),
    }
}

#[cfg(test)]
mod tests;

//! Retrieves: the job lifecycle, the zip a retrieve returns, listMetadata's
//! file properties. Owns: expanding package.xml members (wildcards), the zip
//! layout (singlePackage or `unpackaged/`), "Entity of type … cannot be found"
//! messages, the zip being handed out once, and the RetrieveResult XML.
//! Retrieved files come out canonical through the metadata model.

use std::collections::BTreeSet;
use std::io::Write;

use base64::Engine;

use super::access::{self, Scope};
use super::soap::{leaf, Node};
use super::state::OrgState;
use super::{ids, Shared};
use sfprov_metadata::{self as metadata, schema, Document, Element};

/// One retrieve request, as read from the SOAP call.
#[derive(Debug, Clone)]
pub struct Request {
    pub api_version: String,
    pub single_package: bool,
    pub members: Vec<(String, String)>,
}

impl Request {
    pub fn from_node(n: &Node) -> Request {
        let unpackaged = n.child("unpackaged");
        let version = unpackaged
            .and_then(|u| u.text_of("version"))
            .or_else(|| n.text_of("apiVersion"))
            .unwrap_or("63.0")
            .to_string();
        let mut members = Vec::new();
        for t in unpackaged.into_iter().flat_map(|u| u.all("types")) {
            let ty = t.text_of("name").unwrap_or("").to_string();
            for m in t.all("members") {
                members.push((ty.clone(), m.text.trim().to_string()));
            }
        }
        Request {
            api_version: version,
            single_package: n.bool_of("singlePackage").unwrap_or(false),
            members,
        }
    }
}

#[derive(Debug, Clone)]
pub struct FileProps {
    pub file_name: String,
    pub full_name: String,
    pub id: String,
    pub ty: String,
    pub created: String,
    pub modified: String,
    pub namespace: Option<String>,
    pub manageable: Option<String>,
}

#[derive(Debug, Clone)]
pub struct RetrieveJob {
    pub id: String,
    pub request: Request,
    pub polls: u32,
    pub user_id: String,
    pub user_name: String,
    pub props: Vec<FileProps>,
    pub messages: Vec<(String, String)>,
    pub zip: Option<Vec<u8>>,
    pub done: bool,
}

/// Advances a retrieve by one poll; builds the result when it is due.
pub fn poll(shared: &Shared, job: &mut RetrieveJob) {
    if job.done {
        return;
    }
    job.polls += 1;
    if job.polls > shared.retrieve_polls {
        let st = shared.lock();
        build(&st, job);
        job.done = true;
    }
}

/// The members a type has in the org (for `*`).
fn all_members(st: &OrgState, ty: &str) -> Vec<String> {
    match ty {
        // `*` does not match standard objects; the seed has only standard ones.
        "CustomObject" => st
            .seed
            .objects
            .iter()
            .filter(|o| o.name.ends_with("__c"))
            .map(|o| o.name.clone())
            .collect(),
        "ApexPage" => access::code_names(st, "ApexPage"),
        "ApexClass" => access::code_names(st, "ApexClass"),
        // The wildcard does not select individual settings (DOC-Event).
        "Settings" => Vec::new(),
        _ => st
            .components
            .get(ty)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default(),
    }
}

fn build(st: &OrgState, job: &mut RetrieveJob) {
    let prefix = if job.request.single_package {
        ""
    } else {
        "unpackaged/"
    };
    let mut wanted: Vec<(String, String)> = Vec::new();
    for (ty, m) in &job.request.members {
        if m == "*" {
            wanted.extend(all_members(st, ty).into_iter().map(|n| (ty.clone(), n)));
        } else {
            wanted.push((ty.clone(), m.clone()));
        }
    }
    wanted.sort();
    wanted.dedup();
    let mut scope = Scope::default();
    for (ty, m) in &wanted {
        match ty.as_str() {
            "CustomObject" => {
                if let Some(o) = st.seed.object(m) {
                    scope.objects.insert(m.clone());
                    scope
                        .fields
                        .extend(o.fields.iter().map(|f| format!("{m}.{}", f.name)));
                }
            }
            "CustomField" => {
                scope.fields.insert(m.clone());
            }
            "ApexPage" if access::has_code(st, "ApexPage", m) => {
                scope.pages.insert(m.clone());
            }
            "ApexClass" if access::has_code(st, "ApexClass", m) => {
                scope.classes.insert(m.clone());
            }
            _ => {
                scope.other.entry(ty.clone()).or_default().insert(m.clone());
            }
        }
    }
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let now = ids::now_iso();
    let manifest_pairs: Vec<(&str, &str)> = job
        .request
        .members
        .iter()
        .map(|(t, m)| (t.as_str(), m.as_str()))
        .collect();
    let mut manifest = metadata::package::manifest(manifest_pairs, &job.request.api_version);
    files.push((
        format!("{prefix}package.xml"),
        metadata::to_canonical_bytes(&mut manifest),
    ));
    job.props.push(FileProps {
        file_name: format!("{prefix}package.xml"),
        full_name: format!("{prefix}package.xml"),
        id: String::new(),
        ty: "Package".into(),
        created: now.clone(),
        modified: now.clone(),
        namespace: None,
        manageable: Some("unmanaged".into()),
    });
    let missing = |job: &mut RetrieveJob, ty: &str, m: &str| {
        job.messages.push((
            format!("{prefix}package.xml"),
            format!("Entity of type '{ty}' named '{m}' cannot be found"),
        ));
    };
    for (ty, m) in &wanted {
        match ty.as_str() {
            "CustomField" => {
                let ok = m
                    .split_once('.')
                    .and_then(|(o, f)| st.seed.object(o)?.fields.iter().find(|x| x.name == f))
                    .is_some();
                if !ok {
                    missing(job, ty, m);
                }
            }
            "CustomObject" => match st.seed.object(m) {
                Some(o) => {
                    let fields = o
                        .fields
                        .iter()
                        .map(|f| {
                            Element::with_children(
                                "fields",
                                vec![Element::text("fullName", f.name.clone())],
                            )
                        })
                        .collect();
                    let mut doc = Document::new("CustomObject", fields);
                    let path = format!("objects/{m}.object");
                    files.push((
                        format!("{prefix}{path}"),
                        metadata::to_canonical_bytes(&mut doc),
                    ));
                    job.props
                        .push(props(&format!("{prefix}{path}"), m, "", ty, &now, None));
                }
                None => missing(job, ty, m),
            },
            "ApexPage" | "ApexClass" => {
                if !access::has_code(st, ty, m) {
                    missing(job, ty, m);
                    continue;
                }
                let (dir, suffix, body) = if ty == "ApexPage" {
                    ("pages", "page", "<apex:page>\n</apex:page>\n")
                } else {
                    ("classes", "cls", "/* managed package code is hidden */\n")
                };
                let ns = m.split_once("__").map(|(n, _)| n.to_string());
                let path = format!("{prefix}{dir}/{m}.{suffix}");
                files.push((path.clone(), body.as_bytes().to_vec()));
                let meta_root = if ty == "ApexPage" {
                    "ApexPage"
                } else {
                    "ApexClass"
                };
                let mut meta_children =
                    vec![Element::text("apiVersion", job.request.api_version.clone())];
                if ty == "ApexPage" {
                    meta_children.push(Element::text("label", m.clone()));
                } else {
                    meta_children.push(Element::text("status", "Active"));
                }
                let mut meta = Document::new(meta_root, meta_children);
                files.push((
                    format!("{path}-meta.xml"),
                    metadata::to_canonical_bytes(&mut meta),
                ));
                job.props.push(props(&path, m, "", ty, &now, ns));
            }
            _ => {
                let Some(reg) = schema::registry_for_type(ty) else {
                    missing(job, ty, m);
                    continue;
                };
                let Some(c) = st.component(ty, m) else {
                    missing(job, ty, m);
                    continue;
                };
                let bytes = if ty == "Profile" {
                    let stored = metadata::parse(&c.xml).map(|d| d.into_owned().root);
                    match stored {
                        Ok(root) => {
                            let mut doc = Document {
                                root: access::profile_for_retrieve(st, &root, &scope),
                                comments_before_root: Vec::new(),
                            };
                            metadata::to_canonical_bytes(&mut doc)
                        }
                        Err(_) => c.xml.clone().into_bytes(),
                    }
                } else {
                    metadata::canonical_bytes(c.xml.as_bytes())
                        .unwrap_or_else(|_| c.xml.clone().into_bytes())
                };
                let path = format!("{prefix}{}", reg.file_path(m, false));
                files.push((path.clone(), bytes));
                let mut p = props(
                    &path,
                    m,
                    &c.id,
                    ty,
                    &c.created_date,
                    c.namespace_prefix.clone(),
                );
                p.modified = c.last_modified_date.clone();
                p.manageable = c.manageable_state.clone().or(Some("unmanaged".into()));
                job.props.push(p);
            }
        }
    }
    job.zip = Some(zip_files(&files));
}

fn props(path: &str, name: &str, id: &str, ty: &str, date: &str, ns: Option<String>) -> FileProps {
    FileProps {
        file_name: path.to_string(),
        full_name: name.to_string(),
        id: id.to_string(),
        ty: ty.to_string(),
        created: date.to_string(),
        modified: date.to_string(),
        manageable: Some(
            if ns.is_some() {
                "installed"
            } else {
                "unmanaged"
            }
            .to_string(),
        ),
        namespace: ns,
    }
}

fn zip_files(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in files {
        out.start_file(name.as_str(), opts)
            .expect("writing to memory");
        out.write_all(bytes).expect("writing to memory");
    }
    out.finish().expect("writing to memory").into_inner()
}

/// One FileProperties element (listMetadata results, retrieve results).
pub fn props_xml(x: &mut String, tag: &str, p: &FileProps, user_id: &str, user_name: &str) {
    x.push('<');
    x.push_str(tag);
    x.push('>');
    leaf(x, "createdById", user_id);
    leaf(x, "createdByName", user_name);
    leaf(x, "createdDate", &p.created);
    leaf(x, "fileName", &p.file_name);
    leaf(x, "fullName", &p.full_name);
    leaf(x, "id", &p.id);
    leaf(x, "lastModifiedById", user_id);
    leaf(x, "lastModifiedByName", user_name);
    leaf(x, "lastModifiedDate", &p.modified);
    if let Some(m) = &p.manageable {
        leaf(x, "manageableState", m);
    }
    if let Some(ns) = &p.namespace {
        leaf(x, "namespacePrefix", ns);
    }
    leaf(x, "type", &p.ty);
    x.push_str("</");
    x.push_str(tag);
    x.push('>');
}

/// The RetrieveResult; hands out the zip only once.
pub fn result_xml(job: &mut RetrieveJob, include_zip: bool) -> String {
    let mut x = String::new();
    leaf(&mut x, "done", if job.done { "true" } else { "false" });
    if job.done {
        for p in &job.props {
            props_xml(&mut x, "fileProperties", p, &job.user_id, &job.user_name);
        }
    }
    leaf(&mut x, "id", &job.id);
    if job.done {
        for (file, problem) in &job.messages {
            x.push_str("<messages>");
            leaf(&mut x, "fileName", file);
            leaf(&mut x, "problem", problem);
            x.push_str("</messages>");
        }
    }
    leaf(
        &mut x,
        "status",
        if job.done { "Succeeded" } else { "InProgress" },
    );
    leaf(&mut x, "success", if job.done { "true" } else { "false" });
    let zip = if job.done && include_zip {
        job.zip.take()
    } else {
        None
    };
    let b64 = zip
        .map(|z| base64::engine::general_purpose::STANDARD.encode(z))
        .unwrap_or_default();
    leaf(&mut x, "zipFile", &b64);
    x
}

/// listMetadata: one FileProperties per component of each queried type.
pub fn list(st: &OrgState, types: &[String]) -> Vec<FileProps> {
    let mut out = Vec::new();
    let seen: BTreeSet<&String> = types.iter().collect();
    for ty in seen {
        match ty.as_str() {
            "CustomObject" => {
                for o in &st.seed.objects {
                    out.push(props(
                        &format!("objects/{}.object", o.name),
                        &o.name,
                        "",
                        ty,
                        "1970-01-01T00:00:00.000Z",
                        None,
                    ));
                }
            }
            "ApexPage" | "ApexClass" => {
                let (dir, suffix) = if ty == "ApexPage" {
                    ("pages", "page")
                } else {
                    ("classes", "cls")
                };
                for r in st.rows(ty) {
                    let name = access::code_names(st, ty)
                        .into_iter()
                        .find(|n| n.ends_with(super::state::str_field(r, "Name")))
                        .unwrap_or_default();
                    let ns = r
                        .get("NamespacePrefix")
                        .and_then(|v| v.as_str())
                        .map(str::to_string);
                    let mut p = props(
                        &format!("{dir}/{name}.{suffix}"),
                        &name,
                        super::state::id_of(r),
                        ty,
                        "1970-01-01T00:00:00.000Z",
                        ns,
                    );
                    p.id = super::state::id_of(r).to_string();
                    out.push(p);
                }
            }
            _ => {
                let Some(reg) = schema::registry_for_type(ty) else {
                    continue;
                };
                for (name, c) in st.components.get(ty.as_str()).into_iter().flatten() {
                    let mut p = props(
                        &reg.file_path(name, false),
                        name,
                        &c.id,
                        ty,
                        &c.created_date,
                        c.namespace_prefix.clone(),
                    );
                    p.modified = c.last_modified_date.clone();
                    p.manageable = c.manageable_state.clone().or(Some("unmanaged".into()));
                    out.push(p);
                }
            }
        }
    }
    out
}

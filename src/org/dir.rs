//! `DirOrg`: a read-only org made of a directory of retrieved metadata, for
//! `plan --org-dir DIR` (no network at all).
//! Owns: finding components in either layout (source format as
//! `sf project retrieve start` writes it, or an unzipped mdapi retrieve with
//! package.xml), answering a retrieve from those files, telling which
//! objects, fields, pages and classes the directory shows to exist, and
//! listing its pages and classes (namespace wildcards resolve against them).
//! Does not: query records (a directory has no users or assignments), write.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::read::{Listed, OrgRead, ReadError, Requests, Retrieval};
use super::rest::QueryResult;
use super::ZipEntry;
use crate::metadata::schema::{self, MetadataType};
use crate::metadata::{self, Document};

/// The largest file a directory org reads (the largest real profiles are a
/// few tens of megabytes).
const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// A directory read once, at open.
#[derive(Debug)]
pub struct DirOrg {
    root: PathBuf,
    /// (type, member) -> file.
    components: BTreeMap<(&'static str, String), PathBuf>,
    objects: BTreeSet<String>,
    fields: BTreeSet<String>,
    pages: BTreeSet<String>,
    classes: BTreeSet<String>,
    /// Whether the directory holds any file of these kinds at all.
    has_objects: bool,
    has_pages: bool,
    has_classes: bool,
    api_version: String,
}

fn dir_error(path: &Path, reason: impl Into<String>) -> ReadError {
    ReadError::Dir {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

fn read(path: &Path) -> Result<Vec<u8>, ReadError> {
    let meta = std::fs::metadata(path).map_err(|e| dir_error(path, e.to_string()))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(dir_error(path, "larger than 256 MiB"));
    }
    std::fs::read(path).map_err(|e| dir_error(path, e.to_string()))
}

impl DirOrg {
    /// Reads the listing of `root` (file contents are read on retrieve).
    pub fn open(root: &Path) -> Result<DirOrg, ReadError> {
        if !root.is_dir() {
            return Err(dir_error(root, "not a directory"));
        }
        let mut org = DirOrg {
            root: root.to_path_buf(),
            components: BTreeMap::new(),
            objects: BTreeSet::new(),
            fields: BTreeSet::new(),
            pages: BTreeSet::new(),
            classes: BTreeSet::new(),
            has_objects: false,
            has_pages: false,
            has_classes: false,
            api_version: "63.0".into(),
        };
        let mut files = Vec::new();
        walk(root, &mut files, 0)?;
        for path in files {
            org.add(&path)?;
        }
        if let Ok(bytes) = std::fs::read(root.join("package.xml")) {
            if let Some(v) = std::str::from_utf8(&bytes)
                .ok()
                .and_then(|t| metadata::parse(t).ok())
                .and_then(|d| d.root.child_text("version").map(str::to_string))
            {
                org.api_version = v;
            }
        }
        Ok(org)
    }

    fn add(&mut self, path: &Path) -> Result<(), ReadError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let parent = |n: usize| -> String {
            path.ancestors()
                .nth(n)
                .and_then(Path::file_name)
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let stem = name.strip_suffix("-meta.xml").unwrap_or(&name);
        // Objects, fields, pages and classes: only whether they exist.
        if let Some(obj) = stem.strip_suffix(".object") {
            self.has_objects = true;
            self.objects.insert(obj.to_string());
            if !name.ends_with("-meta.xml") {
                // mdapi: the fields are inside the object file.
                let bytes = read(path)?;
                if let Ok(doc) = std::str::from_utf8(&bytes)
                    .map_err(|e| e.to_string())
                    .and_then(|t| metadata::parse(t).map_err(|e| e.to_string()))
                {
                    for f in doc.root.children().iter().filter(|c| c.name == "fields") {
                        if let Some(n) = f.child_text("fullName") {
                            self.fields.insert(format!("{obj}.{n}"));
                        }
                    }
                }
            }
            return Ok(());
        }
        if let Some(field) = stem.strip_suffix(".field") {
            self.has_objects = true;
            // objects/<Object>/fields/<Field>.field-meta.xml
            self.fields.insert(format!("{}.{field}", parent(2)));
            return Ok(());
        }
        if let Some(page) = stem.strip_suffix(".page") {
            self.has_pages = true;
            self.pages.insert(page.to_string());
            return Ok(());
        }
        if let Some(class) = stem.strip_suffix(".cls") {
            self.has_classes = true;
            self.classes.insert(class.to_string());
            return Ok(());
        }
        let Some((ty, member)) = schema::registry_for_file(&name) else {
            return Ok(());
        };
        if parent(1) != ty.directory {
            return Ok(());
        }
        self.components
            .insert((ty.name, member), path.to_path_buf());
        Ok(())
    }

    fn exists(&self, ty: &str, member: &str) -> Option<bool> {
        let (known, set) = match ty {
            "CustomObject" => (self.has_objects, &self.objects),
            "CustomField" => (self.has_objects, &self.fields),
            "ApexPage" => (self.has_pages, &self.pages),
            "ApexClass" => (self.has_classes, &self.classes),
            _ => return None,
        };
        Some(known && set.contains(member)).filter(|_| known)
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> Result<(), ReadError> {
    if depth > 16 {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| dir_error(dir, e.to_string()))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') || name == "node_modules" {
            continue;
        }
        if p.is_dir() {
            walk(&p, out, depth + 1)?;
        } else if p.is_file() {
            out.push(p);
        }
    }
    Ok(())
}

impl OrgRead for DirOrg {
    fn label(&self) -> String {
        self.root.display().to_string()
    }
    fn kind(&self) -> &'static str {
        "directory"
    }
    fn org_id(&self) -> Option<String> {
        None
    }
    fn api_version(&self) -> String {
        self.api_version.clone()
    }
    fn api_versions(&self) -> Result<Option<Vec<String>>, ReadError> {
        Ok(None)
    }
    fn list(&self, type_name: &str) -> Result<Option<Vec<Listed>>, ReadError> {
        let (known, set) = match type_name {
            "ApexPage" => (self.has_pages, &self.pages),
            "ApexClass" => (self.has_classes, &self.classes),
            _ => return Ok(None),
        };
        Ok(known.then(|| {
            set.iter()
                .map(|n| Listed {
                    full_name: n.clone(),
                    namespace_prefix: None,
                    id: None,
                })
                .collect()
        }))
    }
    fn retrieve(&self, manifest: &Document<'_>) -> Result<Retrieval, ReadError> {
        let mut out = Retrieval::default();
        let mut unknown = BTreeSet::new();
        for types in manifest
            .root
            .children()
            .iter()
            .filter(|c| c.name == "types")
        {
            let ty = types.child_text("name").unwrap_or("");
            for m in types.children().iter().filter(|c| c.name == "members") {
                let member = match &m.content {
                    crate::metadata::Content::Text(t) => t.trim().to_string(),
                    _ => String::new(),
                };
                if let Some(found) = self.exists(ty, &member) {
                    if !found {
                        out.missing.push((ty.to_string(), member));
                    }
                    continue;
                }
                if matches!(
                    ty,
                    "CustomObject" | "CustomField" | "ApexPage" | "ApexClass"
                ) {
                    unknown.insert(ty.to_string());
                    continue;
                }
                let Some(reg): Option<&MetadataType> = schema::registry_for_type(ty) else {
                    continue;
                };
                match self.components.get(&(reg.name, member.clone())) {
                    Some(path) => {
                        let bytes = read(path)?;
                        let canonical = metadata::canonical_bytes(&bytes).map_err(|e| {
                            dir_error(path, format!("not a metadata document: {e}"))
                        })?;
                        out.files.push(ZipEntry {
                            path: reg.file_path(&member, false),
                            bytes: canonical,
                        });
                    }
                    None => out.missing.push((ty.to_string(), member)),
                }
            }
        }
        out.unknown_types = unknown.into_iter().collect();
        Ok(out)
    }
    fn can_query(&self) -> bool {
        false
    }
    fn query(&self, _soql: &str) -> Result<QueryResult, ReadError> {
        Err(dir_error(&self.root, "a directory has no records to query"))
    }
    fn requests(&self) -> Requests {
        Requests::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_pages_only_when_the_directory_has_some() {
        let tmp = tempfile::tempdir().unwrap();
        let org = DirOrg::open(tmp.path()).unwrap();
        assert_eq!(org.list("ApexPage").unwrap(), None);
        std::fs::create_dir_all(tmp.path().join("pages")).unwrap();
        for f in [
            "Zendesk__Ticket.page-meta.xml",
            "Zendesk__Ticket.page",
            "Mine.page-meta.xml",
        ] {
            std::fs::write(tmp.path().join("pages").join(f), "<x/>").unwrap();
        }
        let org = DirOrg::open(tmp.path()).unwrap();
        let pages = org.list("ApexPage").unwrap().unwrap();
        let names: Vec<&str> = pages.iter().map(|p| p.full_name.as_str()).collect();
        assert_eq!(names, ["Mine", "Zendesk__Ticket"]);
        assert!(pages[1].in_namespace("zendesk"));
        assert_eq!(org.list("ApexClass").unwrap(), None);
        assert_eq!(org.api_versions().unwrap(), None);
    }

    #[test]
    fn reads_both_layouts() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("golden/zendesk");
        for layout in ["source", "mdapi"] {
            let org = DirOrg::open(&root.join(layout)).unwrap();
            assert!(
                org.components
                    .contains_key(&("PermissionSet", "Zendesk_Integration".to_string())),
                "{layout}: {:?}",
                org.components.keys()
            );
            assert!(org
                .components
                .contains_key(&("Profile", "Zendesk Integration".to_string())));
            assert!(org
                .components
                .contains_key(&("Settings", "Security".to_string())));
        }
    }
}

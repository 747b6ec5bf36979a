//! Validation of profiles and permission sets: system permissions, objects,
//! fields, pages and classes, with permission dependencies resolved.
//! Owns: the rules of issue 2 point 4 for access (names, levels, FLS limits,
//! dependencies). Choice: what a grant requires is *added* and reported as a
//! note (sfprov says so; the plan shows it as implied); a requirement the spec
//! explicitly revokes is an error.

use std::collections::BTreeMap;

use super::Ctx;
use crate::catalog;
use crate::spec::desired::{Access, FieldAccess, Grant, ObjectAccess, ObjectFlags, Why};
use crate::spec::file::{AccessSpec, FieldSpec, GrantSpec, ObjectSpec};

/// Which kind of component the access belongs to, for messages and paths.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    Profile,
    PermissionSet,
}

impl Holder {
    pub fn table(self) -> &'static str {
        match self {
            Holder::Profile => "profiles",
            Holder::PermissionSet => "permission_sets",
        }
    }
    pub fn noun(self) -> &'static str {
        match self {
            Holder::Profile => "profile",
            Holder::PermissionSet => "permission set",
        }
    }
}

/// Relationship names people write where the FLS row needs the Id field.
const LOOKUP_NAMES: &[&str] = &[
    "Account",
    "Asset",
    "BusinessHours",
    "Campaign",
    "Contact",
    "CreatedBy",
    "LastModifiedBy",
    "MasterRecord",
    "Opportunity",
    "Owner",
    "Parent",
    "Pricebook2",
    "RecordType",
    "ReportsTo",
    "Source",
];

pub fn access(ctx: &mut Ctx<'_>, holder: Holder, name: &str, spec: &AccessSpec) -> Access {
    let base = [holder.table(), name];
    let mut out = Access {
        label: spec.label.clone(),
        description: spec.description.clone(),
        license: spec.license.clone(),
        ..Access::default()
    };
    if holder == Holder::PermissionSet {
        permission_set_names(ctx, name, spec, &mut out);
    } else if let Some(d) = &spec.description {
        if d.chars().count() > 255 {
            ctx.error(
                &[&base[..], &["description"]].concat(),
                "the description is longer than 255 characters",
                None,
            );
        }
    }
    for (perm, grant) in &spec.system {
        let path = [&base[..], &["system", perm.as_str()]].concat();
        if !catalog::is_known_permission(perm) && grant.allow_unknown != Some(true) {
            let hint = match catalog::suggest(perm, catalog::USER_PERMISSIONS.iter().copied()).first() {
                Some(s) => format!("did you mean `{s}`?"),
                None => "use the API name without the `Permissions` prefix (API Enabled = `ApiEnabled`); for a permission of a feature sfprov does not list, add `allow_unknown = true`".into(),
            };
            ctx.error(
                &path,
                format!(
                    "unknown system permission `{perm}` in {} `{name}`",
                    holder.noun()
                ),
                Some(hint),
            );
            continue;
        }
        out.system.insert(perm.clone(), grant_of(ctx, &path, grant));
    }
    for (object, spec) in &spec.objects {
        let path = [&base[..], &["objects", object.as_str()]].concat();
        if let Some(access) = object_access(ctx, &path, object, spec) {
            out.objects.insert(object.clone(), access);
        }
    }
    for (field, spec) in &spec.fields {
        let path = [&base[..], &["fields", field.as_str()]].concat();
        if let Some(access) = field_access(ctx, &path, field, spec) {
            out.fields.insert(field.clone(), access);
        }
    }
    for (page, grant) in &spec.pages.named {
        let path = [&base[..], &["pages", page.as_str()]].concat();
        out.pages.insert(page.clone(), grant_of(ctx, &path, grant));
    }
    super::names::page_namespace(ctx, &base, spec, &mut out);
    for (class, grant) in &spec.classes {
        let path = [&base[..], &["classes", class.as_str()]].concat();
        out.classes
            .insert(class.clone(), grant_of(ctx, &path, grant));
    }
    objects_for_fields(ctx, holder, name, &mut out);
    objects_for_objects(ctx, holder, name, &mut out);
    dependencies(ctx, holder, name, &mut out);
    out
}

fn permission_set_names(ctx: &mut Ctx<'_>, name: &str, spec: &AccessSpec, out: &mut Access) {
    let base = ["permission_sets", name];
    if !is_api_name(name) {
        ctx.error(
            &base,
            format!("`{name}` is not a valid permission set API name"),
            Some("use letters, digits and single underscores, starting with a letter (e.g. `Zendesk_Integration`); put the display name in `label`".into()),
        );
    }
    match &spec.label {
        Some(l) if l.chars().count() > 80 => ctx.error(
            &[&base[..], &["label"]].concat(),
            "the label is longer than 80 characters",
            None,
        ),
        Some(_) => {}
        None => {
            let label = name.replace('_', " ");
            ctx.note(
                &base,
                format!("permission set `{name}` has no label; using `{label}`"),
                Some("set `label` to choose the name admins see".into()),
            );
            out.label = Some(label);
        }
    }
    if let Some(d) = &spec.description {
        if d.chars().count() > 255 {
            ctx.error(
                &[&base[..], &["description"]].concat(),
                "the description is longer than 255 characters",
                None,
            );
        }
    }
}

/// `Zendesk_Integration`: a letter first, then letters, digits, single underscores.
pub fn is_api_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.ends_with('_')
        && (!name.contains("__") || name.matches("__").count() == 1 && !name.starts_with('_'))
        && name.len() <= 80
}

fn grant_of(ctx: &mut Ctx<'_>, path: &[&str], g: &GrantSpec) -> Grant {
    Grant {
        enabled: g.enabled.unwrap_or(true),
        why: ctx.why(path, g.why.as_deref()),
    }
}

/// Warns about an object name that is neither custom nor a standard object
/// sfprov knows: most often a typo (`Acount`).
fn check_object_name(ctx: &mut Ctx<'_>, path: &[&str], object: &str) {
    if catalog::is_custom_object(object) || catalog::is_known_standard_object(object) {
        return;
    }
    let hint = catalog::suggest(object, catalog::STANDARD_OBJECTS.iter().copied())
        .first()
        .map(|s| format!("did you mean `{s}`?"));
    ctx.warning(
        path,
        format!(
            "`{object}` is not a standard object sfprov knows; plan will check that the org has it"
        ),
        hint,
    );
}

fn object_access(
    ctx: &mut Ctx<'_>,
    path: &[&str],
    object: &str,
    spec: &ObjectSpec,
) -> Option<ObjectAccess> {
    check_object_name(ctx, path, object);
    let level = match spec.access.as_deref() {
        Some(l) => l,
        None => {
            ctx.error(
                path,
                format!("object `{object}` has no `access`"),
                Some("set `access = \"read\"`, `\"edit\"`, `\"full\"` or `\"none\"`".into()),
            );
            return None;
        }
    };
    let mut f = ObjectFlags::default();
    match level {
        "none" => {}
        "read" => f.read = true,
        "edit" => {
            f.read = true;
            f.edit = true;
        }
        "full" => {
            f = ObjectFlags {
                create: true,
                read: true,
                edit: true,
                delete: true,
                view_all: true,
                modify_all: true,
            };
            if catalog::NO_VIEW_ALL_OBJECTS.contains(&object) {
                f.view_all = false;
                f.modify_all = false;
                ctx.note(path, format!("{object} has no View All or Modify All; `full` grants create, read, edit and delete"), None);
            }
        }
        other => {
            let apath = [path, &["access"]].concat();
            ctx.error(&apath, format!("unknown object access `{other}` for `{object}`"), Some("use `read`, `edit` (read and edit), `full` (create, read, edit, delete, View All, Modify All) or `none`".into()));
            return None;
        }
    }
    if spec.create == Some(true) {
        if level == "none" {
            ctx.error(
                &[path, &["create"]].concat(),
                format!("`create` on `{object}` needs read access"),
                Some("use `access = \"read\"` or higher with `create = true`".into()),
            );
        }
        f.create = true;
    }
    if spec.delete == Some(true) {
        if !f.edit {
            ctx.error(
                &[path, &["delete"]].concat(),
                format!("Delete on `{object}` needs Read and Edit"),
                Some("use `access = \"edit\"` with `delete = true`, or `access = \"full\"`".into()),
            );
        }
        f.delete = true;
    }
    Some(ObjectAccess {
        flags: f,
        why: ctx.why(path, spec.why.as_deref()),
    })
}

fn field_access(
    ctx: &mut Ctx<'_>,
    path: &[&str],
    field: &str,
    spec: &FieldSpec,
) -> Option<FieldAccess> {
    let Some((object, name)) = field
        .split_once('.')
        .filter(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('.'))
    else {
        ctx.error(
            path,
            format!("`{field}` is not a field name"),
            Some("write fields as `Object.Field`, e.g. `\"Contact.Email\"`".into()),
        );
        return None;
    };
    check_object_name(ctx, path, object);
    if let Some(reason) = catalog::no_fls_reason(field) {
        ctx.error(
            path,
            format!("`{field}` cannot carry field-level security: {reason}"),
            Some(format!(
                "remove it; grant access to the object `{object}` instead"
            )),
        );
        return None;
    }
    if let Some(compound) = catalog::compound_address(field) {
        ctx.error(path, format!("address components have no field-level security of their own; `{field}` is part of `{compound}`"), Some(format!("use `\"{compound}\"`")));
        return None;
    }
    if LOOKUP_NAMES.contains(&name) {
        ctx.error(
            path,
            format!("`{field}` names a relationship; field-level security is on the lookup field"),
            Some(format!("use `\"{object}.{name}Id\"`")),
        );
        return None;
    }
    let (readable, editable) = match spec.access.as_deref() {
        Some("read") => (true, false),
        Some("edit") => (true, true),
        Some("none") => (false, false),
        Some(other) => {
            ctx.error(
                &[path, &["access"]].concat(),
                format!("unknown field access `{other}` for `{field}`"),
                Some("use `read`, `edit` or `none`".into()),
            );
            return None;
        }
        None => {
            ctx.error(
                path,
                format!("field `{field}` has no `access`"),
                Some("set `access = \"read\"` or `\"edit\"`".into()),
            );
            return None;
        }
    };
    Some(FieldAccess {
        readable,
        editable,
        why: ctx.why(path, spec.why.as_deref()),
    })
}

/// Field access is useless without read access to the object: add it.
fn objects_for_fields(ctx: &mut Ctx<'_>, holder: Holder, name: &str, out: &mut Access) {
    let mut needed: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (field, fa) in &out.fields {
        if fa.readable {
            let object = field.split_once('.').map_or(field.as_str(), |(o, _)| o);
            needed
                .entry(object.to_string())
                .or_default()
                .push(field.clone());
        }
    }
    for (object, fields) in needed {
        match out.objects.get(&object) {
            Some(oa) if oa.flags.read => {}
            Some(_) => {
                let path = [holder.table(), name, "objects", object.as_str()];
                ctx.error(&path, format!("{} `{name}` grants fields of `{object}` ({}) but no read access to `{object}`", holder.noun(), fields.join(", ")), Some(format!("set `access = \"read\"` on `{object}`, or remove those fields")));
            }
            None => {
                let path = [holder.table(), name, "fields", fields[0].as_str()];
                ctx.note(
                    &path,
                    format!(
                        "added read access to `{object}` in {} `{name}`: its fields are granted",
                        holder.noun()
                    ),
                    None,
                );
                out.objects.insert(
                    object.clone(),
                    ObjectAccess {
                        flags: ObjectFlags {
                            read: true,
                            ..ObjectFlags::default()
                        },
                        why: Why::implied(format!(
                            "needed to read the granted fields {}",
                            fields.join(", ")
                        )),
                    },
                );
            }
        }
    }
}

/// Read on some objects needs Read on others (Account and Contact): add it.
fn objects_for_objects(ctx: &mut Ctx<'_>, holder: Holder, name: &str, out: &mut Access) {
    let readers: Vec<String> = out
        .objects
        .iter()
        .filter(|(_, o)| o.flags.read)
        .map(|(n, _)| n.clone())
        .collect();
    for object in readers {
        for req in catalog::object_read_requires(&object) {
            match out.objects.get(*req) {
                Some(o) if o.flags.read => {}
                Some(_) => {
                    let path = [holder.table(), name, "objects", req];
                    ctx.error(
                        &path,
                        format!("{} `{name}` removes read access to `{req}`, which Read `{object}` depends on", holder.noun()),
                        Some(format!("grant at least `access = \"read\"` on `{req}`, or remove `{object}`")),
                    );
                }
                None => {
                    let path = [holder.table(), name, "objects", object.as_str()];
                    ctx.note(
                        &path,
                        format!("added read access to `{req}` in {} `{name}`: Salesforce requires it with Read `{object}`", holder.noun()),
                        None,
                    );
                    out.objects.insert(
                        req.to_string(),
                        ObjectAccess {
                            flags: ObjectFlags { read: true, ..ObjectFlags::default() },
                            why: Why::implied(format!("Read {object} depends on Read {req} (Contact sharing is controlled by its parent account)")),
                        },
                    );
                }
            }
        }
    }
}

/// Adds what enabled permissions require; errors when the spec revokes one.
fn dependencies(ctx: &mut Ctx<'_>, holder: Holder, name: &str, out: &mut Access) {
    let enabled: Vec<String> = out
        .system
        .iter()
        .filter(|(_, g)| g.enabled)
        .map(|(n, _)| n.clone())
        .collect();
    let mut added: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    for perm in &enabled {
        for req in catalog::closure(perm) {
            match out.system.get(req) {
                Some(g) if g.enabled => {}
                Some(_) => {
                    let path = [holder.table(), name, "system", req];
                    ctx.error(
                        &path,
                        format!(
                            "{} `{name}` revokes `{req}`, which `{perm}` depends on",
                            holder.noun()
                        ),
                        Some(format!(
                            "remove `enabled = false` from `{req}`, or remove `{perm}`"
                        )),
                    );
                }
                None => added.entry(req).or_default().push(perm.clone()),
            }
        }
    }
    let mut by_first: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (req, by) in &added {
        out.system.insert(
            req.to_string(),
            Grant {
                enabled: true,
                why: Why::implied(format!("required by {}", by.join(", "))),
            },
        );
        by_first.entry(by[0].clone()).or_default().push(req);
    }
    for (perm, reqs) in by_first {
        let path = [holder.table(), name, "system", perm.as_str()];
        ctx.note(
            &path,
            format!(
                "`{perm}` depends on {}: added to {} `{name}`",
                reqs.iter()
                    .map(|r| format!("`{r}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                holder.noun()
            ),
            None,
        );
    }
}

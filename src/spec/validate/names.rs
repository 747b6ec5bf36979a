//! Names of the components a spec introduces, checked as Salesforce checks
//! them: API names (permission sets, connected apps, external client apps,
//! Apex classes, Visualforce pages) and profile names, which are labels and
//! become file names, and the namespace prefix of a page wildcard
//! (`pages = { namespace = "Zendesk" }`). Owns: those rules and their
//! limits, so a name that Salesforce would refuse, or that cannot be a file
//! inside the output directory, is an error at its `file:line:col` before
//! anything is written.

use super::Ctx;
use crate::metadata::schema::registry_for_type;
use crate::spec::desired::Access;
use crate::spec::file::{AccessSpec, SpecFile};

/// Longest namespace prefix (`ns` in `ns__Name`).
const NAMESPACE_MAX: usize = 15;
/// Longest profile name Salesforce accepts (Profile.Name, 255 characters).
pub const PROFILE_NAME_MAX: usize = 255;

/// An API-named component type: its noun and its longest name, in characters,
/// without a namespace prefix (Salesforce field references and limits pages).
struct ApiName {
    noun: &'static str,
    max: usize,
}

const PERMISSION_SET: ApiName = ApiName {
    noun: "permission set",
    max: 80,
};
const CONNECTED_APP: ApiName = ApiName {
    noun: "connected app",
    max: 80,
};
const EXTERNAL_CLIENT_APP: ApiName = ApiName {
    noun: "external client app",
    max: 40,
};
const APEX_CLASS: ApiName = ApiName {
    noun: "Apex class",
    max: 40,
};
const VISUALFORCE_PAGE: ApiName = ApiName {
    noun: "Visualforce page",
    max: 40,
};

/// Checks every component name in the spec.
pub fn names(ctx: &mut Ctx<'_>, spec: &SpecFile) {
    for name in spec.connected_app.keys() {
        api_name(ctx, &CONNECTED_APP, &["connected_app", name], name);
    }
    // Permission sets and external client apps with a plainly malformed name
    // already have an error (`is_api_name`); add only what it does not check.
    for name in spec.external_client_app.keys() {
        if super::is_api_name(name) {
            api_name(
                ctx,
                &EXTERNAL_CLIENT_APP,
                &["external_client_app", name],
                name,
            );
        }
    }
    for (name, a) in &spec.permission_sets {
        if super::is_api_name(name) {
            api_name(ctx, &PERMISSION_SET, &["permission_sets", name], name);
        }
        references(ctx, "permission_sets", name, a);
    }
    for (name, a) in &spec.profiles {
        profile_name(ctx, name);
        references(ctx, "profiles", name, a);
    }
}

/// The pages and classes a profile or permission set grants access to.
fn references(ctx: &mut Ctx<'_>, table: &str, holder: &str, a: &AccessSpec) {
    for page in a.pages.keys() {
        api_name(
            ctx,
            &VISUALFORCE_PAGE,
            &[table, holder, "pages", page],
            page,
        );
    }
    for class in a.classes.keys() {
        api_name(ctx, &APEX_CLASS, &[table, holder, "classes", class], class);
    }
}

fn api_name(ctx: &mut Ctx<'_>, ty: &ApiName, path: &[&str], name: &str) {
    let Some(problem) = api_name_problem(name, ty.max) else {
        return;
    };
    ctx.error(
        path,
        format!(
            "`{}` is not a valid {} API name: {problem}",
            shown(name),
            ty.noun
        ),
        Some(format!(
            "API names begin with a letter and use letters, digits and single underscores, at most {} characters (e.g. `Acme_Integration`); a managed package's prefix goes before a double underscore (`acme__Name`)",
            ty.max
        )),
    );
}

/// Why `name` is not an API name of at most `max` characters, if it is not:
/// letters, digits and underscores, a letter first, no `__` and no `_` at the
/// end, optionally after a namespace prefix `ns__` (same rules, 15 at most).
pub fn api_name_problem(name: &str, max: usize) -> Option<String> {
    if name.is_empty() {
        return Some("it is empty".into());
    }
    let (namespace, local) = match name.split_once("__") {
        Some((ns, local)) => (Some(ns), local),
        None => (None, name),
    };
    if let Some(ns) = namespace {
        if let Some(p) = part_problem(ns) {
            return Some(format!("its namespace prefix `{}` {p}", shown(ns)));
        }
        if ns.chars().count() > NAMESPACE_MAX {
            return Some(format!(
                "its namespace prefix is longer than {NAMESPACE_MAX} characters"
            ));
        }
        if local.contains("__") {
            return Some("it contains `__` more than once; only a namespace prefix (`ns__Name`) is followed by a double underscore".into());
        }
        if local.starts_with('_') {
            return Some("it contains `___`".into());
        }
    }
    if let Some(p) = part_problem(local) {
        return Some(format!("it {p}"));
    }
    let n = local.chars().count();
    (n > max).then(|| format!("it is {n} characters; Salesforce allows at most {max}"))
}

/// `pages = { namespace = "Zendesk", why = "…" }`: a namespace prefix (the
/// part before `__`), kept with its reason for plan to resolve.
pub fn page_namespace(ctx: &mut Ctx<'_>, base: &[&str], spec: &AccessSpec, out: &mut Access) {
    let pages = &spec.pages;
    let Some(ns) = &pages.namespace else {
        if pages.why.is_some() {
            ctx.error(
                &[base, &["pages", "why"]].concat(),
                "`pages.why` is the reason of a namespace wildcard, but `pages` has no `namespace`",
                Some("grant every page of a package with `pages = { namespace = \"Zendesk\", why = \"…\" }`, or give one page its reason: `pages.\"Zendesk__Page\" = { why = \"…\" }`".into()),
            );
        }
        return;
    };
    let path = [base, &["pages", "namespace"]].concat();
    let ns = ns.trim();
    if let Some(problem) = namespace_problem(ns) {
        ctx.error(
            &path,
            format!("`{ns}` is not a valid namespace prefix: {problem}"),
            Some("write the package's namespace prefix alone, as Setup > Installed Packages shows it (`Zendesk`, not `Zendesk__` or a page name)".into()),
        );
        return;
    }
    let why = ctx.why(
        &[base, &["pages", "namespace"]].concat(),
        pages.why.as_deref(),
    );
    out.page_namespaces.insert(ns.to_string(), why);
}

/// Why `ns` is not a namespace prefix (`Zendesk`): the rules of one part of
/// an API name, at most 15 characters, no `__`.
pub fn namespace_problem(ns: &str) -> Option<String> {
    if ns.contains("__") {
        return Some("it contains `__`; write the prefix without the double underscore that follows it in names".into());
    }
    if let Some(p) = part_problem(ns) {
        return Some(format!("it {p}"));
    }
    let n = ns.chars().count();
    (n > NAMESPACE_MAX)
        .then(|| format!("it is {n} characters; a namespace prefix has at most {NAMESPACE_MAX}"))
}

/// The rules for one part of an API name (prefix or name).
fn part_problem(s: &str) -> Option<String> {
    let Some(first) = s.chars().next() else {
        return Some("is empty".into());
    };
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
    {
        return Some(format!(
            "contains `{}`; only letters, digits and underscores are allowed",
            c.escape_debug()
        ));
    }
    if !first.is_ascii_alphabetic() {
        return Some("does not begin with a letter".into());
    }
    if s.ends_with('_') {
        return Some("ends with an underscore".into());
    }
    None
}

fn profile_name(ctx: &mut Ctx<'_>, name: &str) {
    let Some((problem, hint)) = profile_name_problem(name) else {
        return;
    };
    ctx.error(
        &["profiles", name],
        format!("`{}` cannot be a profile name: {problem}", shown(name)),
        Some(hint),
    );
}

/// Why `name` cannot be a profile name, with a hint. Profile names are labels
/// (spaces and punctuation allowed: `Custom: Marketing Profile`) and become
/// file names, URL-encoded (`Custom%3A Marketing Profile.profile-meta.xml`).
pub fn profile_name_problem(name: &str) -> Option<(String, String)> {
    let plain = "name the profile as Setup shows it, e.g. `Acme Integration`";
    if name.trim().is_empty() {
        return Some(("it is empty".into(), plain.into()));
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Some((
            format!("it contains the control character {}", c.escape_unicode()),
            "remove line breaks, tabs and other control characters from the name".into(),
        ));
    }
    if name.trim() != name {
        return Some((
            "it begins or ends with a space, which Salesforce removes, so the profile would not match the spec".into(),
            "remove the spaces around the name".into(),
        ));
    }
    if name.starts_with('.') {
        return Some((
            "it begins with `.`, which makes a hidden (or no) file name".into(),
            plain.into(),
        ));
    }
    if name.contains('/') {
        return Some((
            "it contains `/`".into(),
            "use another separator, such as `-`".into(),
        ));
    }
    let n = name.chars().count();
    if n > PROFILE_NAME_MAX {
        return Some((
            format!("it is {n} characters; Salesforce allows at most {PROFILE_NAME_MAX}"),
            "shorten the name".into(),
        ));
    }
    // The longest file name it gets (source format adds `-meta.xml`).
    let file = registry_for_type("Profile")?.file_path(name, true);
    let file = file.rsplit('/').next().unwrap_or(&file);
    let bytes = file.len();
    (bytes > crate::fsutil::NAME_MAX).then(|| {
        (
            format!(
                "its file name would be {bytes} bytes, and file systems allow at most {}",
                crate::fsutil::NAME_MAX
            ),
            "shorten the name: each of ( ) : ' # % and similar takes 3 bytes in a file name, a non-ASCII letter 2 to 4".into(),
        )
    })
}

/// A name as messages show it: control characters escaped, long names cut.
fn shown(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if i == 60 {
            out.push_str("...");
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_names_follow_salesforce() {
        for ok in [
            "Acme",
            "Acme_Integration",
            "A1",
            "ns__Acme_App",
            "Zendesk__ZendeskTicketView",
        ] {
            assert_eq!(api_name_problem(ok, 40), None, "{ok}");
        }
        let bad = [
            ("", "empty"),
            ("../../X", "contains `.`"),
            ("1abc", "begin with a letter"),
            ("_abc", "begin with a letter"),
            ("abc_", "ends with an underscore"),
            ("a__b__c", "more than once"),
            ("a___b", "`___`"),
            ("a b", "contains ` `"),
            ("a\nb", "contains `\\n`"),
            ("__b", "namespace prefix"),
            ("abcdefghijklmnop__X", "longer than 15"),
        ];
        for (name, want) in bad {
            let p = api_name_problem(name, 40).unwrap_or_default();
            assert!(p.contains(want), "{name:?}: {p}");
        }
        assert!(api_name_problem(&"a".repeat(40), 40).is_none());
        assert!(api_name_problem(&"a".repeat(41), 40)
            .unwrap()
            .contains("41 characters; Salesforce allows at most 40"));
        assert!(api_name_problem(&format!("ns__{}", "a".repeat(40)), 40).is_none());
    }

    #[test]
    fn profile_names_are_labels_that_must_be_file_names() {
        for ok in [
            "Custom: Marketing Profile",
            "Minimum Access - API Only Integrations",
            "System Admin(Without Super Access)",
            "Zendesk Integration",
            "Integração",
        ] {
            assert_eq!(profile_name_problem(ok), None, "{ok}");
        }
        let bad = [
            ("", "empty"),
            ("   ", "empty"),
            (".", "begins with `.`"),
            ("..", "begins with `.`"),
            (".hidden", "begins with `.`"),
            ("a\nb", "control character \\u{a}"),
            ("a\0b", "control character \\u{0}"),
            ("a/b", "contains `/`"),
            (" a", "begins or ends with a space"),
        ];
        for (name, want) in bad {
            let (p, _) = profile_name_problem(name).unwrap_or_default();
            assert!(p.contains(want), "{name:?}: {p}");
        }
        let (p, _) = profile_name_problem(&"x".repeat(300)).unwrap();
        assert!(
            p.contains("300 characters; Salesforce allows at most 255"),
            "{p}"
        );
        // Fits Salesforce, but not a file name once `.profile-meta.xml` is added.
        let (p, _) = profile_name_problem(&"x".repeat(250)).unwrap();
        assert!(p.contains("file name would be 267 bytes"), "{p}");
        let (p, _) = profile_name_problem(&"(".repeat(100)).unwrap();
        assert!(p.contains("file name would be 317 bytes"), "{p}");
        assert_eq!(profile_name_problem(&"x".repeat(238)), None);
    }

    #[test]
    fn shown_escapes_and_cuts() {
        assert_eq!(shown("a\nb"), "a\\nb");
        assert_eq!(shown(&"x".repeat(100)).len(), 63);
    }
}

//! The shape of a spec file (keys and value types), checked on the parsed
//! TOML before serde sees it.
//! Owns: finding every unknown key and every value of the wrong type in one
//! pass over a source, each with its position and a message in the user's
//! words ("`user.alias` must be a string (in quotes), found an integer"), and
//! the keys "did you mean" chooses from. Linear in the size of the source.
//! Does not: interpret values (see `validate`); serde (`file.rs`) reads a
//! source only once this pass found nothing.

use toml_edit::{Item, TableLike, Value};

use crate::catalog;

/// What a key's value must be.
#[derive(Debug)]
pub enum Shape {
    Str,
    Bool,
    /// A whole number from 0 to `u32::MAX`.
    Count,
    /// A list of strings.
    Strings,
    /// A table with these keys (any may be left out).
    Table(&'static [(&'static str, Shape)]),
    /// A table whose keys are names the user picks (objects, permissions).
    Map(&'static Shape),
    /// `true`/`false`, or a table with these keys (a grant, a setting).
    FlagOr(&'static [(&'static str, Shape)], &'static str),
    /// A `Map` whose listed keys, when their value is neither a table nor a
    /// flag, take the listed shape instead (`pages.namespace = "Zendesk"`).
    MapWith(&'static [(&'static str, Shape)], &'static Shape),
}

use Shape::{Bool, Count, FlagOr, Map, MapWith, Str, Strings, Table};

const GRANT: Shape = FlagOr(
    &[("why", Str), ("enabled", Bool), ("allow_unknown", Bool)],
    "a table like { why = \"…\" } or true/false",
);
const OBJECT: Shape = Table(&[
    ("access", Str),
    ("create", Bool),
    ("delete", Bool),
    ("why", Str),
]);
const FIELD: Shape = Table(&[("access", Str), ("why", Str)]);
const ACCESS: Shape = Table(&[
    ("label", Str),
    ("description", Str),
    ("license", Str),
    ("system", Map(&GRANT)),
    ("objects", Map(&OBJECT)),
    ("fields", Map(&FIELD)),
    (
        "pages",
        MapWith(&[("namespace", Str), ("why", Str)], &GRANT),
    ),
    ("classes", Map(&GRANT)),
]);
const APP: Shape = Table(&[
    ("kind", Str),
    ("why", Str),
    ("pkce_required", Bool),
    ("admin_approved", Bool),
    ("allowed_profiles", Strings),
    ("allowed_permission_sets", Strings),
    ("ip_relaxation", Str),
    ("refresh_token_policy", Str),
    ("label", Str),
    ("contact_email", Str),
    ("description", Str),
    ("callback_url", Str),
    ("scopes", Strings),
]);
const SETTING: Shape = FlagOr(
    &[("value", Bool), ("why", Str)],
    "true/false or a table like { value = true, why = \"…\" }",
);

/// The whole spec file.
pub const SPEC: Shape = Table(&[
    ("api_version", Str),
    ("template", Str),
    ("description", Str),
    ("interactive_login", Bool),
    ("next_steps", Strings),
    (
        "user",
        Table(&[
            ("username", Str),
            ("email", Str),
            ("first_name", Str),
            ("last_name", Str),
            ("alias", Str),
            ("time_zone", Str),
            ("locale", Str),
            ("language", Str),
            ("email_encoding", Str),
            ("license", Str),
            ("profile", Str),
            ("permission_sets", Strings),
            ("permission_set_licenses", Strings),
            ("replaces_profile", Str),
            ("why", Str),
        ]),
    ),
    ("profiles", Map(&ACCESS)),
    ("permission_sets", Map(&ACCESS)),
    ("connected_app", Map(&APP)),
    ("external_client_app", Map(&APP)),
    (
        "settings",
        Table(&[
            ("streaming_api", SETTING),
            ("lock_sessions_to_ip", SETTING),
            ("lock_sessions_to_domain", SETTING),
        ]),
    ),
    (
        "checks",
        Table(&[("push_topics_needed", Count), ("why", Str)]),
    ),
]);

/// One problem found in a source: what, where (a byte offset), and a hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    pub offset: usize,
    pub hint: Option<String>,
}

/// Every unknown key and wrongly typed value in `doc`, in document order.
pub fn check(doc: &toml_edit::ImDocument<String>) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut path = Vec::new();
    walk_table(doc.as_table(), &SPEC, &mut path, &mut out);
    out
}

/// Walks the keys of a table (or inline table) against `shape`.
fn walk_table(
    table: &dyn TableLike,
    shape: &Shape,
    path: &mut Vec<String>,
    out: &mut Vec<Problem>,
) {
    let mut entries: Vec<(usize, &str, &Item)> = table
        .iter()
        .map(|(k, item)| {
            let key_at = table
                .get_key_value(k)
                .and_then(|(key, _)| key.span())
                .map_or(0, |s| s.start);
            (key_at, k, item)
        })
        .collect();
    // Dotted keys and subtables can be spread over the file: report in the
    // order the user reads them.
    entries.sort_by_key(|(at, _, _)| *at);
    for (key_at, key, item) in entries {
        let inner = match shape {
            Map(inner) => Some(*inner),
            MapWith(fixed, inner) => match fixed.iter().find(|(k, _)| *k == key) {
                Some((_, s))
                    if !item.is_table_like() && !matches!(item, Item::Value(Value::Boolean(_))) =>
                {
                    Some(s)
                }
                _ => Some(*inner),
            },
            Table(keys) | FlagOr(keys, _) => match keys.iter().find(|(k, _)| *k == key) {
                Some((_, s)) => Some(s),
                None => {
                    // Only the first problems are shown; the rest are counted,
                    // so they need no "did you mean".
                    let suggest = out.len() < super::MAX_SHOWN;
                    out.push(unknown_key(path, key, keys, key_at, suggest));
                    None
                }
            },
            _ => None,
        };
        if let Some(inner) = inner {
            path.push(key.to_string());
            walk_item(item, key_at, inner, path, out);
            path.pop();
        }
    }
}

fn walk_item(
    item: &Item,
    key_at: usize,
    shape: &Shape,
    path: &mut Vec<String>,
    out: &mut Vec<Problem>,
) {
    let at = item_offset(item).unwrap_or(key_at);
    match (shape, item) {
        (Table(_) | Map(_) | MapWith(..) | FlagOr(..), _) if item.is_table_like() => {
            if let Some(t) = item.as_table_like() {
                walk_table(t, shape, path, out);
            }
        }
        (FlagOr(..), Item::Value(Value::Boolean(_))) => {}
        (Str, Item::Value(Value::String(_))) | (Bool, Item::Value(Value::Boolean(_))) => {}
        (Count, Item::Value(Value::Integer(i))) => {
            if u32::try_from(*i.value()).is_err() {
                out.push(Problem {
                    message: format!(
                        "`{}` must be a whole number from 0 to {}, found {}",
                        dotted(path),
                        u32::MAX,
                        i.value()
                    ),
                    offset: at,
                    hint: None,
                });
            }
        }
        (Strings, Item::Value(Value::Array(a))) => {
            for (i, v) in a.iter().enumerate() {
                if !matches!(v, Value::String(_)) {
                    let at = v.span().map_or(at, |s| s.start);
                    out.push(Problem {
                        message: format!(
                            "`{}[{i}]` must be a string (in quotes), found {}",
                            dotted(path),
                            found_value(v)
                        ),
                        offset: at,
                        hint: quote_hint(path, v),
                    });
                }
            }
        }
        _ => out.push(wrong_type(path, shape, item, at)),
    }
}

fn item_offset(item: &Item) -> Option<usize> {
    match item {
        Item::Value(v) => v.span().map(|s| s.start),
        Item::Table(t) => t.span().map(|s| s.start),
        Item::ArrayOfTables(a) => a.span().map(|s| s.start),
        Item::None => None,
    }
}

fn wrong_type(path: &[String], shape: &Shape, item: &Item, at: usize) -> Problem {
    let expected = match shape {
        Str => "a string (in quotes)",
        Bool => "true or false",
        Count => "a whole number",
        Strings => "a list of strings like [\"A\", \"B\"]",
        Table(_) | Map(_) | MapWith(..) => "a table",
        FlagOr(_, words) => words,
    };
    let hint = match (shape, item) {
        (Str, Item::Value(v)) => quote_hint(path, v),
        (Bool | FlagOr(..), Item::Value(Value::String(s)))
            if matches!(s.value().as_str(), "true" | "false") =>
        {
            Some(format!(
                "write it without quotes: `{} = {}`",
                path.last().map_or("", String::as_str),
                s.value()
            ))
        }
        (Strings, Item::Value(Value::String(s))) => Some(format!(
            "write it as a list: `{} = [{}]`",
            path.last().map_or("", String::as_str),
            toml_edit::Value::from(s.value().as_str())
                .to_string()
                .trim()
        )),
        _ => None,
    };
    Problem {
        message: format!(
            "`{}` must be {expected}, found {}",
            dotted(path),
            found(item)
        ),
        offset: at,
        hint,
    }
}

/// "quote the value" for a number or bare word given where a string belongs.
fn quote_hint(path: &[String], v: &Value) -> Option<String> {
    let key = path.last().map_or("", String::as_str);
    let raw = match v {
        Value::Integer(i) => i.value().to_string(),
        Value::Float(f) => {
            let s = f.value().to_string();
            if s.contains('.') {
                s
            } else {
                format!("{s}.0")
            }
        }
        Value::Boolean(b) => b.value().to_string(),
        _ => return None,
    };
    if key == "api_version" {
        return Some("quote the value, e.g. `api_version = \"63.0\"`".into());
    }
    Some(format!("quote the value: `{key} = \"{raw}\"`"))
}

fn found(item: &Item) -> &'static str {
    match item {
        Item::None => "nothing",
        Item::Table(_) => "a table",
        Item::ArrayOfTables(_) => "a list of tables ([[…]])",
        Item::Value(v) => found_value(v),
    }
}

fn found_value(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a number",
        Value::Boolean(_) => "true/false",
        Value::Datetime(_) => "a date",
        Value::Array(_) => "a list",
        Value::InlineTable(_) => "a table",
    }
}

fn unknown_key(
    path: &[String],
    key: &str,
    keys: &[(&str, Shape)],
    at: usize,
    suggest: bool,
) -> Problem {
    let hint = suggest
        .then(|| catalog::suggest(key, keys.iter().map(|(k, _)| *k)))
        .and_then(|s| s.first().map(|s| format!("did you mean `{s}`?")));
    Problem {
        message: format!(
            "unknown key `{key}`{}",
            if path.is_empty() {
                String::new()
            } else {
                format!(" in `{}`", dotted(path))
            }
        ),
        offset: at,
        hint,
    }
}

/// A key path as TOML writes it: `permission_sets.Z.fields."Contact.Email"`.
pub fn dotted(path: &[String]) -> String {
    path.iter()
        .map(|k| {
            if !k.is_empty()
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                k.clone()
            } else {
                toml_edit::Value::from(k.as_str())
                    .to_string()
                    .trim()
                    .to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<Problem> {
        check(&toml_edit::ImDocument::parse(text.to_string()).unwrap())
    }

    #[test]
    fn every_type_error_is_reported_in_order() {
        let p = problems(
            "api_version = 63\n[user]\nalias = 12345\npermission_sets = \"Z\"\n[permission_sets.Z]\nsystem.ApiEnabled = \"yes\"\nobjects.Case = true\n[settings]\nstreaming_api = \"true\"\n[checks]\npush_topics_needed = -1\n",
        );
        let m: Vec<&str> = p.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            m,
            [
                "`api_version` must be a string (in quotes), found an integer",
                "`user.alias` must be a string (in quotes), found an integer",
                "`user.permission_sets` must be a list of strings like [\"A\", \"B\"], found a string",
                "`permission_sets.Z.system.ApiEnabled` must be a table like { why = \"…\" } or true/false, found a string",
                "`permission_sets.Z.objects.Case` must be a table, found true/false",
                "`settings.streaming_api` must be true/false or a table like { value = true, why = \"…\" }, found a string",
                "`checks.push_topics_needed` must be a whole number from 0 to 4294967295, found -1",
            ]
        );
        assert_eq!(
            p[1].hint.as_deref(),
            Some("quote the value: `alias = \"12345\"`")
        );
        assert_eq!(
            p[0].hint.as_deref(),
            Some("quote the value, e.g. `api_version = \"63.0\"`")
        );
        assert_eq!(
            p[2].hint.as_deref(),
            Some("write it as a list: `permission_sets = [\"Z\"]`")
        );
    }

    #[test]
    fn grants_and_settings_take_a_flag_or_a_table() {
        assert!(problems("[permission_sets.Z]\nsystem.ApiEnabled = true\nsystem.ModifyMetadata = { why = \"w\" }\n[settings]\nstreaming_api = true\nlock_sessions_to_ip = { value = false, why = \"w\" }\n").is_empty());
        let p =
            problems("[permission_sets.Z]\nsystem.ApiEnabled = { why = \"w\", enabeld = true }\n");
        assert_eq!(p.len(), 1);
        assert_eq!(
            p[0].message,
            "unknown key `enabeld` in `permission_sets.Z.system.ApiEnabled`"
        );
    }

    #[test]
    fn pages_take_names_and_a_namespace_wildcard() {
        assert!(problems("[permission_sets.Z]\npages = { namespace = \"Zendesk\", why = \"w\", \"Zendesk__P\" = { why = \"w\" }, why2 = true }\n").is_empty());
        let p = problems("[permission_sets.Z]\npages.namespace = 5\npages.Other = \"x\"\n");
        let m: Vec<&str> = p.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            m,
            [
                "`permission_sets.Z.pages.namespace` must be a string (in quotes), found an integer",
                "`permission_sets.Z.pages.Other` must be a table like { why = \"…\" } or true/false, found a string",
            ]
        );
    }

    #[test]
    fn quoted_keys_are_written_back_quoted() {
        let p = problems("[permission_sets.Z]\nfields.\"Contact.Email\" = { access = 1 }\n");
        assert_eq!(
            p[0].message,
            "`permission_sets.Z.fields.\"Contact.Email\".access` must be a string (in quotes), found an integer"
        );
    }
}

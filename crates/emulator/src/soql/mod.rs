//! The SOQL subset sfprov needs:
//! `SELECT f[, a.b…] | count() FROM X [WHERE filter] [ORDER BY f [ASC|DESC]] [LIMIT n]`
//! where a filter joins conditions with AND or OR (parentheses to mix them), NOT;
//! with conditions `f = v`, `!=`, `<`, `>`, `<=`, `>=`, `LIKE`, `IN (…)`,
//! `NOT IN (…)`; values are 'strings', numbers, true/false, null; child
//! subqueries `(SELECT … FROM PermissionSetAssignments)` one level deep.
//! Owns: evaluating a query over the org's rows (relationship paths follow
//! `XId` fields; parsing is in `parse.rs`). Errors are Salesforce's
//! MALFORMED_QUERY, INVALID_TYPE and INVALID_FIELD.

mod columns;
mod parse;

use serde_json::{json, Map, Value};

pub use columns::metadata;
pub use parse::parse;
use parse::{Cond, Filter, Query};

use super::ids;
pub use super::sobjects::Api;
use super::sobjects::{self, err, RestError};
use super::state::{OrgState, Record};

/// Resolves `a.b.c` on a row; relationship `a` follows the `aId` field.
/// Returns the canonical path and the value, or INVALID_FIELD.
fn resolve(
    st: &OrgState,
    sobject: &str,
    r: &Record,
    path: &str,
) -> Result<(String, Value), RestError> {
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    let fs = sobjects::fields(st, sobject).unwrap_or_default();
    let invalid = || {
        err(
            "INVALID_FIELD",
            format!("No such column '{head}' on entity '{sobject}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."),
            &[],
        )
    };
    match rest {
        None => {
            let f = fs
                .iter()
                .find(|f| f.name.eq_ignore_ascii_case(head))
                .ok_or_else(invalid)?;
            let v = r
                .get(&f.name)
                .cloned()
                .or_else(|| sobjects::virtual_field(st, sobject, r, &f.name))
                .unwrap_or(Value::Null);
            Ok((f.name.clone(), v))
        }
        Some(rest) => {
            let id_field = format!("{head}Id");
            let f = fs
                .iter()
                .find(|f| f.name.eq_ignore_ascii_case(&id_field) && f.ty == "reference")
                .ok_or_else(invalid)?;
            let rel = f.name.trim_end_matches("Id").to_string();
            let target_id = r.get(&f.name).and_then(Value::as_str).unwrap_or("");
            let Some(target) = st.type_of_id(target_id) else {
                return Ok((rel, Value::Null));
            };
            let row = st.get(&target, target_id).cloned().unwrap_or_default();
            let (sub, v) = resolve(st, &target, &row, rest)?;
            Ok((format!("{rel}.{sub}"), v))
        }
    }
}

fn cmp_values(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => Some(x.to_lowercase().cmp(&y.to_lowercase())),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => {
            let id_len = |s: &str| s.len() == 15 || s.len() == 18;
            x.eq_ignore_ascii_case(y)
                || (x.len() != y.len() && id_len(x) && id_len(y) && ids::same(x, y))
        }
        (Value::Null, Value::Null) => true,
        _ => cmp_values(a, b) == Some(std::cmp::Ordering::Equal),
    }
}

fn like(v: &Value, pattern: &Value) -> bool {
    let (Some(v), Some(p)) = (v.as_str(), pattern.as_str()) else {
        return false;
    };
    let (v, p) = (v.to_lowercase(), p.to_lowercase());
    let parts: Vec<&str> = p.split('%').collect();
    let mut pos = 0;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            if !v.starts_with(part) {
                return false;
            }
            pos = part.len();
        } else if i == parts.len() - 1 {
            return v[pos..].ends_with(part);
        } else {
            match v[pos..].find(part) {
                Some(at) => pos += at + part.len(),
                None => return false,
            }
        }
    }
    parts.len() > 1 || v == p
}

/// Runs a query; returns (totalSize, rows as JSON, sObject type).
/// `version` is the path segment records' URLs are built on (`v63.0`, or
/// `v63.0/tooling` for the Tooling API).
pub fn run(
    st: &OrgState,
    q: &Query,
    version: &str,
    api: Api,
) -> Result<(usize, Vec<Value>), RestError> {
    let sobject = resolve_sobject(st, &q.from, api)?;
    // Validate every column once, even with no rows.
    let empty = Record::new();
    let conds = q.filter.as_ref().map(Filter::conds).unwrap_or_default();
    for f in q.fields.iter().chain(conds.iter().map(|c| &c.field)) {
        if !f.contains('.') {
            resolve(st, &sobject, &empty, f)?;
        }
    }
    let mut rows: Vec<&Record> = Vec::new();
    for r in st.rows(&sobject) {
        if matches(st, &sobject, r, q.filter.as_ref())? {
            rows.push(r);
        }
    }
    if let Some((f, asc)) = &q.order {
        let mut keyed: Vec<(Value, &Record)> = Vec::new();
        for r in rows {
            keyed.push((resolve(st, &sobject, r, f)?.1, r));
        }
        keyed.sort_by(|a, b| cmp_values(&a.0, &b.0).unwrap_or(std::cmp::Ordering::Equal));
        if !asc {
            keyed.reverse();
        }
        rows = keyed.into_iter().map(|(_, r)| r).collect();
    }
    if let Some(n) = q.limit {
        rows.truncate(n);
    }
    if q.count {
        return Ok((rows.len(), Vec::new()));
    }
    let mut out = Vec::new();
    for r in &rows {
        let mut row = render(st, &sobject, r, &q.fields, version)?;
        for child in &q.children {
            let (name, value) = child_rows(st, &sobject, r, child, version)?;
            row[name] = value;
        }
        out.push(row);
    }
    Ok((rows.len(), out))
}

/// The sObject a FROM names, spelled as the org spells it, or INVALID_TYPE.
fn resolve_sobject(st: &OrgState, from: &str, api: Api) -> Result<String, RestError> {
    sobjects::served(st, api)
        .into_iter()
        .find(|s| s.eq_ignore_ascii_case(from))
        .ok_or_else(|| err("INVALID_TYPE", format!("sObject type '{from}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."), &[]))
}

/// The sObject of a child relationship of `parent`, or INVALID_TYPE.
fn child_type(parent: &str, relationship: &str) -> Result<String, RestError> {
    CHILD_RELATIONSHIPS
        .iter()
        .find(|(p, rel, _, _)| *p == parent && rel.eq_ignore_ascii_case(relationship))
        .map(|(_, _, child, _)| child.to_string())
        .ok_or_else(|| unknown_relationship(relationship))
}

fn unknown_relationship(relationship: &str) -> RestError {
    err(
        "INVALID_TYPE",
        format!("Didn't understand relationship '{relationship}' in FROM part of query call. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."),
        &[],
    )
}

/// Whether a row passes the WHERE clause (no clause: every row does).
fn matches(
    st: &OrgState,
    sobject: &str,
    r: &Record,
    filter: Option<&Filter>,
) -> Result<bool, RestError> {
    let Some(filter) = filter else {
        return Ok(true);
    };
    Ok(match filter {
        Filter::Cond(c) => cond_holds(st, sobject, r, c)?,
        Filter::Not(f) => !matches(st, sobject, r, Some(f))?,
        Filter::And(fs) => {
            for f in fs {
                if !matches(st, sobject, r, Some(f))? {
                    return Ok(false);
                }
            }
            true
        }
        Filter::Or(fs) => {
            for f in fs {
                if matches(st, sobject, r, Some(f))? {
                    return Ok(true);
                }
            }
            false
        }
    })
}

fn cond_holds(st: &OrgState, sobject: &str, r: &Record, c: &Cond) -> Result<bool, RestError> {
    let (_, v) = resolve(st, sobject, r, &c.field)?;
    if let Some(sub) = &c.semi_join {
        let found = semi_join_values(st, sub)?.iter().any(|x| equal(&v, x));
        return Ok(found == (c.op == "IN"));
    }
    Ok(match c.op.as_str() {
        "=" => equal(&v, &c.values[0]),
        "!=" | "<>" => !equal(&v, &c.values[0]),
        "IN" => c.values.iter().any(|x| equal(&v, x)),
        "NOT IN" => !c.values.iter().any(|x| equal(&v, x)),
        "LIKE" => like(&v, &c.values[0]),
        op => match cmp_values(&v, &c.values[0]) {
            Some(o) => match op {
                "<" => o.is_lt(),
                ">" => o.is_gt(),
                "<=" => o.is_le(),
                _ => o.is_ge(),
            },
            None => false,
        },
    })
}

/// The values of a semi-join's one field: `Id IN (SELECT ProfileId FROM User …)`.
fn semi_join_values(st: &OrgState, sub: &Query) -> Result<Vec<Value>, RestError> {
    let [field] = sub.fields.as_slice() else {
        return Err(err(
            "MALFORMED_QUERY",
            "a semi-join subquery selects exactly one field",
            &[],
        ));
    };
    let sobject = resolve_sobject(st, &sub.from, Api::Data)?;
    let mut out = Vec::new();
    for r in st.rows(&sobject) {
        if matches(st, &sobject, r, sub.filter.as_ref())? {
            out.push(resolve(st, &sobject, r, field)?.1);
        }
    }
    Ok(out)
}

/// Child relationships: (parent, relationship) -> (child sObject, foreign key).
const CHILD_RELATIONSHIPS: &[(&str, &str, &str, &str)] = &[
    (
        "User",
        "PermissionSetAssignments",
        "PermissionSetAssignment",
        "AssigneeId",
    ),
    (
        "User",
        "PermissionSetLicenseAssignments",
        "PermissionSetLicenseAssign",
        "AssigneeId",
    ),
    (
        "PermissionSet",
        "Assignments",
        "PermissionSetAssignment",
        "PermissionSetId",
    ),
    (
        "PermissionSet",
        "SetupEntityAccessItems",
        "SetupEntityAccess",
        "ParentId",
    ),
    ("Profile", "Users", "User", "ProfileId"),
];

/// A subquery's value on one parent row: `null` when no rows (as Salesforce
/// answers), else `{"totalSize", "done", "records"}`.
fn child_rows(
    st: &OrgState,
    parent: &str,
    r: &Record,
    q: &Query,
    version: &str,
) -> Result<(String, Value), RestError> {
    let Some((_, rel, child, fk)) = CHILD_RELATIONSHIPS
        .iter()
        .find(|(p, rel, _, _)| *p == parent && rel.eq_ignore_ascii_case(&q.from))
    else {
        return Err(unknown_relationship(&q.from));
    };
    let parent_id = super::state::id_of(r);
    let mut rows = Vec::new();
    for c in st.rows(child) {
        if ids::same(super::state::str_field(c, fk), parent_id)
            && matches(st, child, c, q.filter.as_ref())?
        {
            rows.push(render(st, child, c, &q.fields, version)?);
        }
    }
    if let Some(n) = q.limit {
        rows.truncate(n);
    }
    let value = if rows.is_empty() {
        Value::Null
    } else {
        json!({"totalSize": rows.len(), "done": true, "records": rows})
    };
    Ok((rel.to_string(), value))
}

fn attributes(sobject: &str, id: &str, version: &str) -> Value {
    json!({"type": sobject, "url": format!("/services/data/{version}/sobjects/{sobject}/{id}")})
}

fn render(
    st: &OrgState,
    sobject: &str,
    r: &Record,
    fields: &[String],
    version: &str,
) -> Result<Value, RestError> {
    let mut obj = Map::new();
    obj.insert(
        "attributes".into(),
        attributes(sobject, super::state::id_of(r), version),
    );
    for f in fields {
        let (path, v) = resolve(st, sobject, r, f)?;
        let mut parts: Vec<&str> = path.split('.').collect();
        let leaf = parts.pop().unwrap_or_default().to_string();
        // Nest relationship values: {"UserLicense": {"attributes":…, "Name": …}}.
        let mut cur_type = sobject.to_string();
        let mut cur_row = r.clone();
        let mut target = &mut obj;
        for rel in parts {
            let id = cur_row
                .get(&format!("{rel}Id"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let ty = st.type_of_id(&id).unwrap_or_default();
            if ty.is_empty() {
                target.insert(rel.to_string(), Value::Null);
                break;
            }
            let entry = target
                .entry(rel.to_string())
                .or_insert_with(|| json!({"attributes": attributes(&ty, &id, version)}));
            cur_row = st.get(&ty, &id).cloned().unwrap_or_default();
            cur_type = ty;
            target = entry
                .as_object_mut()
                .expect("relationship values are objects");
        }
        let _ = cur_type;
        target.insert(leaf, v);
    }
    Ok(Value::Object(obj))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_subset() {
        let q = parse("SELECT Id, UserLicense.Name FROM Profile WHERE Name = 'System Administrator' AND UserType IN ('Standard', 'x') LIMIT 5").unwrap();
        assert_eq!(q.fields, ["Id", "UserLicense.Name"]);
        assert_eq!(q.from, "Profile");
        assert_eq!(q.limit, Some(5));
        assert!(parse("SELECT count() FROM PushTopic").unwrap().count);
        let q = parse("SELECT Id, (SELECT PermissionSetId FROM PermissionSetAssignments) FROM User WHERE Username = 'a'").unwrap();
        assert_eq!(q.children[0].from, "PermissionSetAssignments");
        assert!(parse("SELECT Id, (SELECT Id, (SELECT Id FROM X) FROM Y) FROM User").is_err());
        assert_eq!(
            parse("SELECT FROM User").unwrap_err().code,
            "MALFORMED_QUERY"
        );
        assert_eq!(
            parse("SELECT Id FROM User WHERE").unwrap_err().code,
            "MALFORMED_QUERY"
        );
    }

    #[test]
    fn like_patterns() {
        assert!(like(&json!("Zendesk__Page"), &json!("zendesk%")));
        assert!(!like(&json!("Other"), &json!("zendesk%")));
        assert!(like(&json!("abc"), &json!("abc")));
    }
}

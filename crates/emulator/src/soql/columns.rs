//! `GET query?q=…&columns=true`: Salesforce's QueryResultMetadata, the
//! columns of a query without its rows (`sf data query` asks for it to lay
//! out its table). A relationship path `Profile.Name` is one `Profile`
//! column whose `joinColumns` hold `Name`; paths through the same
//! relationship share that column; a child subquery is an aggregate column
//! whose `joinColumns` are its fields; `count()` has no columns.

use serde_json::{json, Value};

use super::parse::Query;
use super::{resolve_sobject, Api, RestError};
use crate::sobjects::{self, err, FieldDef};
use crate::state::{key_prefix, OrgState};

/// The QueryResultMetadata of a query.
pub fn metadata(st: &OrgState, q: &Query, api: Api) -> Result<Value, RestError> {
    let sobject = resolve_sobject(st, &q.from, api)?;
    let mut columns: Vec<Value> = Vec::new();
    if !q.count {
        for path in &q.fields {
            add_path(st, &sobject, &mut columns, path, "")?;
        }
        for child in &q.children {
            let mut joins = Vec::new();
            let child_type = super::child_type(&sobject, &child.from)?;
            for path in &child.fields {
                add_path(st, &child_type, &mut joins, path, "")?;
            }
            let mut c = column(&child.from, &child.from, None);
            c["aggregate"] = json!(true);
            c["joinColumns"] = Value::Array(joins);
            columns.push(c);
        }
    }
    Ok(json!({
        "columnMetadata": columns,
        "entityName": sobject,
        "groupBy": false,
        "idSelected": q.fields.iter().any(|f| f.eq_ignore_ascii_case("Id")),
        "keyPrefix": key_prefix(&sobject),
    }))
}

/// Adds `a.b.c` under `columns`, merging into an existing relationship column.
fn add_path(
    st: &OrgState,
    sobject: &str,
    columns: &mut Vec<Value>,
    path: &str,
    display_prefix: &str,
) -> Result<(), RestError> {
    let defs = sobjects::fields(st, sobject).unwrap_or_default();
    let invalid = |head: &str| {
        err(
            "INVALID_FIELD",
            format!("No such column '{head}' on entity '{sobject}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."),
            &[],
        )
    };
    match path.split_once('.') {
        None => {
            let f = defs
                .iter()
                .find(|f| f.name.eq_ignore_ascii_case(path))
                .ok_or_else(|| invalid(path))?;
            columns.push(column(
                &f.name,
                &format!("{display_prefix}{}", f.name),
                Some(f),
            ));
        }
        Some((head, rest)) => {
            let id_field = format!("{head}Id");
            let f = defs
                .iter()
                .find(|f| f.name.eq_ignore_ascii_case(&id_field) && f.ty == "reference")
                .ok_or_else(|| invalid(head))?;
            let rel = f.name.trim_end_matches("Id").to_string();
            let target = f.reference_to.clone().unwrap_or_default();
            let at = match columns.iter().position(|c| c["columnName"] == json!(rel)) {
                Some(i) => i,
                None => {
                    columns.push(column(&rel, &format!("{display_prefix}{rel}"), None));
                    columns.len() - 1
                }
            };
            let mut joins = match columns[at]["joinColumns"].take() {
                Value::Array(a) => a,
                _ => Vec::new(),
            };
            add_path(
                st,
                &target,
                &mut joins,
                rest,
                &format!("{display_prefix}{rel}."),
            )?;
            columns[at]["joinColumns"] = Value::Array(joins);
        }
    }
    Ok(())
}

/// One column; `field` is `None` for a relationship or a subquery.
fn column(name: &str, display: &str, field: Option<&FieldDef>) -> Value {
    let ty = field.map_or("", |f| f.ty);
    let apex = match ty {
        "" => Value::Null,
        "id" | "reference" => json!("Id"),
        "boolean" => json!("Boolean"),
        "int" => json!("Integer"),
        "double" | "currency" | "percent" => json!("Double"),
        "datetime" => json!("Datetime"),
        "date" => json!("Date"),
        _ => json!("String"),
    };
    json!({
        "aggregate": false,
        "apexType": apex,
        "booleanType": ty == "boolean",
        "columnName": name,
        "custom": name.ends_with("__c"),
        "displayName": display,
        "foreignKeyName": Value::Null,
        "insertable": field.is_some_and(|f| f.createable),
        "joinColumns": [],
        "numberType": matches!(ty, "int" | "double" | "currency" | "percent"),
        "textType": matches!(ty, "string" | "textarea" | "email" | "picklist" | "phone" | "url" | "multipicklist"),
        "updatable": field.is_some_and(|f| f.updateable),
    })
}

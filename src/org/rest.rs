//! The REST calls sfprov makes: SOQL query with paging, create, update,
//! describe. Errors arrive typed (`OrgError::Rest` holding `ApiError`s).
//! Queries and describes are retried; create and update never are (apply
//! queries first instead).
//! Does not: know which records apply needs (see `apply`).

use serde::Deserialize;
use serde_json::{Map, Value};

use super::client::{CallInfo, Org, Protocol};
use super::error::OrgError;
use super::http::{Body, Request, Response};
use crate::secret::Secret;

/// A query's records, every page gathered.
#[derive(Debug, Clone, Default)]
pub struct QueryResult {
    pub total_size: u64,
    pub records: Vec<Map<String, Value>>,
}

#[derive(Deserialize)]
struct WirePage {
    #[serde(rename = "totalSize", default)]
    total_size: u64,
    #[serde(default)]
    done: bool,
    #[serde(rename = "nextRecordsUrl", default)]
    next_records_url: Option<String>,
    #[serde(default)]
    records: Vec<Map<String, Value>>,
}

#[derive(Deserialize)]
struct WireCreated {
    id: String,
}

/// A query page's `totalSize`, records and `nextRecordsUrl`.
#[doc(hidden)]
pub type QueryPage = (u64, Vec<Map<String, Value>>, Option<String>);

/// Reads one page of a query reply as `query` does (public for the
/// `rest_json` fuzz target).
#[doc(hidden)]
pub fn parse_query_page(body: &str) -> Result<QueryPage, serde_json::Error> {
    let page: WirePage = serde_json::from_str(body)?;
    Ok((page.total_size, page.records, page.next_records_url))
}

/// Quotes a value for a SOQL string literal.
pub fn soql_quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

impl Org {
    /// `{instance}/services/data/v{version}`.
    pub fn data_url(&self) -> String {
        format!(
            "{}/services/data/v{}",
            self.instance_url(),
            self.api_version()
        )
    }

    fn rest(
        &self,
        operation: &str,
        idempotent: bool,
        method: &'static str,
        url: String,
        body: Option<&Value>,
    ) -> Result<Response, OrgError> {
        let call = CallInfo {
            operation,
            protocol: Protocol::Rest,
            idempotent,
        };
        let text = body.map(Value::to_string);
        self.execute(&call, |token: &Secret| Request {
            method,
            url: url.clone(),
            headers: vec![
                ("Authorization", format!("Bearer {}", token.expose())),
                ("Accept", "application/json".into()),
            ],
            body: match &text {
                Some(t) => Body::Text {
                    content_type: "application/json",
                    text: t.clone(),
                },
                None => Body::Empty,
            },
        })
    }

    fn json<T: for<'de> Deserialize<'de>>(
        &self,
        operation: &str,
        r: &Response,
    ) -> Result<T, OrgError> {
        serde_json::from_str(&r.body)
            .map_err(|e| self.protocol_error(operation, format!("unexpected JSON ({e})")))
    }

    /// Runs a SOQL query and follows `nextRecordsUrl` until `done`.
    pub fn query(&self, soql: &str) -> Result<QueryResult, OrgError> {
        let mut url = url::Url::parse(&format!("{}/query", self.data_url()))
            .map_err(|e| self.protocol_error("query", e.to_string()))?;
        url.query_pairs_mut().append_pair("q", soql);
        let mut out = QueryResult::default();
        let mut next = url.to_string();
        for _page in 0..10_000 {
            let resp = self.rest("query", true, "GET", next.clone(), None)?;
            let page: WirePage = self.json("query", &resp)?;
            out.total_size = page.total_size;
            out.records.extend(page.records);
            match (page.done, page.next_records_url) {
                (false, Some(path)) => {
                    if !path.starts_with("/services/data/") {
                        return Err(self.protocol_error(
                            "query",
                            format!("nextRecordsUrl `{path}` is not a data API path"),
                        ));
                    }
                    next = format!("{}{}", self.instance_url(), path);
                }
                _ => return Ok(out),
            }
        }
        Err(self.protocol_error("query", "more than 10,000 pages".into()))
    }

    /// `SELECT count() FROM ...`: the count is `totalSize`.
    pub fn count(&self, soql: &str) -> Result<u64, OrgError> {
        Ok(self.query(soql)?.total_size)
    }

    /// Creates one record; returns its id. Never retried.
    pub fn create(&self, sobject: &str, fields: &Map<String, Value>) -> Result<String, OrgError> {
        let url = format!("{}/sobjects/{}", self.data_url(), path_segment(sobject));
        let body = Value::Object(fields.clone());
        let resp = self.rest(
            &format!("create {sobject}"),
            false,
            "POST",
            url,
            Some(&body),
        )?;
        let c: WireCreated = self.json("create", &resp)?;
        Ok(c.id)
    }

    /// Updates one record (PATCH, 204). Never retried.
    pub fn update(
        &self,
        sobject: &str,
        id: &str,
        fields: &Map<String, Value>,
    ) -> Result<(), OrgError> {
        let url = format!(
            "{}/sobjects/{}/{}",
            self.data_url(),
            path_segment(sobject),
            path_segment(id)
        );
        let body = Value::Object(fields.clone());
        self.rest(
            &format!("update {sobject}"),
            false,
            "PATCH",
            url,
            Some(&body),
        )?;
        Ok(())
    }

    /// `GET /sobjects/{name}/describe`, as JSON.
    pub fn describe(&self, sobject: &str) -> Result<Value, OrgError> {
        let url = format!(
            "{}/sobjects/{}/describe",
            self.data_url(),
            path_segment(sobject)
        );
        let resp = self.rest(&format!("describe {sobject}"), true, "GET", url, None)?;
        self.json("describe", &resp)
    }

    /// `GET` of a path under the data API (e.g. `/limits`), as JSON.
    pub fn get_json(&self, path: &str) -> Result<Value, OrgError> {
        let url = format!("{}{}", self.data_url(), path);
        let resp = self.rest(&format!("GET {path}"), true, "GET", url, None)?;
        self.json(path, &resp)
    }
}

/// Percent-encodes one URL path segment (sObject names and ids are plain,
/// but a stray `/` or `?` must not change the request).
fn path_segment(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soql_literals_are_escaped() {
        assert_eq!(soql_quote("O'Brien"), r"'O\'Brien'");
        assert_eq!(soql_quote(r"a\b"), r"'a\\b'");
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(path_segment("User"), "User");
        assert_eq!(path_segment("a/b?c"), "a%2Fb%3Fc");
    }
}

//! The API versions an org serves (`GET /services/data`): read once per
//! `Org` and remembered, for choosing the version at login (the newest) and
//! for plan's check of the spec's version.
//! Does not: decide what a missing version means (see `plan::checks`).

use super::client::{CallInfo, Org, Protocol};
use super::error::OrgError;
use super::http::Request;
use super::target::ApiVersion;

impl Org {
    /// `GET /services/data`: the last (newest) version the org offers.
    pub(super) fn newest_api_version(&self) -> Result<ApiVersion, OrgError> {
        let versions = self.served_api_versions()?;
        let newest = versions
            .iter()
            .filter_map(|v| Some((v.parse::<f64>().ok()?, v)))
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .ok_or_else(|| {
                self.protocol_error("list API versions", "the version list is empty".into())
            })?;
        ApiVersion::parse(newest.1)
    }

    /// The API versions the org serves (`GET /services/data`), as the org
    /// spells them (`63.0`); asked once per `Org`, then remembered.
    pub fn served_api_versions(&self) -> Result<&[String], OrgError> {
        if let Some(v) = self.served.get() {
            return Ok(v);
        }
        let list = self.fetch_api_versions()?;
        Ok(self.served.get_or_init(|| list))
    }

    /// Whether `served_api_versions` would answer without a request.
    pub fn knows_api_versions(&self) -> bool {
        self.served.get().is_some()
    }

    fn fetch_api_versions(&self) -> Result<Vec<String>, OrgError> {
        #[derive(serde::Deserialize)]
        struct V {
            version: String,
        }
        let url = format!("{}/services/data", self.instance_url());
        let call = CallInfo {
            operation: "list API versions",
            protocol: Protocol::Rest,
            idempotent: true,
        };
        let resp = self.execute(&call, |token| Request {
            method: "GET",
            url: url.clone(),
            headers: vec![
                ("Authorization", format!("Bearer {}", token.expose())),
                ("Accept", "application/json".into()),
            ],
            body: super::http::Body::Empty,
        })?;
        let versions: Vec<V> = serde_json::from_str(&resp.body).map_err(|e| {
            self.protocol_error(call.operation, format!("not a version list ({e})"))
        })?;
        Ok(versions.into_iter().map(|v| v.version).collect())
    }
}

//! `OrgWrite`: what apply needs besides reading, at the level apply thinks in.
//! Owns: the trait (deploy a zip and follow it with progress; create, update
//! and delete one record; ask for a password reset) and its implementation
//! for `RemoteOrg`. `DirOrg` has none: the type system keeps a directory out
//! of apply. Writes are never retried (see `client`); apply queries first.
//! Does not: decide what to deploy or which records to write (see `apply`).

use serde_json::{Map, Value};

use super::client::{CallInfo, Protocol};
use super::error::OrgError;
use super::http::{Body, Request};
use super::mdapi::{DeployOptions, DeployResult};
use super::poll::PollObserver;
use super::read::{OrgRead, RemoteOrg};
use crate::secret::Secret;

/// An org apply can change.
pub trait OrgWrite: OrgRead {
    /// Submits a deploy of `zip` and polls it to the end, reporting each
    /// poll to `progress`. A failed deploy is `Ok` (read its failures).
    fn deploy(
        &self,
        zip: &[u8],
        opts: &DeployOptions,
        progress: &mut dyn PollObserver,
    ) -> Result<DeployResult, OrgError>;
    /// Creates one record; returns its id.
    fn create(&self, sobject: &str, fields: &Map<String, Value>) -> Result<String, OrgError>;
    /// Updates fields of one record.
    fn update(&self, sobject: &str, id: &str, fields: &Map<String, Value>) -> Result<(), OrgError>;
    /// Deletes one record.
    fn delete(&self, sobject: &str, id: &str) -> Result<(), OrgError>;
    /// Resets a user's password; Salesforce emails the user. The answer
    /// (which holds the new password) is dropped unread.
    fn reset_password(&self, user_id: &str) -> Result<(), OrgError>;
}

impl RemoteOrg {
    fn send_rest(&self, operation: &str, method: &'static str, path: &str) -> Result<(), OrgError> {
        let url = format!("{}{path}", self.org.data_url());
        let call = CallInfo {
            operation,
            protocol: Protocol::Rest,
            idempotent: false,
        };
        self.org.execute(&call, |token: &Secret| Request {
            method,
            url: url.clone(),
            headers: vec![
                ("Authorization", format!("Bearer {}", token.expose())),
                ("Accept", "application/json".into()),
            ],
            body: Body::Empty,
        })?;
        Ok(())
    }
}

impl OrgWrite for RemoteOrg {
    fn deploy(
        &self,
        zip: &[u8],
        opts: &DeployOptions,
        progress: &mut dyn PollObserver,
    ) -> Result<DeployResult, OrgError> {
        self.org.deploy_and_wait(zip, opts, &self.wait, progress)
    }
    fn create(&self, sobject: &str, fields: &Map<String, Value>) -> Result<String, OrgError> {
        self.org.create(sobject, fields)
    }
    fn update(&self, sobject: &str, id: &str, fields: &Map<String, Value>) -> Result<(), OrgError> {
        self.org.update(sobject, id, fields)
    }
    fn delete(&self, sobject: &str, id: &str) -> Result<(), OrgError> {
        self.send_rest(
            &format!("delete {sobject}"),
            "DELETE",
            &format!("/sobjects/{}/{}", segment(sobject), segment(id)),
        )
    }
    fn reset_password(&self, user_id: &str) -> Result<(), OrgError> {
        self.send_rest(
            "reset password",
            "DELETE",
            &format!("/sobjects/User/{}/password", segment(user_id)),
        )
    }
}

/// Percent-encodes one URL path segment.
fn segment(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

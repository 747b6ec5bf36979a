//! The local org emulator over real HTTP on 127.0.0.1:0 (issue 3).

pub(crate) mod client;
mod clients;
mod faults;
mod golden;
mod mdapi;
mod oauth;
mod rest;
mod semantics;
mod serve;
mod wsdl;

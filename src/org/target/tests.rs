//! Target resolution with plain values: no process spawned, no real HOME.

use super::*;

fn opts() -> TargetOptions {
    TargetOptions::default()
}

#[test]
fn flag_beats_env_beats_config() {
    let env = Environment {
        sf_target_org: Some("from-env".into()),
        sf_config_target_org: Some("from-config".into()),
        ..Environment::default()
    };
    let o = TargetOptions {
        target_org: Some("prod".into()),
        ..opts()
    };
    assert_eq!(
        resolve_target(&o, &env).unwrap(),
        Target::SfCli {
            name: "prod".into()
        }
    );
    assert_eq!(
        resolve_target(&opts(), &env).unwrap(),
        Target::SfCli {
            name: "from-env".into()
        }
    );
    let env = Environment {
        sf_config_target_org: Some("from-config".into()),
        ..Environment::default()
    };
    assert_eq!(
        resolve_target(&opts(), &env).unwrap(),
        Target::SfCli {
            name: "from-config".into()
        }
    );
    assert!(matches!(
        resolve_target(&opts(), &Environment::default()),
        Err(OrgError::NoTarget)
    ));
}

#[test]
fn local_is_the_emulator() {
    let o = TargetOptions {
        target_org: Some("local".into()),
        ..opts()
    };
    assert_eq!(
        resolve_target(&o, &Environment::default()).unwrap(),
        Target::Local
    );
}

#[test]
fn access_token_comes_from_the_environment_only() {
    let o = TargetOptions {
        instance_url: Some("https://acme.my.salesforce.com/".into()),
        ..opts()
    };
    let err = resolve_target(&o, &Environment::default()).unwrap_err();
    assert!(matches!(err, OrgError::MissingAccessToken { .. }));
    assert!(err.hint().unwrap().contains("SF_ACCESS_TOKEN"));
    let env = Environment {
        sf_access_token: Some(Secret::new("00Dx!tok")),
        sf_target_org: Some("ignored".into()),
        ..Environment::default()
    };
    match resolve_target(&o, &env).unwrap() {
        Target::AccessToken {
            instance_url,
            token,
        } => {
            assert_eq!(instance_url, "https://acme.my.salesforce.com");
            assert_eq!(token.expose(), "00Dx!tok");
        }
        other => panic!("{other:?}"),
    }
    // Plain HTTP only to loopback.
    let o = TargetOptions {
        instance_url: Some("http://acme.my.salesforce.com".into()),
        ..opts()
    };
    assert!(matches!(
        resolve_target(&o, &env),
        Err(OrgError::InsecureUrl { .. })
    ));
}

#[test]
fn jwt_needs_all_three_and_picks_the_audience() {
    let o = TargetOptions {
        client_id: Some("3MVG9".into()),
        jwt_key_file: Some("server.key".into()),
        ..opts()
    };
    let err = resolve_target(&o, &Environment::default()).unwrap_err();
    assert!(err.to_string().contains("--username"), "{err}");
    let o = TargetOptions {
        username: Some("ci@acme.com".into()),
        ..o
    };
    let Target::Jwt(j) = resolve_target(&o, &Environment::default()).unwrap() else {
        panic!()
    };
    assert_eq!(j.audience, LOGIN_AUDIENCE);
    assert_eq!(j.token_host, LOGIN_AUDIENCE);

    let sandbox = TargetOptions {
        instance_url: Some("https://acme--uat.sandbox.my.salesforce.com".into()),
        ..o.clone()
    };
    let Target::Jwt(j) = resolve_target(&sandbox, &Environment::default()).unwrap() else {
        panic!()
    };
    assert_eq!(j.audience, TEST_AUDIENCE);
    assert_eq!(j.token_host, "https://acme--uat.sandbox.my.salesforce.com");

    let env = Environment {
        sf_audience_url: Some("https://acme.my.site.com".into()),
        ..Environment::default()
    };
    let Target::Jwt(j) = resolve_target(&o, &env).unwrap() else {
        panic!()
    };
    assert_eq!(j.audience, "https://acme.my.site.com");

    let both = TargetOptions {
        target_org: Some("prod".into()),
        ..o
    };
    assert!(matches!(
        resolve_target(&both, &Environment::default()),
        Err(OrgError::ConflictingOptions(_))
    ));
}

#[test]
fn audiences() {
    assert_eq!(
        audience_for(Some("https://test.salesforce.com")),
        TEST_AUDIENCE
    );
    assert_eq!(
        audience_for(Some("https://cs42.salesforce.com")),
        TEST_AUDIENCE
    );
    assert_eq!(
        audience_for(Some("https://acme.my.salesforce.com")),
        LOGIN_AUDIENCE
    );
    assert_eq!(audience_for(None), LOGIN_AUDIENCE);
}

#[test]
fn username_alone_and_target_with_instance_url_are_refused() {
    let o = TargetOptions {
        username: Some("a@b.c".into()),
        ..opts()
    };
    assert!(resolve_target(&o, &Environment::default()).is_err());
    let o = TargetOptions {
        target_org: Some("prod".into()),
        instance_url: Some("https://x.my.salesforce.com".into()),
        ..opts()
    };
    assert!(matches!(
        resolve_target(&o, &Environment::default()),
        Err(OrgError::ConflictingOptions(_))
    ));
}

#[test]
fn api_versions() {
    assert_eq!(ApiVersion::parse("63.0").unwrap().as_str(), "63.0");
    assert_eq!(ApiVersion::parse("v64").unwrap().as_str(), "64.0");
    assert!(matches!(
        ApiVersion::parse("39.0"),
        Err(OrgError::ApiVersionTooOld { .. })
    ));
    assert!(matches!(
        ApiVersion::parse("sixty"),
        Err(OrgError::BadApiVersion { .. })
    ));
}

#[test]
fn sf_config_files() {
    let home = tempfile::tempdir().unwrap();
    let project = home.path().join("work/proj");
    std::fs::create_dir_all(project.join("sub")).unwrap();
    assert_eq!(
        configured_target_org(Some(&project), Some(home.path())),
        None
    );
    std::fs::create_dir_all(home.path().join(".sf")).unwrap();
    std::fs::write(
        home.path().join(".sf/config.json"),
        r#"{"target-org":"global-org"}"#,
    )
    .unwrap();
    assert_eq!(
        configured_target_org(Some(&project.join("sub")), Some(home.path())).as_deref(),
        Some("global-org")
    );
    std::fs::create_dir_all(project.join(".sf")).unwrap();
    std::fs::write(
        project.join(".sf/config.json"),
        r#"{"target-org":"project-org"}"#,
    )
    .unwrap();
    assert_eq!(
        configured_target_org(Some(&project.join("sub")), Some(home.path())).as_deref(),
        Some("project-org")
    );
}

#[test]
fn http_timeout_from_the_environment() {
    let env = |v: &str| Environment {
        http_timeout: Some(v.into()),
        ..Environment::default()
    };
    let t = |v: &str| ConnectOptions::from_environment(&env(v)).map(|o| o.request_timeout);
    assert_eq!(
        ConnectOptions::from_environment(&Environment::default())
            .unwrap()
            .request_timeout,
        DEFAULT_REQUEST_TIMEOUT
    );
    assert_eq!(t("90").unwrap(), Duration::from_secs(90));
    assert_eq!(t("0.5").unwrap(), Duration::from_millis(500));
    assert_eq!(t("5s").unwrap(), Duration::from_secs(5));
    for bad in ["soon", "0", "-3", "NaN", "inf", "3601"] {
        let e = t(bad).unwrap_err();
        assert!(matches!(e, OrgError::BadTimeout { .. }), "{bad}: {e:?}");
        assert!(e.hint().unwrap().contains("SFPROV_HTTP_TIMEOUT"), "{bad}");
    }
    assert_eq!(seconds(&Duration::from_secs(60)), "60 s");
    assert_eq!(seconds(&Duration::from_millis(1500)), "1.5 s");
    assert_eq!(seconds(&Duration::from_millis(250)), "250 ms");
}

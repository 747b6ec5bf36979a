//! The generated trees in golden/*/mdapi deploy to the emulated org as they
//! are: the emulator and generate agree on names, dependencies and fields.

use super::client::*;

#[test]
fn golden_mdapi_trees_deploy() {
    use base64::Engine;
    let golden = crate::common::root().join("golden");
    let mut report = Vec::new();
    for entry in std::fs::read_dir(&golden).unwrap() {
        let mdapi = entry.unwrap().path().join("mdapi");
        if !mdapi.is_dir() {
            continue;
        }
        let org = Org::start();
        let all: Vec<(String, Vec<u8>)> = crate::common::tree(&mdapi).into_iter().collect();
        let r = org.soap(&format!(
            "<met:deploy><met:ZipFile>{}</met:ZipFile><met:DeployOptions><met:rollbackOnError>true</met:rollbackOnError>\
<met:singlePackage>true</met:singlePackage></met:DeployOptions></met:deploy>",
            base64::engine::general_purpose::STANDARD.encode(zip_raw(&all))
        ));
        let res = org.deploy_wait(&tag(&r.body, "id").unwrap());
        if tag(&res, "status").as_deref() != Some("Succeeded") {
            report.push(format!("{}: {:?}", mdapi.display(), tags(&res, "problem")));
        }
    }
    assert!(report.is_empty(), "{report:#?}");
}

#[test]
fn a_deployed_permission_set_retrieves_byte_for_byte() {
    let golden = crate::common::root().join("golden");
    for name in ["zendesk", "classy", "integration-user"] {
        let dir = golden.join(name).join("mdapi/permissionsets");
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            let text = std::fs::read_to_string(&p).unwrap();
            let file = p.file_name().unwrap().to_string_lossy().to_string();
            let member = file.trim_end_matches(".permissionset").to_string();
            let org = Org::start();
            let res = org.deploy(&[(&format!("permissionsets/{file}"), &text)]);
            assert_eq!(tag(&res, "status").as_deref(), Some("Succeeded"), "{res}");
            let (_, files) = org.retrieve(&[("PermissionSet", &member)], true);
            assert_eq!(
                files[&format!("permissionsets/{file}")],
                text,
                "{name}/{file}"
            );
        }
    }
}

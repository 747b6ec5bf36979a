//! Which built-in template an existing user most likely serves, when the
//! audit is given no spec: the template's name in the username, the user's
//! name or profile, and the template's permission sets among the user's.
//! Owns: `best`. Does not: read the org.

use super::access::UserFacts;
use crate::templates;

/// The generic template, when no vendor's matches.
pub const FALLBACK: &str = "integration-user";

/// The best template and why it was chosen, in one sentence.
pub fn best(user: &UserFacts) -> (&'static str, String) {
    let mut scored: Vec<(u32, &'static str, Vec<String>)> = Vec::new();
    for t in templates::all() {
        if t.name == FALLBACK {
            continue;
        }
        let needle = t.name.to_ascii_lowercase();
        let mut score = 0;
        let mut why = Vec::new();
        if user.username.to_ascii_lowercase().contains(&needle) {
            score += 3;
            why.push("the username".to_string());
        }
        if user.name.to_ascii_lowercase().contains(&needle) {
            score += 2;
            why.push("the user's name".to_string());
        }
        let Ok(loaded) = crate::spec::load_template(t.name) else {
            continue;
        };
        let theirs = &loaded.desired.permission_sets;
        let their_profile = loaded
            .desired
            .user
            .as_ref()
            .and_then(|u| u.profile.as_deref());
        // The template's own profile, or its name in the profile's: weaker
        // evidence than its permission sets (profile names are often alike).
        let theirs_by_name = their_profile.is_some_and(|p| p.eq_ignore_ascii_case(&user.profile))
            && loaded.desired.profiles.contains_key(&user.profile);
        if theirs_by_name || user.profile.to_ascii_lowercase().contains(&needle) {
            score += 2;
            why.push(format!("profile `{}`", user.profile));
        }
        for ps in &user.permission_sets {
            if theirs.contains_key(ps) {
                score += 3;
                why.push(format!("permission set `{ps}`"));
            } else if ps.to_ascii_lowercase().contains(&needle) {
                score += 1;
                why.push(format!("permission set `{ps}`"));
            }
        }
        if score > 0 {
            scored.push((score, t.name, why));
        }
    }
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    match scored.first() {
        None => (
            FALLBACK,
            format!("no vendor template's name matches the user; compared with the generic `{FALLBACK}` template (pass --template NAME or --spec FILE to choose)"),
        ),
        Some((top, name, why)) => {
            let tied: Vec<&str> = scored.iter().skip(1).filter(|s| s.0 == *top).map(|s| s.1).collect();
            let also: Vec<&str> = scored.iter().skip(1).filter(|s| s.0 != *top).map(|s| s.1).collect();
            let mut text = format!("best match: {} name{} {name}", why.join(", "), if why.len() == 1 { "s" } else { "" });
            if !tied.is_empty() {
                text.push_str(&format!(" (tied with {}: chosen by name)", tied.join(", ")));
            }
            if !also.is_empty() {
                text.push_str(&format!(" (also matched: {})", also.join(", ")));
            }
            text.push_str("; pass --template NAME or --spec FILE to choose another");
            (name, text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(username: &str, profile: &str, sets: &[&str]) -> UserFacts {
        UserFacts {
            username: username.into(),
            profile: profile.into(),
            permission_sets: sets.iter().map(|s| s.to_string()).collect(),
            ..UserFacts::default()
        }
    }

    #[test]
    fn names_and_permission_sets_pick_the_template() {
        let (t, why) = best(&user(
            "zendesk.legacy@acme.example",
            "Zendesk Admin Clone",
            &[],
        ));
        assert_eq!(t, "zendesk");
        assert!(
            why.starts_with("best match: the username, profile `Zendesk Admin Clone` name zendesk"),
            "{why}"
        );
        let (t, why) = best(&user(
            "integrations@acme.example",
            "API Only",
            &["Classy_Integration"],
        ));
        assert_eq!(t, "classy", "{why}");
        let (t, why) = best(&user("sync@acme.example", "Standard User", &[]));
        assert_eq!(t, FALLBACK);
        assert!(why.contains("no vendor template"), "{why}");
    }
}

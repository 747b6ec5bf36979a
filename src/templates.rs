//! Built-in integration templates, embedded in the binary.
//! Owns: the list `sfprov templates` shows and `init`/`template = ".."` use.
//! Does not: interpret them (a template is a spec file; see `spec`).

/// One built-in template.
#[derive(Debug, Clone, Copy)]
pub struct Template {
    pub name: &'static str,
    /// The vendor article it encodes (shared/seeds).
    pub source: &'static str,
    pub text: &'static str,
}

static TEMPLATES: &[Template] = &[
    Template {
        name: "classy",
        source: "Classy for Salesforce (C4SF): API integration user",
        text: include_str!("../templates/classy.toml"),
    },
    Template {
        name: "integration-user",
        source: "Best practices for a dedicated API integration user",
        text: include_str!("../templates/integration-user.toml"),
    },
    Template {
        name: "salesscreen",
        source: "SalesScreen: API Only integration user",
        text: include_str!("../templates/salesscreen.toml"),
    },
    Template {
        name: "zendesk",
        source: "Zendesk for Salesforce: the user that connects the integration",
        text: include_str!("../templates/zendesk.toml"),
    },
];

/// Every template, sorted by name.
pub fn all() -> &'static [Template] {
    TEMPLATES
}

/// The template with this name.
pub fn get(name: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.name == name)
}

impl Template {
    /// The template's own `description` line, for listings.
    pub fn description(&self) -> String {
        self.text
            .lines()
            .find_map(|l| l.strip_prefix("description = "))
            .and_then(|d| toml::from_str::<toml::Value>(&format!("d = {d}")).ok())
            .and_then(|v| v.get("d").and_then(|d| d.as_str().map(str::to_string)))
            .unwrap_or_else(|| self.source.to_string())
    }
}

/// The starter `sfprov.toml` that `sfprov init --template NAME` writes: the
/// template reference plus the user's identity, to be edited.
pub fn starter_spec(t: &Template) -> String {
    let first = match t.name {
        "zendesk" => "Zendesk",
        "classy" => "Classy",
        "salesscreen" => "SalesScreen",
        _ => "API",
    };
    let alias: String = first
        .to_ascii_lowercase()
        .chars()
        .take(5)
        .collect::<String>()
        + "int";
    format!(
        "# sfprov.toml: {description}.\n\
# Starts from the built-in template `{name}` (`sfprov templates` lists them).\n\
# Any table or key here overrides the template's; `sfprov generate` writes the metadata.\n\
api_version = \"63.0\"\n\
template = \"{name}\"\n\
\n\
[user]\n\
# The username must look like an email address and be unique across all Salesforce orgs.\n\
username = \"{lower}.integration@example.com\"\n\
email = \"salesforce-admins@example.com\"\n\
first_name = \"{first}\"\n\
last_name = \"Integration\"\n\
alias = \"{alias}\"\n\
time_zone = \"America/Los_Angeles\"\n\
locale = \"en_US\"\n",
        description = t.description(),
        name = t.name,
        lower = first.to_ascii_lowercase(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_sorted_unique_and_have_descriptions() {
        let names: Vec<&str> = all().iter().map(|t| t.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
        for t in all() {
            assert!(t
                .text
                .contains(&format!("description = \"{}\"", t.description())));
            assert!(get(t.name).is_some());
        }
    }

    #[test]
    fn starter_specs_load() {
        for t in all() {
            let text = starter_spec(t);
            let loaded = crate::spec::load_str("sfprov.toml", &text)
                .unwrap_or_else(|e| panic!("{}: {e}", t.name));
            let user = loaded.desired.user.unwrap();
            assert!(user.username.unwrap().ends_with("@example.com"));
            assert!(user.alias.unwrap().len() <= 8);
        }
    }
}

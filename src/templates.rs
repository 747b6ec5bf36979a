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

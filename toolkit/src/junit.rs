//! JUnit XML reports: one suite of cases, each passed or failed with its text.
//!
//! The format has no formal standard; this writes the subset every CI system reads (Jenkins,
//! GitLab, GitHub actions that publish test results): `<testsuites>` around one `<testsuite>` with
//! `tests` and `failures` counts, and one `<testcase>` per case, holding a `<failure>` whose
//! `message` is the first line of the failure and whose body is all of it.

use std::fmt::Write as _;
use std::path::Path;

/// One case: a name and, when it failed, why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// The case's name (`string`, `seed 42`).
    pub name: String,
    /// The failure's text (its first line becomes the short message); `None` when it passed.
    pub failure: Option<String>,
}

/// A suite: the run that produced the cases.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suite {
    /// The suite's name (`verdis-conform`), also each case's `classname`.
    pub name: String,
    /// The cases, in the order they are reported.
    pub cases: Vec<Case>,
}

impl Case {
    /// A case that passed.
    pub fn passed(name: impl Into<String>) -> Case {
        Case { name: name.into(), failure: None }
    }

    /// A case that failed with `text`.
    pub fn failed(name: impl Into<String>, text: impl Into<String>) -> Case {
        Case { name: name.into(), failure: Some(text.into()) }
    }
}

impl Suite {
    /// The report as an XML document.
    pub fn to_xml(&self) -> String {
        let failures = self.cases.iter().filter(|c| c.failure.is_some()).count();
        let name = escape(&self.name);
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let counts = format!("tests=\"{}\" failures=\"{failures}\" errors=\"0\"", self.cases.len());
        let _ = writeln!(out, "<testsuites name=\"{name}\" {counts}>");
        let _ = writeln!(out, "  <testsuite name=\"{name}\" {counts} skipped=\"0\">");
        for case in &self.cases {
            let case_name = escape(&case.name);
            match &case.failure {
                None => {
                    let _ = writeln!(out, "    <testcase name=\"{case_name}\" classname=\"{name}\"/>");
                }
                Some(text) => {
                    let message = escape(text.lines().next().unwrap_or(""));
                    let _ = writeln!(out, "    <testcase name=\"{case_name}\" classname=\"{name}\">");
                    let _ = writeln!(out, "      <failure message=\"{message}\">{}</failure>", escape(text));
                    let _ = writeln!(out, "    </testcase>");
                }
            }
        }
        out.push_str("  </testsuite>\n</testsuites>\n");
        out
    }

    /// Writes the report to `path`.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        std::fs::write(path, self.to_xml())
    }
}

/// Text as XML character data or an attribute value. Characters XML 1.0 cannot carry at all (most
/// control characters, which a mismatching reply may hold) are written as `\xNN`.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' => out.push(c),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suite() -> Suite {
        Suite {
            name: "verdis-conform".into(),
            cases: vec![
                Case::passed("generic"),
                Case::failed("string", "get: 1 of 9 cases mismatched\n   oracle:  $1\\r\\na\n   subject: <&\"\x01\">"),
            ],
        }
    }

    #[test]
    fn counts_and_failure_text_survive_a_real_parser() {
        // A standard XML parser reads back the counts, both cases and the exact failure text,
        // markup and control characters included.
        let xml = suite().to_xml();
        let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
        let suite_node = doc.descendants().find(|n| n.has_tag_name("testsuite")).unwrap();
        assert_eq!(suite_node.attribute("tests"), Some("2"));
        assert_eq!(suite_node.attribute("failures"), Some("1"));
        let cases: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("testcase")).collect();
        assert_eq!(cases.iter().map(|c| c.attribute("name").unwrap()).collect::<Vec<_>>(), ["generic", "string"]);
        assert!(cases[0].children().all(|n| !n.has_tag_name("failure")));
        let failure = cases[1].children().find(|n| n.has_tag_name("failure")).expect("a failure");
        assert_eq!(failure.attribute("message"), Some("get: 1 of 9 cases mismatched"));
        assert_eq!(
            failure.text(),
            Some("get: 1 of 9 cases mismatched\n   oracle:  $1\\r\\na\n   subject: <&\"\\x01\">")
        );
    }

    #[test]
    fn a_suite_without_failures_says_so() {
        // No case failed: failures="0" and no failure element.
        let ok = Suite { name: "s".into(), cases: vec![Case::passed("a")] };
        let xml = ok.to_xml();
        assert!(xml.contains("tests=\"1\" failures=\"0\""), "{xml}");
        assert!(!xml.contains("<failure"), "{xml}");
    }
}

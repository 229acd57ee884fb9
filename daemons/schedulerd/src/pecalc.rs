//! The `pe_calc` request: the controller sends the CIB, the scheduler answers with the
//! transition graph and saves the CIB as the numbered input of that transition.
//!
//! As Pacemaker 2.1.5 does it:
//! * the CIB's schema must be at least the oldest of the current major version (older ones
//!   are upgraded in a copy first); if that fails the answer is an empty graph with
//!   `transition_id="0" cluster-delay="0"` and no scheduling happens;
//! * an input identical (by digest) to the previous one is scheduled again but not saved
//!   a second time, and the reply names the file saved before;
//! * the series (`pe-error`, `pe-warn`, `pe-input`) follows the run's processing flags, its
//!   length limit the matching `pe-*-series-max` option; the saved file is the CIB as
//!   received plus an `execution-date` attribute.

use crate::input_file;
use crate::messages::{self, attr};
use crate::series::{self, Series};
use libcrmcommon::schemas::Schemas;
use libcrmcommon::xml::Element;
use libpacemaker::{Diagnostic, Diagnostics};
use std::path::PathBuf;

/// The scheduler's state between requests.
pub struct Scheduler {
    state_dir: PathBuf,
    /// Digest of the last input that was scheduled.
    last_digest: Option<String>,
    /// The file the last saved input went to (`None` when saving was disabled).
    last_file: Option<PathBuf>,
    /// Number of the last transition calculated (-1 before the first).
    transition_id: i64,
}

impl Scheduler {
    pub fn new(state_dir: PathBuf) -> Scheduler {
        Scheduler { state_dir, last_digest: None, last_file: None, transition_id: -1 }
    }

    /// Handles one `pe_calc` request and returns the reply to send as an event.
    pub fn calculate(&mut self, request: &Element) -> Element {
        let date = now();
        let Some(input) = messages::payload(request) else {
            // Pacemaker would crash here; answer as for an unusable configuration instead.
            tracing::error!("Scheduler request {} carries no CIB; replying with an empty transition", reference(request));
            let diagnostics = Diagnostics { config_error: true, ..Diagnostics::default() };
            let outcome = Outcome { graph: failed_graph(), diagnostics, input: None, options_from_input: false };
            return self.finish(request, outcome, false, date);
        };
        let digest = libcrmcommon::digest::calculate_versioned(input, Some(messages::FEATURE_SET), false);
        let mut diagnostics = Diagnostics::default();
        let graph = match Schemas::system().cli_config_update(input.clone()) {
            Err(failure) => {
                for m in &failure.messages {
                    tracing::debug!("{}", m);
                }
                tracing::error!("{}", failure.message);
                diagnostics.config_error = true;
                // Unscheduled, so no options were read: the series limits are the defaults.
                let outcome = Outcome { graph: failed_graph(), diagnostics, input: Some(input), options_from_input: false };
                return self.finish(request, outcome, false, date);
            }
            Ok(update) => {
                if let Some(warning) = &update.warning {
                    tracing::warn!("{}", warning);
                    diagnostics.config_warning = true;
                }
                if let Some(message) = &update.log_message {
                    tracing::info!("{}", message);
                }
                self.transition_id += 1;
                self.schedule(&update.document, &mut diagnostics)
            }
        };
        let repeated = self.last_digest.as_deref().is_some_and(|d| d.eq_ignore_ascii_case(&digest));
        self.last_digest = Some(digest);
        let outcome = Outcome { graph, diagnostics, input: Some(input), options_from_input: true };
        self.finish(request, outcome, repeated, date)
    }

    fn schedule(&self, cib: &Element, diagnostics: &mut Diagnostics) -> Element {
        let id = u64::try_from(self.transition_id).unwrap_or(0);
        let transition = match libpacemaker::calculate_transition(cib, id) {
            Ok(t) => t,
            Err(e) => {
                // Pacemaker finds none of the sections it looks for in such a document and
                // schedules an empty cluster with default options; so do we.
                tracing::warn!("Scheduling an empty cluster: {}", e);
                match libpacemaker::calculate_transition(&empty_cib(), id) {
                    Ok(t) => t,
                    Err(e) => {
                        tracing::error!("Cannot schedule even an empty cluster: {}", e);
                        diagnostics.processing_error = true;
                        return Element::new("transition_graph").with_attr("transition_id", id.to_string());
                    }
                }
            }
        };
        let found = transition.diagnostics;
        for message in &found.messages {
            match message {
                Diagnostic::Error { function, text } => tracing::error!(function = *function, "{}", text),
                Diagnostic::Warning { function, text } => tracing::warn!(function = *function, "{}", text),
            }
        }
        diagnostics.processing_error |= found.processing_error;
        diagnostics.processing_warning |= found.processing_warning;
        diagnostics.config_error |= found.config_error;
        diagnostics.config_warning |= found.config_warning;
        transition.graph
    }

    /// Builds the reply, logs the outcome and saves the input unless it is a repeat.
    fn finish(&mut self, request: &Element, outcome: Outcome<'_>, repeated: bool, date: i64) -> Element {
        let diagnostics = &outcome.diagnostics;
        let series = Series::pick(diagnostics.processing_error, diagnostics.processing_warning);
        let configured = outcome.input.filter(|_| outcome.options_from_input).and_then(|cib| cluster_option(cib, series.option()));
        let limit = series.limit(configured.as_deref());
        let number = series::next_number(&self.state_dir, series);

        let mut reply = messages::reply(request, "handle_pecalc_request", Some(&outcome.graph));
        if limit == 0 {
            self.last_file = None;
        } else if !repeated && outcome.input.is_some() {
            self.last_file = Some(series::file_name(&self.state_dir, series, number));
        }
        // Without a CIB nothing was saved: naming the previous file would be wrong.
        if let Some(file) = self.last_file.as_ref().filter(|_| outcome.input.is_some()) {
            reply.set_attr(attr::GRAPH_INPUT, file.display().to_string());
        }
        reply.set_attr(attr::GRAPH_ERRORS, flag(diagnostics.processing_error));
        reply.set_attr(attr::GRAPH_WARNINGS, flag(diagnostics.processing_warning));
        reply.set_attr(attr::CONFIG_ERRORS, flag(diagnostics.config_error));
        reply.set_attr(attr::CONFIG_WARNINGS, flag(diagnostics.config_warning));
        self.log_summary(diagnostics);

        if limit == 0 {
            tracing::debug!("Not saving input to disk (disabled by configuration)");
        } else if repeated {
            tracing::info!("Input has not changed since last time, not saving to disk");
        } else if let (Some(cib), Some(path)) = (outcome.input, &self.last_file) {
            let mut saved = cib.clone();
            saved.set_attr("execution-date", date.to_string());
            if let Err(e) = input_file::write_compressed(&saved, path) {
                tracing::error!("Could not save scheduler input to {}: {}", path.display(), e);
            }
            series::store_next_number(&self.state_dir, series, number.wrapping_add(1), limit);
        }
        reply
    }

    fn log_summary(&self, diagnostics: &Diagnostics) {
        let saving = match &self.last_file {
            Some(f) => format!(", saving inputs in {}", f.display()),
            None => String::new(),
        };
        if diagnostics.processing_error {
            tracing::error!("Calculated transition {} (with errors){}", self.transition_id, saving);
        } else if diagnostics.processing_warning {
            tracing::warn!("Calculated transition {} (with warnings){}", self.transition_id, saving);
        } else {
            tracing::info!("Calculated transition {}{}", self.transition_id, saving);
        }
        if diagnostics.config_error {
            tracing::info!(
                "Configuration errors found during scheduler processing,  please run \"crm_verify -L\" to identify issues"
            );
        }
    }
}

/// What one request came to, before the reply is built.
struct Outcome<'a> {
    graph: Element,
    diagnostics: Diagnostics,
    /// The CIB as received (what gets saved).
    input: Option<&'a Element>,
    /// Whether the scheduler read the cluster options (else the series limits are defaults).
    options_from_input: bool,
}

fn flag(value: bool) -> &'static str {
    if value {
        "1"
    } else {
        "0"
    }
}

fn empty_cib() -> Element {
    let mut cib = Element::new("cib");
    cib.push_child(Element::new("configuration"));
    cib.push_child(Element::new("status"));
    cib
}

/// The graph Pacemaker answers with when it cannot use the configuration at all.
fn failed_graph() -> Element {
    Element::new("transition_graph").with_attr("transition_id", "0").with_attr("cluster-delay", "0")
}

fn reference(request: &Element) -> &str {
    request.attr(attr::REFERENCE).unwrap_or("(no reference)")
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A cluster option from the CIB's `cib-bootstrap-options`-style property sets: the set
/// named `cib-bootstrap-options` wins, then the first set naming it.
fn cluster_option(cib: &Element, name: &str) -> Option<String> {
    let crm_config = cib.child("configuration")?.child("crm_config")?;
    let mut sets: Vec<&Element> = crm_config.elements().filter(|e| e.name == "cluster_property_set").collect();
    sets.sort_by_key(|set| set.id() != Some("cib-bootstrap-options"));
    sets.iter()
        .flat_map(|set| set.elements())
        .find(|nv| nv.name == "nvpair" && nv.attr("name") == Some(name))
        .and_then(|nv| nv.attr("value"))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use libcrmcommon::xml;

    fn request(cib: &str) -> Element {
        let mut r = Element::new("create_request_adv")
            .with_attr(attr::MSG_TYPE, "request")
            .with_attr(attr::REFERENCE, "pe_calc-crmd-1-1")
            .with_attr(attr::TASK, "pe_calc")
            .with_attr(attr::SYS_TO, "pengine")
            .with_attr(attr::SYS_FROM, "1_crmd");
        r.push_child(Element::new("crm_xml")).push_child(xml::parse(cib).expect("test CIB parses"));
        r
    }

    const CIB: &str = r#"<cib validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config><cluster_property_set id="o"><nvpair id="s" name="stonith-enabled" value="false"/></cluster_property_set></crm_config><nodes/><resources/><constraints/></configuration><status/></cib>"#;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("schedulerd-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn repeated_input_is_not_saved_again() {
        let dir = temp_dir("repeat");
        let mut s = Scheduler::new(dir.clone());
        let first = s.calculate(&request(CIB));
        let second = s.calculate(&request(CIB));
        let name = dir.join("pe-input-0.bz2").display().to_string();
        assert_eq!(first.attr(attr::GRAPH_INPUT), Some(name.as_str()));
        assert_eq!(second.attr(attr::GRAPH_INPUT), Some(name.as_str()));
        assert_eq!(std::fs::read_to_string(dir.join("pe-input.last")).expect("counter"), "1");
        let graph = second.child("crm_xml").and_then(Element::first_element).expect("graph");
        assert_eq!(graph.attr("transition_id"), Some("1"));
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn request_without_cib_gets_an_empty_graph() {
        let dir = temp_dir("nocib");
        let mut s = Scheduler::new(dir.clone());
        let mut r = request(CIB);
        r.remove_child("crm_xml");
        let reply = s.calculate(&r);
        assert_eq!(reply.attr(attr::CONFIG_ERRORS), Some("1"));
        assert_eq!(reply.attr(attr::GRAPH_INPUT), None);
        std::fs::remove_dir_all(&dir).ok();
    }
}

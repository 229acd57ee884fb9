//! crm_simulate: run the scheduler on a CIB (a file, stdin or the live cluster) and show what
//! the cluster would do, in Pacemaker 2.1.5's output format.

mod args;
mod live;
mod plain;
mod profile;

use std::fs;
use std::io::{Read, Write};
use std::process::ExitCode;

use args::{Args, Source};
use libcrmcommon::xml::{self, Element};

/// Exit codes Pacemaker's tools use.
const EXIT_ERROR: u8 = 1;
const EXIT_USAGE: u8 = 64;
const EXIT_NO_INPUT: u8 = 66;
/// The configuration is invalid (CRM_EX_CONFIG).
const EXIT_CONFIG: u8 = 78;
const EXIT_CANNOT_CREATE: u8 = 73;

struct Failure {
    code: u8,
    message: String,
}

fn fail(code: u8, message: impl Into<String>) -> Failure {
    Failure { code, message: message.into() }
}

fn write_file(path: &str, contents: &str) -> Result<(), Failure> {
    fs::write(path, contents).map_err(|e| fail(EXIT_CANNOT_CREATE, format!("Could not write {path}: {e}")))
}

fn read_input(args: &Args) -> Result<(Element, Option<String>), Failure> {
    let (cib, path) = match &args.source {
        Source::Live => (live::query_cib().map_err(|e| fail(EXIT_ERROR, e))?, None),
        Source::Unset => return Err(fail(EXIT_USAGE, "No input given: use --xml-file, --xml-pipe or --live-check")),
        Source::File(path) => {
            let bytes = fs::read(path).map_err(|e| fail(EXIT_NO_INPUT, format!("Could not read {path}: {e}")))?;
            (parse_cib(&bytes, path)?, Some(path.clone()))
        }
        Source::Stdin => {
            let mut bytes = Vec::new();
            std::io::stdin().read_to_end(&mut bytes).map_err(|e| fail(EXIT_NO_INPUT, format!("Could not read stdin: {e}")))?;
            (parse_cib(&bytes, "stdin")?, None)
        }
    };
    let schemas = libcrmcommon::schemas::Schemas::system();
    // Like Pacemaker's tools, schedule a configuration older than the current major
    // schema version as upgraded to it (what -I and -O then save)...
    let mut cib = match schemas.cli_config_update(cib) {
        Ok(update) => {
            if let Some(warning) = update.warning {
                // Pacemaker warns about this before doing anything else.
                eprintln!("{warning}");
            }
            update.document
        }
        Err(e) => return Err(fail(EXIT_CONFIG, e.message)),
    };
    // ...and refuse one that does not conform to its schema.
    if let Err(e) = schemas.validate_xml(&mut cib, None) {
        let what = path.as_deref().unwrap_or(if args.source == Source::Live { "the live CIB" } else { "stdin" });
        return Err(fail(EXIT_CONFIG, format!("{what} does not conform to its schema: {e}")));
    }
    Ok((cib, path))
}

fn parse_cib(bytes: &[u8], what: &str) -> Result<Element, Failure> {
    let cib = xml::parse_bytes(bytes).map_err(|e| fail(EXIT_ERROR, format!("Could not parse {what}: {e}")))?;
    if cib.name != "cib" {
        return Err(fail(EXIT_ERROR, format!("{what} does not hold a CIB (its root is <{}>)", cib.name)));
    }
    Ok(cib)
}

fn run(args: &Args) -> Result<String, Failure> {
    let now = match &args.date {
        Some(d) => Some(libpacemaker::rules::parse_iso8601(d).ok_or_else(|| fail(EXIT_USAGE, format!("Invalid date: {d}")))?),
        None => None,
    };
    if let Some(dir) = &args.profile_dir {
        return profile::profile_dir(dir, args.repeat.max(1), now).map_err(|e| fail(EXIT_NO_INPUT, e));
    }
    let (cib, input_path) = read_input(args)?;
    let mut injections = args.injections.clone();
    injections.now = now.unwrap_or_else(|| std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64));
    // Without -S, crm_simulate stops after the Transition Summary.
    let artifacts = libpacemaker::Artifacts {
        graph: args.run && args.save_graph.is_some(),
        dot: args
            .save_dot
            .as_ref()
            .filter(|_| args.run)
            .map(|_| libpacemaker::DotOptions { all_actions: args.all_actions, with_ids: args.verbose }),
        sections: libpacemaker::output::StatusSections { attributes: args.show_attributes, failures: args.show_failcounts },
        scores: args.show_scores || args.show_utilization,
    };
    let report = libpacemaker::simulate_with(&cib, now, &injections, args.simulate, artifacts)
        .map_err(|e| fail(EXIT_ERROR, e.to_string()))?;
    for error in &report.injection_errors {
        eprintln!("{error}");
    }

    let mut stdout = String::new();
    if let (Some(d), false) = (&args.date, args.quiet) {
        stdout.push_str(&format!("Setting effective cluster time: {d}\n"));
    }
    // What crm_simulate prints before scheduling, and after.
    let (mut before, mut after) = (String::new(), String::new());
    if !args.quiet {
        if args.simulate {
            before.push_str(&report.status_text);
            after.push_str(report.text.get(report.status_text.len()..).unwrap_or_default());
        } else {
            before.push_str(&report.status_text);
            if !report.modifications_text.is_empty() {
                after.push('\n');
                after.push_str(&report.modifications_text);
            }
            if args.run {
                after.push('\n');
                after.push_str(&report.summary_text);
            }
        }
    }
    if args.show_scores || args.show_utilization {
        // Scores and utilization come right after the cluster status, in
        // the plain layout.
        stdout.push_str(&plain::plain_layout(&before));
        stdout.push('\n');
        if !args.quiet {
            stdout.push_str(&report.notices);
        }
        stdout.push_str(match (args.show_scores, args.show_utilization) {
            (true, true) => &report.assignment_log,
            (true, false) => &report.scores,
            _ => &report.utilization,
        });
        stdout.push_str(&plain::plain_layout(&after));
    } else {
        stdout.push_str(&before);
        stdout.push_str(&after);
    }

    if let Some(path) = &args.save_input {
        let scheduled = report.scheduled_cib.as_ref().unwrap_or(&cib);
        let unpacked = libpacemaker::unpack::with_implicit_resources(scheduled);
        write_file(path, &xml::to_formatted(&unpacked))?;
    }
    if args.run {
        if let Some(g) = &args.save_graph {
            write_file(g, &report.graph)?;
        }
        if let Some(d) = &args.save_dot {
            write_file(d, &report.dot)?;
        }
    }
    if let Some(o) = &args.save_output {
        // Without a simulated transition the output is the (injected) input.
        let output = report.revised_cib.as_ref().or(report.scheduled_cib.as_ref()).unwrap_or(&cib);
        write_file(o, &xml::to_formatted(output))?;
    }
    if args.simulate {
        if args.in_place {
            match (&input_path, &report.revised_cib) {
                (Some(path), Some(revised)) => write_file(path, &xml::to_formatted(revised))?,
                _ => return Err(fail(EXIT_USAGE, "--in-place needs --xml-file")),
            }
        }
    }
    // The process exits next: freeing these large trees node by node would only cost time
    // (a large share of it on big CIBs).
    std::mem::forget(report);
    std::mem::forget(cib);
    Ok(stdout)
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let args = match args::parse(&argv) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("crm_simulate: {e}\n{}", args::USAGE);
            return ExitCode::from(EXIT_USAGE);
        }
    };
    if args.help {
        print!("{}", args::HELP);
        return ExitCode::SUCCESS;
    }
    if args.version {
        println!("Pacemaker 2.1.5 (pacemaker-rs {})", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    match run(&args) {
        Ok(text) => {
            // A closed pipe is not worth a panic.
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            ExitCode::SUCCESS
        }
        Err(f) => {
            eprintln!("crm_simulate: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

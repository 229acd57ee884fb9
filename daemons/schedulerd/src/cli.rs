//! The command line of Pacemaker 2.1.5's `pacemaker-schedulerd` (GLib option parsing):
//! help options, `-$/--version`, `-V/--verbose`, `--output-as`/`--output-to`, and the one
//! extra argument it knows, `metadata`.

use std::io::Write;

pub const DAEMON_NAME: &str = "pacemaker-schedulerd";
const SUMMARY: &str = "pacemaker-schedulerd - daemon for calculating a Pacemaker cluster's response to events";
/// CRM_EX_USAGE
pub const EXIT_USAGE: i32 = 64;
/// CRM_EX_FATAL
pub const EXIT_FATAL: i32 = 100;

/// The scheduler's cluster options, exactly as `pacemaker-schedulerd metadata` prints them
/// (pcs reads this to validate `pcs property set`).
pub const METADATA: &str = include_str!("metadata.xml");

const VERSION_TEXT: &str = "Pacemaker 2.1.5\nWritten by Andrew Beekhof and the Pacemaker project contributors\n";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Text,
    Xml,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Run the daemon.
    Serve { verbosity: u8 },
    /// Print something and exit 0.
    Print(String),
    /// Print to stderr, prefixed with the program name, and exit with the code.
    Fail { message: String, code: i32 },
}

struct Parsed {
    verbosity: u8,
    version: bool,
    format: Option<String>,
    destination: Option<String>,
    remainder: Vec<String>,
}

/// Decides what to do for `args` (without the program name). `request` is the whole command
/// line as the XML output's `request` attribute echoes it.
pub fn parse(args: &[String], request: &str) -> Action {
    let parsed = match parse_options(args) {
        Ok(p) => p,
        Err(action) => return action,
    };
    let format = match parsed.format.as_deref() {
        None | Some("text") => OutputFormat::Text,
        Some("xml") => OutputFormat::Xml,
        Some(other) => {
            return Action::Fail {
                message: format!("Error creating output format {other}: Unknown output format"),
                code: EXIT_FATAL,
            }
        }
    };
    let output = if !parsed.remainder.is_empty() {
        if parsed.remainder.len() == 1 && parsed.remainder[0].eq_ignore_ascii_case("metadata") {
            metadata_output(format, request)
        } else {
            return Action::Fail { message: "Unsupported extra command line parameters".into(), code: EXIT_USAGE };
        }
    } else if parsed.version {
        version_output(format, request)
    } else {
        return Action::Serve { verbosity: parsed.verbosity };
    };
    match parsed.destination.as_deref() {
        None | Some("-") => Action::Print(output),
        Some(path) => match std::fs::write(path, output) {
            Ok(()) => Action::Print(String::new()),
            Err(e) => Action::Fail { message: format!("Error creating output format: {e}"), code: EXIT_FATAL },
        },
    }
}

fn parse_options(args: &[String]) -> Result<Parsed, Action> {
    let mut p = Parsed { verbosity: 0, version: false, format: None, destination: None, remainder: Vec::new() };
    let mut it = args.iter();
    let mut options_done = false;
    while let Some(arg) = it.next() {
        if options_done || !arg.starts_with('-') || arg == "-" {
            p.remainder.push(arg.clone());
            continue;
        }
        if arg == "--" {
            options_done = true;
            continue;
        }
        if let Some(long) = arg.strip_prefix("--") {
            let (name, inline_value) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_owned())),
                None => (long, None),
            };
            let mut value = |name: &str| -> Result<String, Action> {
                inline_value.clone().or_else(|| it.next().cloned()).ok_or_else(|| Action::Fail {
                    message: format!("Missing argument for --{name}"),
                    code: EXIT_USAGE,
                })
            };
            match name {
                "help" => return Err(Action::Print(help(HelpKind::Main))),
                "help-all" => return Err(Action::Print(help(HelpKind::All))),
                "help-output" => return Err(Action::Print(help(HelpKind::Output))),
                "version" => p.version = true,
                "verbose" => p.verbosity = p.verbosity.saturating_add(1),
                "output-as" => p.format = Some(value(name)?),
                "output-to" => p.destination = Some(value(name)?),
                _ => return Err(Action::Fail { message: format!("Unknown option {arg}"), code: EXIT_USAGE }),
            }
            continue;
        }
        for flag in arg[1..].chars() {
            match flag {
                'h' | '?' => return Err(Action::Print(help(HelpKind::Main))),
                '$' => p.version = true,
                'V' => p.verbosity = p.verbosity.saturating_add(1),
                _ => return Err(Action::Fail { message: format!("Unknown option -{flag}"), code: EXIT_USAGE }),
            }
        }
    }
    Ok(p)
}

enum HelpKind {
    Main,
    All,
    Output,
}

fn help(kind: HelpKind) -> String {
    let mut text = format!("Usage:\n  {DAEMON_NAME} [OPTION?]\n\n{SUMMARY}\n\n");
    if !matches!(kind, HelpKind::Output) {
        text.push_str(
            "Help Options:\n  -h, --help             Show help options\n  --help-all             Show all help \
             options\n  --help-output          Show output help\n\n",
        );
    }
    if !matches!(kind, HelpKind::Main) {
        text.push_str(
            "Output Options:\n  --output-as=FORMAT     Specify output format as one of: text (default), xml\n  \
             --output-to=DEST       Specify file name for output (or \"-\" for stdout)\n\n",
        );
    }
    if !matches!(kind, HelpKind::Output) {
        text.push_str(
            "Application Options:\n  -$, --version          Display software version and exit\n  -V, --verbose          \
             Increase debug output (may be specified multiple times)\n\n",
        );
    }
    text.push_str("Report bugs to users@clusterlabs.org\n\n");
    text
}

fn xml_result(request: &str, body: &str) -> String {
    format!(
        "<pacemaker-result api-version=\"2.25\" request=\"{}\">\n{body}  <status code=\"0\" message=\"OK\"/>\n</pacemaker-result>\n",
        libcrmcommon::xml::escape_attr(request)
    )
}

fn metadata_output(format: OutputFormat, request: &str) -> String {
    match format {
        OutputFormat::Text => METADATA.to_owned(),
        OutputFormat::Xml => xml_result(request, &format!("  <metadata><![CDATA[{METADATA}]]></metadata>\n")),
    }
}

fn version_output(format: OutputFormat, request: &str) -> String {
    match format {
        OutputFormat::Text => VERSION_TEXT.to_owned(),
        OutputFormat::Xml => xml_result(
            request,
            "  <version program=\"Pacemaker\" version=\"2.1.5\" author=\"Andrew Beekhof and the Pacemaker project \
             contributors\" build=\"a3f44794f94\" features=\"agent-manpages cibsecrets corosync-ge-2 \
             generated-manpages lha monotonic nagios ncurses remote systemd\"/>\n",
        ),
    }
}

/// Carries out a non-serving action and exits.
pub fn finish(action: Action) -> ! {
    match action {
        Action::Print(text) => {
            let mut out = std::io::stdout();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
            std::process::exit(0);
        }
        Action::Fail { message, code } => {
            eprintln!("{DAEMON_NAME}: {message}");
            std::process::exit(code);
        }
        Action::Serve { .. } => std::process::exit(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Action {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        parse(&args, "pacemaker-schedulerd")
    }

    #[test]
    fn no_arguments_serve() {
        assert_eq!(run(&[]), Action::Serve { verbosity: 0 });
        assert_eq!(run(&["-VV", "--verbose"]), Action::Serve { verbosity: 3 });
    }

    #[test]
    fn metadata_wins_over_version_and_is_case_insensitive() {
        assert_eq!(run(&["--version", "MetaData"]), Action::Print(METADATA.to_owned()));
    }

    #[test]
    fn errors_match_glib() {
        assert_eq!(run(&["foo"]), Action::Fail { message: "Unsupported extra command line parameters".into(), code: 64 });
        assert_eq!(run(&["--bogus"]), Action::Fail { message: "Unknown option --bogus".into(), code: 64 });
        assert_eq!(run(&["-x"]), Action::Fail { message: "Unknown option -x".into(), code: 64 });
        assert_eq!(run(&["--output-as"]), Action::Fail { message: "Missing argument for --output-as".into(), code: 64 });
    }

    #[test]
    fn version_text() {
        assert_eq!(run(&["-$"]), Action::Print(VERSION_TEXT.to_owned()));
    }
}

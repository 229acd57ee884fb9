//! Command line of pacemakerd 2.1.5.

use crate::exit_codes;

pub const SUMMARY: &str =
    "pacemakerd - primary Pacemaker daemon that launches and monitors all subsidiary Pacemaker daemons";
/// The Pacemaker release we stand in for, and the features Debian's build lists.
pub const PACEMAKER_VERSION: &str = "2.1.5";
pub const FEATURES: &str = "agent-manpages cibsecrets corosync-ge-2 generated-manpages lha monotonic nagios ncurses remote systemd";

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub features: bool,
    pub shutdown: bool,
    pub standby: bool,
    pub version: bool,
    pub verbosity: u8,
    pub xml_output: bool,
}

/// What to do instead of running.
#[derive(Debug, PartialEq, Eq)]
pub enum Early {
    Print(String),
    Fail { message: String, code: i32 },
}

fn help() -> String {
    format!(
        "Usage:\n  pacemakerd [OPTION?]\n\n{SUMMARY}\n\n\
Help Options:\n  -h, --help              Show help options\n  --help-all              Show all help options\n  --help-output           Show output help\n\n\
Application Options:\n  -$, --version           Display software version and exit\n  -V, --verbose           Increase debug output (may be specified multiple times)\n  \
-F, --features          Display full version and list of features Pacemaker was built with\n  -f, --foreground        (Ignored) Pacemaker always runs in the foreground\n  \
-p, --pid-file=FILE     (Ignored) Daemon pid file location\n  -S, --shutdown          Instruct Pacemaker to shutdown on this machine\n  \
-s, --standby           Start node in standby state\n\nReport bugs to users@clusterlabs.org\n\n"
    )
}

pub fn parse(args: &[String]) -> Result<Options, Early> {
    let mut options = Options::default();
    let mut it = args.iter();
    let unknown = |arg: &str| Early::Fail { message: format!("pacemakerd: Unknown option {arg}"), code: exit_codes::USAGE };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "-h" | "--help" | "-?" | "--help-all" => return Err(Early::Print(help())),
            "-$" | "--version" => options.version = true,
            "-V" | "--verbose" => options.verbosity = options.verbosity.saturating_add(1),
            "-F" | "--features" => options.features = true,
            "-f" | "--foreground" => {}
            "-S" | "--shutdown" => options.shutdown = true,
            "-s" | "--standby" => options.standby = true,
            "-p" | "--pid-file" | "--output-as" | "--output-to" => {
                let value = it.next().ok_or_else(|| Early::Fail {
                    message: format!("pacemakerd: Missing argument for {arg}"),
                    code: exit_codes::USAGE,
                })?;
                if arg == "--output-as" {
                    options.xml_output = value == "xml";
                }
            }
            s if s.starts_with("--pid-file=") || s.starts_with("--output-to=") => {}
            s if s.starts_with("--output-as=") => options.xml_output = &s["--output-as=".len()..] == "xml",
            s if s.starts_with("-p") && s.len() > 2 => {}
            s if s.starts_with('-') && !s.starts_with("--") && s.len() > 2 => {
                // Bundled short flags such as -VV or -Vs.
                for flag in s[1..].chars() {
                    match flag {
                        'V' => options.verbosity = options.verbosity.saturating_add(1),
                        'F' => options.features = true,
                        'f' => {}
                        'S' => options.shutdown = true,
                        's' => options.standby = true,
                        _ => return Err(unknown(&format!("-{flag}"))),
                    }
                }
            }
            other => return Err(unknown(other)),
        }
    }
    Ok(options)
}

/// `--features` output, text or XML.
pub fn features(xml: bool) -> String {
    let build = concat!("pacemaker-rs-", env!("CARGO_PKG_VERSION"));
    if !xml {
        return format!("Pacemaker {PACEMAKER_VERSION} (Build: {build})\n Supporting v{}: {FEATURES}\n", crate::messages::FEATURE_SET);
    }
    let mut out = format!(
        "<pacemaker-result api-version=\"2.25\" request=\"pacemakerd --features --output-as=xml\">\n  <pacemakerd version=\"{PACEMAKER_VERSION}\" build=\"{build}\" feature_set=\"{}\">\n    <features>\n",
        crate::messages::FEATURE_SET
    );
    for feature in FEATURES.split(' ') {
        out.push_str(&format!("      <feature>{feature}</feature>\n"));
    }
    out.push_str("    </features>\n  </pacemakerd>\n  <status code=\"0\" message=\"OK\"/>\n</pacemaker-result>\n");
    out
}

pub fn version() -> String {
    format!("Pacemaker {PACEMAKER_VERSION}\nWritten by Andrew Beekhof and the Pacemaker project contributors\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flags() {
        let o = parse(&args(&["-VV", "-f", "-p", "/run/x.pid", "--shutdown"])).unwrap();
        assert_eq!(o.verbosity, 2);
        assert!(o.shutdown && !o.standby);
        assert!(parse(&args(&["-s"])).unwrap().standby);
        assert_eq!(
            parse(&args(&["--bogus"])),
            Err(Early::Fail { message: "pacemakerd: Unknown option --bogus".into(), code: 64 })
        );
    }
}

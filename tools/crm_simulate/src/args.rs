//! crm_simulate's command line, as Pacemaker 2.1.5 spells it (GLib option parsing: short
//! options may be bundled, values may follow directly or as the next argument, long options
//! take `--name=value` or `--name value`).

use libpacemaker::inject::Injections;

#[derive(Debug, Default)]
pub struct Args {
    pub source: Source,
    /// -R: schedule and show the Transition Summary.
    pub run: bool,
    /// -S: also simulate the transition and show the revised status.
    pub simulate: bool,
    /// -X: like -S, and write the revised CIB back to the input file.
    pub in_place: bool,
    pub show_scores: bool,
    /// -U: node capacities and resource utilization during assignment.
    pub show_utilization: bool,
    pub quiet: bool,
    pub save_graph: Option<String>,
    pub save_dot: Option<String>,
    /// -a: the dot file shows every action, not only the transition's.
    pub all_actions: bool,
    /// -V: the dot file names actions with their ids.
    pub verbose: bool,
    /// -A: the cluster status shows node attributes.
    pub show_attributes: bool,
    /// -c: the cluster status shows fail counts and failed operations.
    pub show_failcounts: bool,
    pub save_input: Option<String>,
    pub save_output: Option<String>,
    pub date: Option<String>,
    pub injections: Injections,
    pub profile_dir: Option<String>,
    pub repeat: u64,
    pub version: bool,
    pub help: bool,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub enum Source {
    #[default]
    Unset,
    File(String),
    Stdin,
    Live,
}

pub const USAGE: &str = "Usage: crm_simulate [OPTION?]  (see --help)";

pub const HELP: &str = "\
Usage:
  crm_simulate [OPTION?]

crm_simulate - simulate a Pacemaker cluster's response to events

Operations:
  -R, --run                        Process the supplied input and show what actions the cluster will take in response
  -S, --simulate                   Like --run, but also simulate taking those actions and show the resulting new status
  -X, --in-place                   Like --simulate, but also store the results back to the input file
  -A, --show-attrs                 Show node attributes
  -c, --show-failcounts            Show resource fail counts
  -s, --show-scores                Show allocation scores
  -P, --profile=DIR                Process all the XML files in the named directory to create profiling data
  -N, --repeat=N                   With --profile, repeat each test N times and print timings

Synthetic Cluster Events:
  -u, --node-up=NODE               Simulate bringing a node online
  -d, --node-down=NODE             Simulate taking a node offline
  -f, --node-fail=NODE             Simulate a node failing
  -i, --op-inject=OPSPEC           Generate a failure for the cluster to react to in the simulation
  -F, --op-fail=OPSPEC             If the specified task occurs during the simulation, have it fail with return code ${rc}
  -t, --set-datetime=DATETIME      Set date/time (ISO 8601 format)
  -q, --quorum=QUORUM              Set to '1' (or 'true') to indicate cluster has quorum
  -w, --watchdog=DEVICE            Set to '1' (or 'true') to indicate cluster has an active watchdog device
  -g, --ticket-grant=TICKET        Simulate granting a ticket
  -r, --ticket-revoke=TICKET       Simulate revoking a ticket
  -b, --ticket-standby=TICKET      Simulate making a ticket standby
  -e, --ticket-activate=TICKET     Simulate activating a ticket

Artifact Options:
  -I, --save-input=FILE            Save the input configuration to the named file
  -O, --save-output=FILE           Save the output configuration to the named file
  -G, --save-graph=FILE            Save the transition graph (XML format) to the named file
  -D, --save-dotfile=FILE          Save the transition graph (DOT format) to the named file
  -a, --all-actions                Display all possible actions in DOT graph (even if not part of transition)

Data Source:
  -L, --live-check                 Connect to CIB manager and use the current CIB contents as input
  -x, --xml-file=FILE              Retrieve XML from the named file
  -p, --xml-pipe                   Retrieve XML from stdin

Application Options:
  -$, --version                    Display software version and exit
  -V, --verbose                    Increase debug output (may be specified multiple times)
  -Q, --quiet                      Display only essential output

The OPSPEC in any command line option is of the form
${resource}_${task}_${interval_in_ms}@${node}=${rc}
(memcached_monitor_20000@bart.example.com=7, for example).
";

/// (short, long, takes a value)
const OPTIONS: &[(char, &str, bool)] = &[
    ('R', "run", false),
    ('S', "simulate", false),
    ('X', "in-place", false),
    ('A', "show-attrs", false),
    ('c', "show-failcounts", false),
    ('s', "show-scores", false),
    ('U', "show-utilization", false),
    ('P', "profile", true),
    ('N', "repeat", true),
    ('u', "node-up", true),
    ('d', "node-down", true),
    ('f', "node-fail", true),
    ('i', "op-inject", true),
    ('F', "op-fail", true),
    ('t', "set-datetime", true),
    ('q', "quorum", true),
    ('w', "watchdog", true),
    ('g', "ticket-grant", true),
    ('r', "ticket-revoke", true),
    ('b', "ticket-standby", true),
    ('e', "ticket-activate", true),
    ('I', "save-input", true),
    ('O', "save-output", true),
    ('G', "save-graph", true),
    ('D', "save-dotfile", true),
    ('a', "all-actions", false),
    ('L', "live-check", false),
    ('x', "xml-file", true),
    ('p', "xml-pipe", false),
    ('$', "version", false),
    ('V', "verbose", false),
    ('Q', "quiet", false),
    ('h', "help", false),
    ('\0', "help-all", false),
    ('\0', "pending", false),
    ('\0', "output-as", true),
    ('\0', "output-to", true),
    ('\0', "text-fancy", false),
];

fn apply(args: &mut Args, long: &str, value: Option<String>) -> Result<(), String> {
    let v = || value.clone().unwrap_or_default();
    match long {
        "run" => args.run = true,
        "simulate" => args.simulate = true,
        "in-place" => args.in_place = true,
        "show-scores" => args.show_scores = true,
        "show-utilization" => args.show_utilization = true,
        "profile" => args.profile_dir = Some(v()),
        "repeat" => args.repeat = v().parse().map_err(|_| format!("Invalid value for --repeat: {}", v()))?,
        "node-up" => args.injections.node_up.push(v()),
        "node-down" => args.injections.node_down.push(v()),
        "node-fail" => args.injections.node_fail.push(v()),
        "op-inject" => args.injections.op_inject.push(v()),
        // Failing an operation needs a simulated transition: implies --simulate.
        "op-fail" => {
            args.injections.op_fail.push(v());
            args.simulate = true;
        }
        "set-datetime" => args.date = Some(v()),
        "quorum" => args.injections.quorum = Some(v()),
        "watchdog" => args.injections.watchdog = Some(v()),
        "ticket-grant" => args.injections.ticket_grant.push(v()),
        "ticket-revoke" => args.injections.ticket_revoke.push(v()),
        "ticket-standby" => args.injections.ticket_standby.push(v()),
        "ticket-activate" => args.injections.ticket_activate.push(v()),
        "save-input" => args.save_input = Some(v()),
        "save-output" => args.save_output = Some(v()),
        // Writing the graph needs a scheduled transition: both imply --run.
        "save-graph" => {
            args.save_graph = Some(v());
            args.run = true;
        }
        "save-dotfile" => {
            args.save_dot = Some(v());
            args.run = true;
        }
        "all-actions" => args.all_actions = true,
        "show-attrs" => args.show_attributes = true,
        "show-failcounts" => args.show_failcounts = true,
        // Pending operations are shown anyway (as by Pacemaker's crm_simulate).
        "pending" => {}
        "live-check" => args.source = Source::Live,
        "xml-file" => args.source = Source::File(v()),
        "xml-pipe" => args.source = Source::Stdin,
        "version" => args.version = true,
        "quiet" => args.quiet = true,
        "help" | "help-all" => args.help = true,
        // Otherwise debug verbosity only changes logging, which goes nowhere here.
        "verbose" => args.verbose = true,
        "output-as" if v() == "text" => {}
        "output-to" if v() == "-" => {}
        // Accepted by Pacemaker but not implemented here: say so instead of ignoring them.
        other => return Err(format!("--{other} is not supported by this crm_simulate yet")),
    }
    Ok(())
}

pub fn parse(argv: &[String]) -> Result<Args, String> {
    let mut args = Args { repeat: 1, ..Args::default() };
    let mut rest = argv.iter();
    while let Some(arg) = rest.next() {
        if let Some(long) = arg.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_owned())),
                None => (long, None),
            };
            let &(_, name, takes_value) =
                OPTIONS.iter().find(|o| o.1 == name).ok_or_else(|| format!("Unknown option --{name}"))?;
            let value = match (takes_value, inline) {
                (true, Some(v)) => Some(v),
                (true, None) => Some(rest.next().cloned().ok_or_else(|| format!("Missing argument for --{name}"))?),
                (false, Some(_)) => return Err(format!("Option --{name} does not take an argument")),
                (false, None) => None,
            };
            apply(&mut args, name, value)?;
        } else if let Some(shorts) = arg.strip_prefix('-').filter(|s| !s.is_empty()) {
            for (at, c) in shorts.char_indices() {
                let &(_, name, takes_value) =
                    OPTIONS.iter().find(|o| o.0 == c && c != '\0').ok_or_else(|| format!("Unknown option -{c}"))?;
                if !takes_value {
                    apply(&mut args, name, None)?;
                    continue;
                }
                let attached = &shorts[at + c.len_utf8()..];
                let value = if attached.is_empty() {
                    rest.next().cloned().ok_or_else(|| format!("Missing argument for -{c}"))?
                } else {
                    attached.to_owned()
                };
                apply(&mut args, name, Some(value))?;
                break;
            }
        } else {
            return Err(format!("Unexpected argument: {arg}"));
        }
    }
    if args.in_place {
        args.simulate = true;
    }
    if args.simulate || args.show_scores || args.show_utilization {
        args.run = true;
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(list: &[&str]) -> Result<Args, String> {
        parse(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn bundled_and_attached_short_options() {
        let a = p(&["-sSQ", "-xfile.xml", "-G", "g.xml", "-u", "n3", "-in_monitor_0@n1=7"]).unwrap();
        assert!(a.show_scores && a.simulate && a.quiet && a.run);
        assert_eq!(a.source, Source::File("file.xml".into()));
        assert_eq!(a.save_graph.as_deref(), Some("g.xml"));
        assert_eq!(a.injections.node_up, ["n3"]);
        assert_eq!(a.injections.op_inject, ["n_monitor_0@n1=7"]);
    }

    #[test]
    fn long_options_and_errors() {
        let a = p(&["--xml-file=x", "--profile", "dir", "--repeat=3", "--ticket-grant", "t"]).unwrap();
        assert_eq!(a.profile_dir.as_deref(), Some("dir"));
        assert_eq!(a.repeat, 3);
        assert_eq!(a.injections.ticket_grant, ["t"]);
        assert!(p(&["--bogus"]).unwrap_err().contains("Unknown option --bogus"));
        assert!(p(&["-x"]).unwrap_err().contains("Missing argument"));
        let a = p(&["-F", "r_start_0@n=1", "-x", "f"]).unwrap();
        assert!(a.simulate && a.run);
        assert_eq!(a.injections.op_fail, ["r_start_0@n=1"]);
        assert!(p(&["--repeat=lots"]).is_err());
    }
}

//! Drives an executor (`lrmd` IPC) through a script read from stdin and prints what happens
//! in a form that does not depend on timing, so that runs against Debian's C
//! `pacemaker-execd` and ours can be compared line by line. Used by tests/execd.rs.
//!
//! Script lines (blank lines and `#` comments are skipped):
//! ```text
//! register RSC CLASS PROVIDER|- AGENT [OPTIONS]
//! unregister RSC
//! info RSC
//! exec RSC ACTION [interval=MS] [timeout=MS] [delay=MS] [opts=N] [userdata=TEXT] [NAME=VALUE...]
//! cancel RSC ACTION INTERVAL_MS
//! recurring [RSC]
//! alert ID PATH TIMEOUT_MS [NAME=VALUE...]
//! poke
//! check
//! wait RSC ACTION [INTERVAL_MS] [SECONDS]   # prints the next result of that operation
//! quiet SECONDS                             # prints every result that comes meanwhile
//! sleep MS
//! poll SECONDS                              # waits on the client's event fd, then takes one result
//! raw OP [XML]                             # any request, with an XML payload
//! roundtrip N RSC ACTION                   # N sequential exec+result, prints the mean time
//! output on|off|full                       # whether results show the agent's output (full: uncut)
//! queued on|off                            # whether results show the `queued` flag
//! sh COMMAND...                             # runs a shell command (e.g. to break a resource)
//! ```
//! Results print as `result RSC ACTION interval=.. rc=.. status=.. deleted=.. reason=..
//! output=..` plus `ran`/`not-ran` for whether a run time was reported and `queued` when
//! it waited over half a second behind another operation. Call ids are printed relative to
//! the first exec of the script; output is cut at 200 characters.

use liblrmd::event::Event;
use liblrmd::{ExecRequest, LrmdClient, OpEvent};
use std::collections::VecDeque;
use std::io::BufRead;
use std::time::{Duration, Instant};

/// Characters of an operation's output that are printed.
const OUTPUT_SHOWN: usize = 200;
/// A result that waited longer than this in the queue is printed as `queued`.
const QUEUED_MS: i32 = 500;

struct Driver {
    client: LrmdClient,
    /// Results received while waiting for another one.
    backlog: VecDeque<OpEvent>,
    first_call_id: Option<i32>,
    /// Whether results show the agent's output.
    show_output: bool,
    /// Characters of output shown ([`OUTPUT_SHOWN`], or all after `output full`).
    output_shown: usize,
    /// Whether results show the `queued` flag (timing-dependent under load).
    show_queued: bool,
}

impl Driver {
    fn relative_call(&mut self, call_id: i32) -> i32 {
        let first = *self.first_call_id.get_or_insert(call_id);
        call_id - first
    }

    fn print_result(&mut self, event: &OpEvent) {
        let call = self.relative_call(event.call_id);
        // Long output (a flooding agent) is cut: executors may bound what they keep.
        let shown = self.output_shown;
        let one_line = |text: &Option<String>, limit: usize| {
            text.as_deref()
                .map(|t| t.trim_end().chars().take(limit).collect::<String>().replace('\n', "\\n"))
                .unwrap_or_else(|| "-".into())
        };
        println!(
            "result {} {} interval={} call=+{} rc={} status={} deleted={} {}{} reason={} output={}",
            event.rsc_id,
            event.action,
            event.interval_ms,
            call,
            event.exit_status,
            event.exec_status,
            event.rsc_deleted as i32,
            if event.run_time > 0 { "ran" } else { "not-ran" },
            if self.show_queued && event.queue_time_ms > QUEUED_MS { " queued" } else { "" },
            one_line(&event.exit_reason, OUTPUT_SHOWN),
            if self.show_output { one_line(&event.output, shown) } else { "(hidden)".into() },
        );
    }

    fn next_result(&mut self, deadline: Instant) -> Option<OpEvent> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            match self.client.next_event(left) {
                Ok(Some(Event::OpResult(event))) => return Some(event),
                Ok(Some(_)) => continue,
                Ok(None) => return None,
                Err(e) => {
                    println!("disconnected: {e}");
                    std::process::exit(3);
                }
            }
        }
    }

    fn run_line(&mut self, words: &[&str]) -> Result<(), String> {
        let arg = |i: usize| words.get(i).copied().ok_or_else(|| format!("missing argument {i}"));
        match words[0] {
            "register" => {
                let provider = Some(arg(3)?).filter(|p| *p != "-");
                let options = words.get(5).and_then(|o| o.parse().ok()).unwrap_or(0);
                let outcome = self.client.register_rsc(arg(1)?, arg(2)?, provider, arg(4)?, options);
                println!("register {} -> {}", arg(1)?, describe(outcome.map(|_| 0)));
            }
            "unregister" => {
                let outcome = self.client.unregister_rsc(arg(1)?, 0);
                println!("unregister {} -> {}", arg(1)?, describe(outcome.map(|busy| if busy { -115 } else { 0 })));
            }
            "info" => match self.client.get_rsc_info(arg(1)?) {
                Ok(Some(info)) => println!(
                    "info {} -> {}:{}:{}",
                    info.id,
                    info.class,
                    info.provider.as_deref().unwrap_or("-"),
                    info.agent
                ),
                Ok(None) => println!("info {} -> unknown", arg(1)?),
                Err(e) => println!("info {} -> error {e}", arg(1)?),
            },
            "exec" => {
                let mut request = ExecRequest { rsc_id: arg(1)?.into(), action: arg(2)?.into(), timeout_ms: 20000, ..Default::default() };
                for word in &words[3..] {
                    let (name, value) = word.split_once('=').ok_or_else(|| format!("expected NAME=VALUE, got {word}"))?;
                    let number = || value.parse::<i64>().map_err(|_| format!("bad number in {word}"));
                    match name {
                        "interval" => request.interval_ms = number()? as u32,
                        "timeout" => request.timeout_ms = number()? as i32,
                        "delay" => request.start_delay_ms = number()? as i32,
                        "opts" => request.options = number()? as u32,
                        "userdata" => request.user_data = Some(value.into()),
                        _ => request.params.push((name.into(), value.into())),
                    }
                }
                match self.client.exec(&request) {
                    Ok(call_id) => {
                        let call = self.relative_call(call_id);
                        println!("exec {} {} -> call +{call}", request.rsc_id, request.action);
                    }
                    Err(e) => println!("exec {} {} -> {}", request.rsc_id, request.action, describe(Err(e))),
                }
            }
            "cancel" => {
                let interval = arg(3)?.parse().map_err(|_| "bad interval")?;
                let outcome = self.client.cancel(arg(1)?, arg(2)?, interval);
                println!("cancel {} {} {} -> {}", arg(1)?, arg(2)?, interval, describe(outcome.map(|_| 0)));
            }
            "recurring" => match self.client.get_recurring(words.get(1).copied()) {
                Ok(mut ops) => {
                    ops.sort_by(|a, b| (&a.rsc_id, &a.action, a.interval_ms).cmp(&(&b.rsc_id, &b.action, b.interval_ms)));
                    let list: Vec<String> =
                        ops.iter().map(|o| format!("{}:{}:{}:{}", o.rsc_id, o.action, o.interval_ms, o.timeout_ms)).collect();
                    println!("recurring -> [{}]", list.join(" "));
                }
                Err(e) => println!("recurring -> error {e}"),
            },
            "alert" => {
                let timeout = arg(3)?.parse().map_err(|_| "bad timeout")?;
                let params: Vec<(String, String)> = words[4..]
                    .iter()
                    .filter_map(|w| w.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
                    .collect();
                let outcome = self.client.exec_alert(arg(1)?, arg(2)?, timeout, &params);
                println!("alert {} -> {}", arg(1)?, describe(outcome));
            }
            "poke" => println!("poke -> {}", describe(self.client.poke().map(|_| 0))),
            "check" => println!("check -> {}", describe(self.client.check(None).map(|_| 0))),
            "wait" => {
                let (rsc, action) = (arg(1)?, arg(2)?);
                let interval: u32 = words.get(3).and_then(|w| w.parse().ok()).unwrap_or(0);
                let seconds: u64 = words.get(4).and_then(|w| w.parse().ok()).unwrap_or(60);
                let wanted = |e: &OpEvent| e.rsc_id == rsc && e.action == action && e.interval_ms == interval;
                if let Some(pos) = self.backlog.iter().position(wanted) {
                    let event = self.backlog.remove(pos).expect("position is valid");
                    self.print_result(&event);
                    return Ok(());
                }
                let deadline = Instant::now() + Duration::from_secs(seconds);
                loop {
                    match self.next_result(deadline) {
                        Some(event) if wanted(&event) => {
                            self.print_result(&event);
                            break;
                        }
                        Some(other) => self.backlog.push_back(other),
                        None => {
                            println!("timeout waiting for {rsc} {action} {interval}");
                            break;
                        }
                    }
                }
            }
            "quiet" => {
                let seconds: f64 = arg(1)?.parse().map_err(|_| "bad seconds")?;
                let deadline = Instant::now() + Duration::from_secs_f64(seconds);
                let mut seen = std::mem::take(&mut self.backlog);
                while let Some(event) = self.next_result(deadline) {
                    seen.push_back(event);
                }
                println!("quiet {seconds}s: {} results", seen.len());
                for event in seen {
                    self.print_result(&event);
                }
            }
            "raw" => {
                // raw OP [XML]: the rest of the line is the request's payload.
                let data = match words.len() {
                    0..=2 => None,
                    _ => Some(libcrmcommon::xml::parse(&words[2..].join(" ")).map_err(|e| format!("bad XML: {e}"))?),
                };
                match self.client.send_command(arg(1)?, data, 0) {
                    Ok(reply) => println!(
                        "raw {} -> {} rc={}",
                        arg(1)?,
                        reply.name,
                        reply.attr(liblrmd::protocol::attr::RC).unwrap_or("-")
                    ),
                    Err(e) => println!("raw {} -> error {e}", arg(1)?),
                }
            }
            "roundtrip" => {
                // roundtrip N RSC ACTION: N sequential exec-and-wait, prints the mean in µs.
                let count: u32 = arg(1)?.parse().map_err(|_| "bad count")?;
                let (rsc, action) = (arg(2)?, arg(3)?);
                let start = Instant::now();
                for _ in 0..count {
                    let request = ExecRequest { rsc_id: rsc.into(), action: action.into(), timeout_ms: 20000, ..Default::default() };
                    let call_id = self.client.exec(&request).map_err(|e| e.to_string())?;
                    let deadline = Instant::now() + Duration::from_secs(30);
                    loop {
                        match self.next_result(deadline) {
                            Some(event) if event.call_id == call_id => break,
                            Some(_) => continue,
                            None => return Err("no result within 30 s".into()),
                        }
                    }
                }
                let mean = start.elapsed().as_micros() / u128::from(count.max(1));
                println!("roundtrip {count} {rsc} {action} -> mean {mean} us");
            }
            "poll" => {
                // poll SECONDS: waits for the event descriptor (as an event loop would),
                // then takes what is waiting without blocking.
                let seconds: i32 = arg(1)?.parse().map_err(|_| "bad seconds")?;
                let fd = self.client.event_fd().map_err(|e| e.to_string())?;
                let mut entry = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
                // SAFETY: one valid pollfd for the duration of the call.
                let ready = unsafe { libc::poll(&mut entry, 1, seconds.saturating_mul(1000)) };
                if ready <= 0 {
                    println!("poll -> nothing");
                    return Ok(());
                }
                match self.client.next_event(Duration::ZERO) {
                    Ok(Some(Event::OpResult(event))) => {
                        print!("poll -> ");
                        self.print_result(&event);
                    }
                    Ok(Some(_)) => println!("poll -> another event"),
                    Ok(None) => println!("poll -> readable, no event"),
                    Err(e) => println!("poll -> error {e}"),
                }
            }
            "output" => {
                let mode = arg(1)?;
                self.show_output = mode != "off";
                self.output_shown = if mode == "full" { usize::MAX } else { OUTPUT_SHOWN };
            }
            "queued" => self.show_queued = arg(1)? != "off",
            "sh" => {
                let command = words[1..].join(" ");
                let status = std::process::Command::new("sh").arg("-c").arg(&command).status();
                println!("sh {command} -> {}", status.map(|s| s.code().unwrap_or(-1)).unwrap_or(-1));
            }
            "sleep" => std::thread::sleep(Duration::from_millis(arg(1)?.parse().map_err(|_| "bad ms")?)),
            other => return Err(format!("unknown command {other}")),
        }
        Ok(())
    }
}

fn describe(outcome: Result<i32, liblrmd::LrmdError>) -> String {
    match outcome {
        Ok(code) => format!("rc={code}"),
        Err(liblrmd::LrmdError::Rejected(code)) => format!("rc={code}"),
        Err(e) => format!("error {e}"),
    }
}

fn main() {
    let client = match LrmdClient::connect("lrmd-drive") {
        Ok(c) => c,
        Err(e) => {
            println!("connect failed: {e}");
            std::process::exit(2);
        }
    };
    let mut driver = Driver { client, backlog: VecDeque::new(), first_call_id: None, show_output: true, output_shown: OUTPUT_SHOWN, show_queued: true };
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        if let Err(e) = driver.run_line(&words) {
            println!("script error in {line:?}: {e}");
            std::process::exit(2);
        }
    }
}

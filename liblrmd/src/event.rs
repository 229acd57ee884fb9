//! The messages the executor sends without being asked: operation results and the other
//! notifications, with their XML form (shared by the daemon, which builds them, and the
//! client, which reads them).

use crate::protocol::{attr, element, op, origin};
use libcrmcommon::xml::Element;

/// An operation's parameters, in the order given (names are unique).
pub type Params = Vec<(String, String)>;

/// Writes `params` into an `attributes` element as Pacemaker does: names that start with a
/// digit (not valid XML attribute names) become `<param name= value=>` children, the first
/// value of a repeated name wins.
pub fn params_to_xml(params: &[(String, String)]) -> Element {
    let mut attributes = Element::new(element::ATTRIBUTES);
    for (name, value) in params {
        if name.starts_with(|c: char| c.is_ascii_digit()) {
            attributes.push_child(
                Element::new(element::PARAM)
                    .with_attr(attr::PARAM_NAME, name)
                    .with_attr(attr::PARAM_VALUE, value),
            );
        } else if !attributes.has_attr(name) {
            attributes.set_attr(name.clone(), value.clone());
        }
    }
    attributes
}

/// Reads the `attributes` child of `parent` (the inverse of [`params_to_xml`]).
pub fn params_from_xml(parent: &Element) -> Params {
    let Some(attributes) = parent.child(element::ATTRIBUTES) else {
        return Vec::new();
    };
    let mut params: Params = attributes.attrs.to_vec();
    for param in attributes.elements().filter(|e| e.name == element::PARAM) {
        if let (Some(name), Some(value)) =
            (param.attr(attr::PARAM_NAME), param.attr(attr::PARAM_VALUE))
        {
            match params.iter_mut().find(|(n, _)| n == name) {
                Some(existing) => existing.1 = value.to_owned(),
                None => params.push((name.to_owned(), value.to_owned())),
            }
        }
    }
    params
}

/// The result of one execution of an operation (`lrmd_notify` with `lrmd_op="lrmd_rsc_exec"`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpEvent {
    pub rsc_id: String,
    pub action: String,
    pub call_id: i32,
    pub timeout_ms: i32,
    pub interval_ms: u32,
    pub start_delay_ms: i32,
    /// The agent's result mapped to an OCF exit code.
    pub exit_status: i32,
    /// See [`crate::protocol::exec_status`].
    pub exec_status: i32,
    /// The resource was unregistered before the operation finished.
    pub rsc_deleted: bool,
    /// Wall-clock second the operation last started (0 if unknown).
    pub run_time: i64,
    /// Wall-clock second the exit status last changed (0 if never).
    pub rc_change_time: i64,
    pub exec_time_ms: i32,
    pub queue_time_ms: i32,
    pub user_data: Option<String>,
    pub exit_reason: Option<String>,
    /// The agent's stderr if it wrote any, else its stdout.
    pub output: Option<String>,
    pub params: Params,
}

impl OpEvent {
    /// The notification as the C executor builds it (same attributes in the same order).
    pub fn to_xml(&self) -> Element {
        let mut notify = Element::new(element::NOTIFY)
            .with_attr(attr::ORIGIN, origin::CMD_COMPLETE)
            .with_attr(attr::TIMEOUT, self.timeout_ms.to_string())
            .with_attr(attr::RSC_INTERVAL, self.interval_ms.to_string())
            .with_attr(attr::RSC_START_DELAY, self.start_delay_ms.to_string())
            .with_attr(attr::EXEC_RC, self.exit_status.to_string())
            .with_attr(attr::OP_STATUS, self.exec_status.to_string())
            .with_attr(attr::CALL_ID, self.call_id.to_string())
            .with_attr(attr::RSC_DELETED, if self.rsc_deleted { "1" } else { "0" })
            .with_attr(attr::RUN_TIME, self.run_time.to_string())
            .with_attr(attr::RC_CHANGE_TIME, self.rc_change_time.to_string())
            .with_attr(attr::EXEC_TIME, self.exec_time_ms.to_string())
            .with_attr(attr::QUEUE_TIME, self.queue_time_ms.to_string())
            .with_attr(attr::OPERATION, op::RSC_EXEC)
            .with_attr(attr::RSC_ID, self.rsc_id.clone())
            .with_attr(attr::RSC_ACTION, self.action.clone());
        for (name, value) in [
            (attr::RSC_USERDATA, &self.user_data),
            (attr::RSC_EXIT_REASON, &self.exit_reason),
            (attr::RSC_OUTPUT, &self.output),
        ] {
            if let Some(value) = value {
                notify.set_attr(name, value.clone());
            }
        }
        notify.push_child(params_to_xml(&self.params));
        notify
    }

    /// Reads an operation result; `None` if `msg` is not one.
    pub fn from_xml(msg: &Element) -> Option<OpEvent> {
        if msg.attr(attr::OPERATION) != Some(op::RSC_EXEC) {
            return None;
        }
        let int = |name: &str| {
            msg.attr(name)
                .and_then(|v| v.trim().parse::<i64>().ok())
                .unwrap_or(0)
        };
        let text = |name: &str| msg.attr(name).map(str::to_owned);
        Some(OpEvent {
            rsc_id: msg.attr(attr::RSC_ID).unwrap_or_default().to_owned(),
            action: msg.attr(attr::RSC_ACTION).unwrap_or_default().to_owned(),
            call_id: int(attr::CALL_ID) as i32,
            timeout_ms: int(attr::TIMEOUT) as i32,
            interval_ms: u32::try_from(int(attr::RSC_INTERVAL)).unwrap_or(0),
            start_delay_ms: int(attr::RSC_START_DELAY) as i32,
            exit_status: int(attr::EXEC_RC) as i32,
            exec_status: int(attr::OP_STATUS) as i32,
            rsc_deleted: int(attr::RSC_DELETED) != 0,
            run_time: int(attr::RUN_TIME),
            rc_change_time: int(attr::RC_CHANGE_TIME),
            exec_time_ms: int(attr::EXEC_TIME) as i32,
            queue_time_ms: int(attr::QUEUE_TIME) as i32,
            user_data: text(attr::RSC_USERDATA),
            exit_reason: text(attr::RSC_EXIT_REASON),
            output: text(attr::RSC_OUTPUT),
            params: params_from_xml(msg),
        })
    }
}

/// Anything the executor tells a client without being asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// An operation finished (or was cancelled).
    OpResult(OpEvent),
    /// A resource was registered (by any client); `rc` is the registration's result.
    Registered {
        rsc_id: String,
        rc: i32,
        call_id: i32,
    },
    Unregistered {
        rsc_id: String,
        rc: i32,
        call_id: i32,
    },
    /// Some client poked the executor.
    Poke { rc: i32, call_id: i32 },
    /// Another client connected.
    NewClient,
    /// Something this library does not interpret (kept whole).
    Other(Element),
}

impl Event {
    pub fn from_xml(msg: Element) -> Event {
        let rc = msg
            .attr(attr::RC)
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        let call_id = msg
            .attr(attr::CALL_ID)
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        let rsc_id = msg.attr(attr::RSC_ID).unwrap_or_default().to_owned();
        match msg.attr(attr::OPERATION) {
            Some(op::RSC_EXEC) => match OpEvent::from_xml(&msg) {
                Some(event) => Event::OpResult(event),
                None => Event::Other(msg),
            },
            Some(op::RSC_REGISTER) => Event::Registered {
                rsc_id,
                rc,
                call_id,
            },
            Some(op::RSC_UNREGISTER) => Event::Unregistered {
                rsc_id,
                rc,
                call_id,
            },
            Some(op::POKE) => Event::Poke { rc, call_id },
            Some(op::NEW_CLIENT) => Event::NewClient,
            _ => Event::Other(msg),
        }
    }
}

/// The notification about a request that changed no operation (registration,
/// unregistration, poke), as the C executor builds it.
pub fn generic_notify(operation: &str, rsc_id: Option<&str>, rc: i32, call_id: i32) -> Element {
    let mut notify = Element::new(element::NOTIFY)
        .with_attr(attr::ORIGIN, origin::GENERIC_NOTIFY)
        .with_attr(attr::RC, rc.to_string())
        .with_attr(attr::CALL_ID, call_id.to_string())
        .with_attr(attr::OPERATION, operation);
    if let Some(id) = rsc_id {
        notify.set_attr(attr::RSC_ID, id);
    }
    notify
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_round_trip_with_digit_names() {
        let params: Params = vec![
            ("state".into(), "/tmp/x".into()),
            ("CRM_meta_timeout".into(), "20000".into()),
            ("1st".into(), "a".into()),
        ];
        let xml = params_to_xml(&params);
        assert_eq!(xml.attr("state"), Some("/tmp/x"));
        assert_eq!(xml.elements().count(), 1);
        let parent = Element::new("x").with_child(xml);
        assert_eq!(params_from_xml(&parent), params);
    }

    #[test]
    fn op_event_round_trips() {
        let event = OpEvent {
            rsc_id: "d".into(),
            action: "monitor".into(),
            call_id: 7,
            timeout_ms: 20000,
            interval_ms: 10000,
            exit_status: 7,
            exec_status: 0,
            output: Some("out".into()),
            exit_reason: Some("gone".into()),
            params: vec![("k".into(), "v".into())],
            ..Default::default()
        };
        let xml = event.to_xml();
        assert_eq!(xml.attr("lrmd_origin"), Some("send_cmd_complete_notify"));
        assert_eq!(OpEvent::from_xml(&xml), Some(event));
        assert!(matches!(Event::from_xml(xml), Event::OpResult(_)));
    }

    #[test]
    fn unknown_notifications_are_kept() {
        let msg = Element::new("lrmd_notify").with_attr("lrmd_op", "something");
        assert_eq!(Event::from_xml(msg.clone()), Event::Other(msg));
        assert_eq!(OpEvent::from_xml(&Element::new("lrmd_notify")), None);
    }
}

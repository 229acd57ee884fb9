//! Node health (Pacemaker's node-health-strategy): node attributes whose
//! names start with `#health` carry "red", "yellow", "green" or a score;
//! depending on the strategy, their sum becomes a location score of every
//! resource on the node, and the node list shows unhealthy nodes.

use std::collections::HashMap;

use crate::model::{NodeIdx, WorkingSet};
use crate::options::is_true;
use crate::score::{self, INFINITY};

const OPT_STRATEGY: &str = "node-health-strategy";
const OPT_BASE: &str = "node-health-base";
const OPT_RED: &str = "node-health-red";
const OPT_YELLOW: &str = "node-health-yellow";
const OPT_GREEN: &str = "node-health-green";
/// Resource meta-attribute exempting a resource from negative health scores.
const META_ALLOW_UNHEALTHY: &str = "allow-unhealthy-nodes";
/// Node attributes with this prefix are health attributes.
const ATTR_PREFIX: &str = "#health";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HealthStrategy {
    #[default]
    None,
    MigrateOnRed,
    OnlyGreen,
    Progressive,
    Custom,
}

impl HealthStrategy {
    /// Unknown values mean "none", as in Pacemaker.
    fn parse(text: Option<&str>) -> Self {
        match text.map(str::to_ascii_lowercase).as_deref() {
            Some("migrate-on-red") => HealthStrategy::MigrateOnRed,
            Some("only-green") => HealthStrategy::OnlyGreen,
            Some("progressive") => HealthStrategy::Progressive,
            Some("custom") => HealthStrategy::Custom,
            _ => HealthStrategy::None,
        }
    }
}

/// The strategy and the scores its colours stand for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HealthPolicy {
    pub strategy: HealthStrategy,
    red: i32,
    yellow: i32,
    green: i32,
    /// Added to every node's sum (progressive strategy only).
    base: i32,
}

impl HealthPolicy {
    pub fn from_options(raw: &HashMap<String, String>) -> Self {
        let strategy = HealthStrategy::parse(raw.get(OPT_STRATEGY).map(String::as_str));
        // Colour words in the options themselves score 0: the colours are
        // being defined here.
        let option = |name: &str| raw.get(name).map(|v| colourless_score(v)).unwrap_or(0);
        let (red, yellow, green) = match strategy {
            HealthStrategy::None => (0, 0, 0),
            HealthStrategy::MigrateOnRed => (-INFINITY, 0, 0),
            HealthStrategy::OnlyGreen => (-INFINITY, -INFINITY, 0),
            HealthStrategy::Progressive | HealthStrategy::Custom => {
                (option(OPT_RED), option(OPT_YELLOW), option(OPT_GREEN))
            }
        };
        let mut policy = HealthPolicy { strategy, red, yellow, green, base: 0 };
        if strategy == HealthStrategy::Progressive {
            policy.base = raw.get(OPT_BASE).map(|v| policy.score(v)).unwrap_or(0);
        }
        policy
    }

    /// A score as Pacemaker's char2score reads it, colours included.
    pub fn score(&self, text: &str) -> i32 {
        match text.to_ascii_lowercase().as_str() {
            "red" => self.red,
            "yellow" => self.yellow,
            "green" => self.green,
            _ => colourless_score(text),
        }
    }

    /// The node's overall health score: the base plus all its health
    /// attributes.
    fn node_score(&self, attrs: &HashMap<String, String>) -> i32 {
        health_attributes(attrs).fold(self.base, |sum, value| score::add(sum, self.score(value)))
    }

    /// Whether the node is red (negative), yellow (0) or green (positive),
    /// as the node list shows it. A colour word counts as that colour even
    /// when the scores of two colours are equal.
    pub fn node_colour(&self, attrs: &HashMap<String, String>) -> i32 {
        if self.strategy == HealthStrategy::None {
            return 1;
        }
        let mut colour = 1;
        for value in health_attributes(attrs) {
            match value.to_ascii_lowercase().as_str() {
                "red" => return -1,
                "yellow" => colour = 0,
                _ => {
                    let s = self.score(value);
                    if s <= self.red {
                        return -1;
                    }
                    if s <= self.yellow && self.yellow != self.green {
                        colour = 0;
                    }
                }
            }
        }
        colour
    }
}

fn colourless_score(text: &str) -> i32 {
    score::parse_or_zero(text)
}

fn health_attributes(attrs: &HashMap<String, String>) -> impl Iterator<Item = &str> {
    attrs
        .iter()
        .filter(|(name, _)| name.starts_with(ATTR_PREFIX))
        .map(|(_, value)| value.as_str())
}

/// The node's health as the node list shows it: negative for red, 0 for
/// yellow, positive for green (always green without a strategy).
pub fn node_colour(ws: &WorkingSet, node: NodeIdx) -> i32 {
    ws.options.node_health.node_colour(&ws.nodes[node].attrs)
}

/// Makes each node's overall health score a location score of every
/// top-level resource there; resources allowing unhealthy nodes are exempt
/// from negative scores.
pub fn apply_node_health(ws: &mut WorkingSet) {
    let policy = ws.options.node_health;
    if policy.strategy == HealthStrategy::None {
        return;
    }
    for node in 0..ws.nodes.len() {
        let health = policy.node_score(&ws.nodes[node].attrs);
        if health == 0 {
            continue;
        }
        for r in ws.top_level.clone() {
            let exempt = health < 0
                && ws.resources[r]
                    .meta
                    .get(META_ALLOW_UNHEALTHY)
                    .map(|v| is_true(v))
                    .unwrap_or(false);
            if !exempt {
                crate::unpack::apply_location(ws, r, node, health);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn strategies_give_colours_their_scores() {
        let red_only = HealthPolicy::from_options(&map(&[(OPT_STRATEGY, "migrate-on-red")]));
        assert_eq!((red_only.score("red"), red_only.score("Yellow")), (-INFINITY, 0));
        let green_only = HealthPolicy::from_options(&map(&[(OPT_STRATEGY, "only-green")]));
        assert_eq!(green_only.score("yellow"), -INFINITY);
        let progressive = HealthPolicy::from_options(&map(&[
            (OPT_STRATEGY, "progressive"),
            (OPT_YELLOW, "-100"),
            (OPT_BASE, "20"),
        ]));
        let attrs = map(&[("#health-a", "yellow"), ("#health-b", "-5"), ("other", "red")]);
        assert_eq!(progressive.node_score(&attrs), -85);
        assert_eq!(HealthPolicy::from_options(&map(&[(OPT_STRATEGY, "bogus")])).strategy, HealthStrategy::None);
    }

    #[test]
    fn colour_words_decide_the_colour_even_when_scores_coincide() {
        // Custom strategy with all colours scoring 0.
        let policy = HealthPolicy::from_options(&map(&[(OPT_STRATEGY, "custom")]));
        assert_eq!(policy.node_colour(&map(&[("#health-x", "yellow")])), 0);
        assert_eq!(policy.node_colour(&map(&[("#health-x", "red"), ("#health-y", "yellow")])), -1);
        assert_eq!(policy.node_colour(&map(&[("#health-x", "green")])), -1, "0 <= red score 0");
        let none = HealthPolicy::default();
        assert_eq!(none.node_colour(&map(&[("#health-x", "red")])), 1);
    }
}

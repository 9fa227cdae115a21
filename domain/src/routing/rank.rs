//! How routing ranks a queue's members (C4, X2), free of the database: who may take a chat, and in
//! which order (least loaded, then best skill level, then longest idle).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::entity::operator;
use crate::enums::OperatorStatus;
use crate::ids::OperatorId;
use crate::presence::rules::takes_new_chats;

/// Why a candidate was not chosen (X2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
pub enum SkipReason {
    /// Not READY.
    NotReady,
    /// On a phone call (C3).
    OnCall,
    /// At the concurrent-chat limit.
    AtLimit,
    /// Lacks the queue's skill.
    LacksSkill,
    /// Declined or missed this very chat just before.
    AlreadyOffered,
    /// In after-chat work (X6).
    AfterChatWork,
    /// Eligible, but another candidate ranked higher.
    Outranked,
    /// Eligible, but their capacity was taken by a concurrent assignment.
    LostRace,
}

/// One operator as routing saw them. Kept with every decision, for every member of the queue
/// (X2), so what is false or absent is left out of the stored JSON: a decision among 200
/// members is about a third smaller, and it is written inside the hand-off's transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    pub operator_id: OperatorId,
    pub status: OperatorStatus,
    #[serde(default, skip_serializing_if = "is_false")]
    pub on_call: bool,
    pub load: i32,
    pub max_chats: i32,
    /// The operator's level in the queue's skill, if the queue has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skill_level: Option<i16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_assigned_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub in_after_chat_work: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub already_offered: bool,
    /// Why they were not chosen; none for the chosen one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<SkipReason>,
}

fn is_false(value: &bool) -> bool {
    !value
}

impl Candidate {
    fn ineligibility(&self, queue_needs_skill: bool) -> Option<SkipReason> {
        if !takes_new_chats(self.status) {
            Some(SkipReason::NotReady)
        } else if self.on_call {
            Some(SkipReason::OnCall)
        } else if self.in_after_chat_work {
            Some(SkipReason::AfterChatWork)
        } else if self.load >= self.max_chats {
            Some(SkipReason::AtLimit)
        } else if queue_needs_skill && self.skill_level.is_none() {
            Some(SkipReason::LacksSkill)
        } else if self.already_offered {
            Some(SkipReason::AlreadyOffered)
        } else {
            None
        }
    }
}

/// Orders candidates: eligible ones first, least loaded, then best skill level, then longest
/// since their last assignment (never assigned counts as longest); ineligible ones get their
/// reason. Ties beyond that go by id, so the order is deterministic.
pub fn rank(mut candidates: Vec<Candidate>, queue_needs_skill: bool) -> Vec<Candidate> {
    for candidate in &mut candidates {
        candidate.skipped = candidate.ineligibility(queue_needs_skill);
    }
    candidates.sort_by(|a, b| {
        a.skipped
            .is_some()
            .cmp(&b.skipped.is_some())
            .then(a.load.cmp(&b.load))
            .then(b.skill_level.cmp(&a.skill_level))
            .then(a.last_assigned_at.cmp(&b.last_assigned_at))
            .then(a.operator_id.cmp(&b.operator_id))
    });
    candidates
}

/// How a presence change affects capacity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CapacityChange {
    None,
    /// The operator can take chats now and could not before: offer waiting chats.
    Freed,
    /// The operator left (OFFLINE or AWAY): hand their chats back (X7).
    Gone,
}

pub(crate) fn can_take(op: &operator::Model, now: DateTime<Utc>) -> bool {
    takes_new_chats(op.status)
        && !op.on_call
        && op.active_chats < op.max_chats
        && op.after_work_until.is_none_or(|until| until <= now)
}

impl CapacityChange {
    pub fn between(before: &operator::Model, after: &operator::Model, now: DateTime<Utc>) -> Self {
        let gone = |status| matches!(status, OperatorStatus::Offline | OperatorStatus::Away);
        if gone(after.status) && !gone(before.status) {
            CapacityChange::Gone
        } else if can_take(after, now)
            && (!can_take(before, now) || after.max_chats > before.max_chats)
        {
            CapacityChange::Freed
        } else {
            CapacityChange::None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use std::collections::HashSet;

    fn candidate(load: i32, level: Option<i16>, last: Option<i64>) -> Candidate {
        Candidate {
            operator_id: OperatorId::new(),
            status: OperatorStatus::Ready,
            on_call: false,
            load,
            max_chats: 3,
            skill_level: level,
            last_assigned_at: last.map(|s| DateTime::from_timestamp(s, 0).unwrap()),
            in_after_chat_work: false,
            already_offered: false,
            skipped: None,
        }
    }

    #[test]
    fn least_loaded_wins_then_best_skill_then_longest_idle() {
        let busy = candidate(2, Some(5), None);
        let expert = candidate(1, Some(5), Some(100));
        let novice = candidate(1, Some(1), Some(0));
        let ranked = rank(vec![busy.clone(), novice.clone(), expert.clone()], true);
        let order: Vec<_> = ranked.iter().map(|c| c.operator_id).collect();
        assert_eq!(
            order,
            vec![expert.operator_id, novice.operator_id, busy.operator_id]
        );

        let long_idle = candidate(1, Some(3), Some(10));
        let recent = candidate(1, Some(3), Some(500));
        let never = candidate(1, Some(3), None);
        let ranked = rank(vec![recent.clone(), long_idle.clone(), never.clone()], true);
        let order: Vec<_> = ranked.iter().map(|c| c.operator_id).collect();
        assert_eq!(
            order,
            vec![never.operator_id, long_idle.operator_id, recent.operator_id]
        );
    }

    #[test]
    fn ineligible_candidates_carry_their_reason_and_come_last() {
        let mut on_break = candidate(0, Some(3), None);
        on_break.status = OperatorStatus::Break;
        let mut calling = candidate(0, Some(3), None);
        calling.on_call = true;
        let full = candidate(3, Some(3), None);
        let unskilled = candidate(0, None, None);
        let mut declined = candidate(0, Some(3), None);
        declined.already_offered = true;
        let mut wrapping = candidate(0, Some(3), None);
        wrapping.in_after_chat_work = true;
        let ok = candidate(2, Some(1), None);
        let ranked = rank(
            vec![
                on_break,
                calling,
                full,
                unskilled,
                declined,
                wrapping,
                ok.clone(),
            ],
            true,
        );
        assert_eq!(ranked[0].operator_id, ok.operator_id);
        assert_eq!(ranked[0].skipped, None);
        let reasons: HashSet<_> = ranked[1..].iter().map(|c| c.skipped.unwrap()).collect();
        assert_eq!(
            reasons,
            HashSet::from([
                SkipReason::NotReady,
                SkipReason::OnCall,
                SkipReason::AtLimit,
                SkipReason::LacksSkill,
                SkipReason::AlreadyOffered,
                SkipReason::AfterChatWork,
            ])
        );
    }

    #[test]
    fn a_queue_without_a_skill_takes_anyone() {
        let ranked = rank(vec![candidate(0, None, None)], false);
        assert_eq!(ranked[0].skipped, None);
    }

    #[test]
    fn a_decision_keeps_what_is_set_and_reads_what_it_kept_before() {
        let plain = candidate(1, None, None);
        let kept = serde_json::to_value(&plain).unwrap();
        assert_eq!(
            kept.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["load", "maxChats", "operatorId", "status"]
        );
        assert_eq!(serde_json::from_value::<Candidate>(kept).unwrap(), plain);
        // Decisions stored before every field was written out whole still read the same.
        let whole = serde_json::json!({
            "operatorId": plain.operator_id, "status": "READY", "onCall": true, "load": 1,
            "maxChats": 3, "skillLevel": null, "lastAssignedAt": null,
            "inAfterChatWork": false, "alreadyOffered": true, "skipped": "ON_CALL",
        });
        let read: Candidate = serde_json::from_value(whole).unwrap();
        assert_eq!(
            read,
            Candidate {
                on_call: true,
                already_offered: true,
                skipped: Some(SkipReason::OnCall),
                ..plain
            }
        );
    }
}

use super::*;
use proptest::prelude::*;
use std::collections::BTreeMap;
use zonewarden_catalog::system_requirements;

fn finding(status: Status) -> Finding {
    Finding {
        rule: "test".into(),
        status,
        summary: String::new(),
        assets: Vec::new(),
        flows: Vec::new(),
        captures: Vec::new(),
    }
}

fn answer(status: attest::AttestedStatus) -> AttestedAnswer {
    AttestedAnswer {
        status,
        by: Some("x".into()),
        date: None,
        evidence: None,
        reason: None,
        compensating_control: None,
        line: 7,
    }
}

#[test]
fn combining_evidence() {
    use attest::AttestedStatus as A;
    assert_eq!(combine(&[], None).0, Status::Unknown);
    assert_eq!(combine(&[], None).1, Provenance::Unknown);
    assert_eq!(
        combine(&[finding(Status::Pass)], None),
        (Status::Pass, Provenance::Observed, None)
    );
    assert_eq!(
        combine(&[finding(Status::Pass), finding(Status::Fail)], None).0,
        Status::Fail
    );
    assert_eq!(
        combine(&[finding(Status::Pass), finding(Status::Partial)], None).0,
        Status::Partial
    );
    assert_eq!(combine(&[], Some(&answer(A::Implemented))).0, Status::Pass);
    assert_eq!(
        combine(&[], Some(&answer(A::Implemented))).1,
        Provenance::Attested
    );
    // Traffic that shows the gap outranks the answer, and says so.
    let (s, p, note) = combine(&[finding(Status::Fail)], Some(&answer(A::Implemented)));
    assert_eq!((s, p), (Status::Fail, Provenance::Observed));
    assert!(note.unwrap().contains("line 7"));
    // An observed pass with an attested "not implemented": the worse stands.
    assert_eq!(
        combine(&[finding(Status::Pass)], Some(&answer(A::NotImplemented))).0,
        Status::Fail
    );
    // An unanswered question does not hide the observation.
    assert_eq!(
        combine(&[finding(Status::Partial)], Some(&answer(A::Unknown))),
        (Status::Partial, Provenance::Observed, None)
    );
}

fn all_met_up_to(level: u8) -> BTreeMap<ReqId, Status> {
    system_requirements()
        .iter()
        .map(|r| {
            let status = if r.min_level().is_some_and(|m| m <= level) {
                Status::Pass
            } else {
                Status::Unknown
            };
            (r.id, status)
        })
        .collect()
}

#[test]
fn sl_a_is_the_highest_level_whose_rows_all_pass() {
    for level in [0u8, 1, 2, 4] {
        let levels = achieved_levels(&all_met_up_to(level), &|_| true);
        assert_eq!(levels.0, [Some(level); 7], "level {level}");
    }
    // FR6 and FR7 add no requirement at SL 4: meeting their SL 3 rows reaches SL 4.
    assert_eq!(
        achieved_levels(&all_met_up_to(3), &|_| true).0,
        [3, 3, 3, 3, 3, 4, 4].map(Some)
    );
    // One SL1 row of FR5 missing (SR 5.3): FR5 drops to 0, the others stay.
    let mut statuses = all_met_up_to(2);
    let sr53: ReqId = "SR 5.3".parse().unwrap();
    statuses.insert(sr53, Status::Fail);
    let levels = achieved_levels(&statuses, &|_| true);
    assert_eq!(levels.get(5), Some(0));
    assert_eq!(levels.get(4), Some(2));
    // Not applicable counts as met; partial does not.
    statuses.insert(sr53, Status::NotApplicable);
    assert_eq!(achieved_levels(&statuses, &|_| true).get(5), Some(2));
    statuses.insert(sr53, Status::Partial);
    assert_eq!(achieved_levels(&statuses, &|_| true).get(5), Some(0));
    // A conduit sees its requirements only: FR2 has none.
    let conduit = achieved_levels(&all_met_up_to(1), &|r| applies_to_conduits(&r.id));
    assert_eq!(conduit.get(2), None);
    // FR3 on a conduit is SR 3.1 (SL 1) and SR 3.1 RE(1) (SL 3): SL 2 asks nothing more.
    assert_eq!(conduit.get(3), Some(2));
}

#[test]
fn gaps_never_go_below_zero() {
    let t = FrLevels([Some(2), Some(1), None, Some(3), Some(0), Some(4), Some(1)]);
    let a = FrLevels([Some(1), Some(3), Some(2), Some(3), Some(0), None, Some(0)]);
    assert_eq!(
        gaps(&t, &a).0,
        [Some(1), Some(0), None, Some(0), Some(0), None, Some(1)]
    );
}

fn status_strategy() -> impl Strategy<Value = Status> {
    prop_oneof![
        Just(Status::Pass),
        Just(Status::Partial),
        Just(Status::Fail),
        Just(Status::NotApplicable),
        Just(Status::Unknown),
    ]
}

proptest! {
    /// Meeting one more requirement never lowers SL-A.
    #[test]
    fn meeting_one_more_requirement_never_lowers_sl_a(
        statuses in proptest::collection::vec(status_strategy(), 100),
        pick in 0usize..100,
    ) {
        let reqs = system_requirements();
        let map: BTreeMap<ReqId, Status> = reqs.iter().zip(&statuses).map(|(r, s)| (r.id, *s)).collect();
        let before = achieved_levels(&map, &|_| true);
        let mut better = map.clone();
        if let Some(r) = reqs.get(pick % reqs.len()) {
            better.insert(r.id, Status::Pass);
        }
        let after = achieved_levels(&better, &|_| true);
        for fr in 1..=7 {
            prop_assert!(after.get(fr) >= before.get(fr));
        }
    }

    /// Removing evidence (an observed or attested pass becomes unknown) never raises SL-A,
    /// and combining never turns a missing answer into a pass.
    #[test]
    fn removing_evidence_never_raises_sl_a(
        statuses in proptest::collection::vec(status_strategy(), 100),
        pick in 0usize..100,
    ) {
        let reqs = system_requirements();
        let map: BTreeMap<ReqId, Status> = reqs.iter().zip(&statuses).map(|(r, s)| (r.id, *s)).collect();
        let before = achieved_levels(&map, &|_| true);
        let mut less = map.clone();
        if let Some(r) = reqs.get(pick % reqs.len()) {
            less.insert(r.id, Status::Unknown);
        }
        let after = achieved_levels(&less, &|_| true);
        for fr in 1..=7 {
            prop_assert!(after.get(fr) <= before.get(fr));
        }
    }
}

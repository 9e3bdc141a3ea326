//! Requirement id parsing, normalisation, display and order.

use crate::{system_requirements, Doc, IdError, ReqId};
use proptest::prelude::*;

fn id(s: &str) -> ReqId {
    s.parse().unwrap()
}

#[test]
fn spellings_normalise_to_the_canonical_form() {
    let canonical = ReqId::new(Doc::Sr, 1, Some(1), Some(1)).unwrap();
    for s in [
        "SR 1.1 RE(1)",
        "SR 1.1(1)",
        "SR 1.1 (1)",
        "SR 1.1 RE 1",
        "SR 1.1 RE1",
        "SR 1.1 RE (1)",
        "SR 1.1.RE1",
        "SR1.1RE(1)",
        "sr 1.1 re(1)",
        "  SR 1.1   RE( 1 )  ",
        "SR\u{a0}1.1\u{a0}RE(1)",
        "SR 01.01 RE(01)",
    ] {
        assert_eq!(id(s), canonical, "{s:?}");
        assert_eq!(id(s).to_string(), "SR 1.1 RE(1)", "{s:?}");
    }
    assert_eq!(ReqId::parse_in("1.1.RE1", Doc::Sr).unwrap(), canonical);
    assert_eq!(ReqId::parse_in("1.1(1)", Doc::Sr).unwrap(), canonical);
    assert_eq!(
        ReqId::parse_in("1.1 RE(1)", Doc::Cr).unwrap().to_string(),
        "CR 1.1 RE(1)"
    );
    // An explicit prefix wins over the default.
    assert_eq!(
        ReqId::parse_in("EDR 3.14 RE(1)", Doc::Cr).unwrap().doc(),
        Doc::Edr
    );
    assert_eq!(id("SR 1.1").to_string(), "SR 1.1");
    assert_eq!(id("ccsc 2").to_string(), "CCSC 2");
    assert_eq!(id("ZCR 3").to_string(), "ZCR 3");
    assert_eq!(id("zcr 3.1").to_string(), "ZCR 3.1");
    assert_eq!(id("NDR 5.2 RE(3)").to_string(), "NDR 5.2 RE(3)");
}

#[test]
fn invalid_ids_are_typed_errors() {
    let err = |s: &str| s.parse::<ReqId>().unwrap_err();
    assert_eq!(err(""), IdError::Empty);
    assert_eq!(err("   "), IdError::Empty);
    assert_eq!(err("1.1"), IdError::MissingDoc("1.1".into()));
    assert_eq!(err("XR 1.1"), IdError::UnknownDoc("XR".into()));
    assert_eq!(
        err("SR 8.1"),
        IdError::FrOutOfRange {
            doc: Doc::Sr,
            major: 8
        }
    );
    assert_eq!(err("SR 0.1"), IdError::Zero);
    assert_eq!(err("SR 1.0"), IdError::Zero);
    assert_eq!(err("SR 1.1 RE(0)"), IdError::Zero);
    assert_eq!(err("SR 1"), IdError::MinorRequired(Doc::Sr));
    assert_eq!(err("CCSC 1.1"), IdError::MinorNotAllowed(Doc::Ccsc));
    assert_eq!(
        err("ZCR 3.1 RE(1)"),
        IdError::EnhancementNotAllowed(Doc::Zcr)
    );
    assert_eq!(err("CCSC 1(1)"), IdError::EnhancementNotAllowed(Doc::Ccsc));
    assert_eq!(err("SR 1.256"), IdError::NumberTooLarge("SR 1.256".into()));
    assert!(matches!(err("SR"), IdError::ExpectedNumber { .. }));
    assert!(matches!(err("SR x"), IdError::ExpectedNumber { .. }));
    assert!(matches!(err("SR 1.1 RE"), IdError::ExpectedNumber { .. }));
    assert!(matches!(err("SR 1.1 RE(1"), IdError::Trailing { .. }));
    assert!(matches!(err("SR 1.1 RE(1) x"), IdError::Trailing { .. }));
    assert!(matches!(err("SR 1.1."), IdError::Trailing { .. }));
    assert!(matches!(err("SR 1.1 / SR 1.2"), IdError::Trailing { .. }));
    // Errors explain themselves.
    assert_eq!(
        err("SR 8.1").to_string(),
        "SR 8: the foundational requirement number must be 1 to 7"
    );
}

#[test]
fn accessors_base_parent_fr() {
    let re = id("SR 3.8 RE(2)");
    assert_eq!(
        (re.doc(), re.major(), re.minor(), re.re()),
        (Doc::Sr, 3, Some(8), Some(2))
    );
    assert_eq!(re.fr(), Some(3));
    assert!(re.is_enhancement());
    assert_eq!(re.base(), id("SR 3.8"));
    assert_eq!(re.parent(), Some(id("SR 3.8")));
    assert_eq!(id("SR 3.8").base(), id("SR 3.8"));
    assert_eq!(id("SR 3.8").parent(), None);
    assert_eq!(id("ZCR 5.6").parent(), Some(id("ZCR 5")));
    assert_eq!(id("ZCR 5").parent(), None);
    assert_eq!(id("ZCR 5").fr(), None);
    assert_eq!(id("CCSC 3").fr(), None);
    assert_eq!(id("HDR 3.2 RE(1)").fr(), Some(3));
    assert_eq!(Doc::Edr.part(), "4-2");
    assert_eq!("ndr".parse::<Doc>().unwrap(), Doc::Ndr);
}

#[test]
fn document_order() {
    let mut ids: Vec<ReqId> = [
        "SR 1.10",
        "SR 1.2",
        "SR 1.1 RE(1)",
        "SR 1.1",
        "SR 1.1 RE(2)",
        "SR 2.1",
        "SR 1.9 RE(1)",
    ]
    .into_iter()
    .map(id)
    .collect();
    ids.sort();
    let shown: Vec<String> = ids.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "SR 1.1",
            "SR 1.1 RE(1)",
            "SR 1.1 RE(2)",
            "SR 1.2",
            "SR 1.9 RE(1)",
            "SR 1.10",
            "SR 2.1"
        ]
    );
    assert!(id("SR 1.1") < id("SR 1.1 RE(1)"));
    assert!(id("SR 1.1 RE(1)") < id("SR 1.2"));
    assert!(id("SR 1.2") < id("SR 1.10"));
    // Across families: 3-2, 3-3, then 4-2 (constraints, CR, SAR, EDR, HDR, NDR).
    assert!(id("ZCR 7.1") < id("SR 1.1"));
    assert!(id("SR 7.8") < id("CCSC 1"));
    assert!(id("CCSC 4") < id("CR 1.1"));
    assert!(id("CR 7.8") < id("SAR 2.4"));
    assert!(id("SAR 3.2") < id("EDR 2.4"));
    assert!(id("EDR 3.14 RE(1)") < id("HDR 2.4"));
    assert!(id("HDR 3.14 RE(1)") < id("NDR 1.6"));
}

#[test]
fn every_catalog_id_round_trips() {
    let all = system_requirements()
        .iter()
        .map(|r| r.id)
        .chain(crate::component_requirements().iter().map(|r| r.id))
        .chain(crate::zone_conduit_requirements().iter().map(|r| r.id));
    let mut n = 0;
    for i in all {
        assert_eq!(i.to_string().parse::<ReqId>().unwrap(), i);
        n += 1;
    }
    assert_eq!(n, 100 + 129 + 39);
}

fn valid_id() -> impl Strategy<Value = ReqId> {
    (
        prop::sample::select(Doc::ALL.to_vec()),
        1u8..=255,
        prop::option::of(1u8..=255),
        prop::option::of(1u8..=255),
    )
        .prop_map(|(doc, major, minor, re)| {
            let (major, minor, re) = if doc.has_fr() {
                (major % 7 + 1, Some(minor.unwrap_or(1)), re)
            } else if doc == Doc::Ccsc {
                (major, None, None)
            } else {
                (major, minor, None)
            };
            ReqId::new(doc, major, minor, re).unwrap()
        })
}

proptest! {
    #[test]
    fn parsing_never_panics(s in any::<String>()) {
        let _ = s.parse::<ReqId>();
        let _ = ReqId::parse_in(&s, Doc::Sr);
        let _ = s.parse::<crate::SdlId>();
    }

    #[test]
    fn parsing_id_like_text_never_panics(s in "[SRCEHNDAZsr .()0-9RE\u{a0}é]{0,24}") {
        let _ = s.parse::<ReqId>();
        let _ = ReqId::parse_in(&s, Doc::Cr);
    }

    #[test]
    fn display_then_parse_is_identity(i in valid_id()) {
        prop_assert_eq!(i.to_string().parse::<ReqId>(), Ok(i));
    }

    #[test]
    fn other_spellings_parse_to_the_same_id(i in valid_id()) {
        let numbers = match i.minor() {
            Some(m) => format!("{}.{m}", i.major()),
            None => i.major().to_string(),
        };
        let p = i.doc().prefix();
        let spellings = match i.re() {
            Some(re) => vec![
                format!("{p} {numbers}({re})"),
                format!("{p} {numbers} RE {re}"),
                format!("{} {numbers}.re{re}", p.to_lowercase()),
                format!("{p}{numbers}RE({re})"),
            ],
            None => vec![format!("{p}{numbers}"), format!(" {} {numbers} ", p.to_lowercase())],
        };
        for s in spellings {
            prop_assert_eq!(s.parse::<ReqId>(), Ok(i), "{}", s);
        }
        let bare = match i.re() {
            Some(re) => format!("{numbers}.RE{re}"),
            None => numbers.clone(),
        };
        prop_assert_eq!(ReqId::parse_in(&bare, i.doc()), Ok(i));
    }

    #[test]
    fn order_is_numeric_within_a_family(a in valid_id(), b in valid_id()) {
        if a.doc() == b.doc() {
            let key = |i: &ReqId| (i.major(), i.minor(), i.re());
            prop_assert_eq!(a.cmp(&b), key(&a).cmp(&key(&b)));
        }
    }
}

//! The shipped catalogs load and hold what `data/README.md` says they hold.

use crate::load::{self, LoadErrorKind};
use crate::*;
use std::collections::BTreeSet;

fn id(s: &str) -> ReqId {
    s.parse().unwrap()
}

#[test]
fn every_catalog_loads() {
    // The accessors would hide a failure behind empty slices; this is where it shows.
    if let Err(e) = load::load_all() {
        panic!("embedded catalog does not load: {e}");
    }
    verify().unwrap();
}

#[test]
fn embedded_files_match_the_readme_row_counts() {
    for (name, text) in load::FILES {
        let records = crate::table::parse(text).unwrap();
        let expected = match name {
            load::FR_FILE => 7,
            load::SR_FILE => 100,
            load::CR_FILE => 129,
            load::ZCR_FILE => 39,
            load::SDL_FILE => 55,
            load::PROGRAM_FILE => 136,
            load::ATTACK_FILE => 52,
            other => panic!("unexpected file {other}"),
        };
        assert_eq!(records.len() - 1, expected, "{name}");
    }
}

#[test]
fn foundational_requirements_fr1_to_fr7() {
    let frs = foundational_requirements();
    let abbr: Vec<_> = frs.iter().map(|f| f.abbreviation.as_str()).collect();
    assert_eq!(abbr, ["IAC", "UC", "SI", "DC", "RDF", "TRE", "RA"]);
    assert_eq!(
        frs.iter().map(|f| f.fr).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5, 6, 7]
    );
    assert_eq!(
        foundational_requirement(5).unwrap().title,
        "Restricted data flow"
    );
    assert!(foundational_requirement(8).is_none());
}

#[test]
fn system_requirements_51_srs_and_49_res() {
    let srs = system_requirements();
    assert_eq!(srs.len(), 100);
    assert_eq!(srs.iter().filter(|r| !r.id.is_enhancement()).count(), 51);
    assert_eq!(srs.iter().filter(|r| r.id.is_enhancement()).count(), 49);
    assert!(srs
        .iter()
        .all(|r| r.id.doc() == Doc::Sr && r.id.fr() == Some(r.fr)));
}

#[test]
fn system_requirement_counts_per_security_level() {
    let srs = system_requirements();
    let at = |l: u8, re: bool| {
        srs.iter()
            .filter(|r| r.required_at(l) && r.id.is_enhancement() == re)
            .count()
    };
    let total: Vec<_> = (1..=4).map(|l| at(l, false) + at(l, true)).collect();
    assert_eq!(total, [37, 60, 90, 100]);
    // README: SL1 37 SRs and no RE; SL2 49 + 11; SL3 51 + 39; SL4 everything.
    assert_eq!((at(1, false), at(1, true)), (37, 0));
    assert_eq!((at(2, false), at(2, true)), (49, 11));
    assert_eq!((at(3, false), at(3, true)), (51, 39));
    assert!(srs.iter().all(|r| r.min_level().is_some()));
    assert!(!srs[0].required_at(0) && !srs[0].required_at(5));
}

#[test]
fn settled_disputes_and_spot_checks() {
    let sr = |s: &str| system_requirement(&id(s)).unwrap();
    assert_eq!(sr("SR 1.1").min_level(), Some(1));
    assert_eq!(sr("SR 1.1 RE(3)").min_level(), Some(4));
    assert_eq!(sr("SR 3.4").min_level(), Some(2), "COR1:2014");
    assert_eq!(sr("SR 4.1 RE(2)").min_level(), Some(4));
    assert_eq!(sr("SR 6.2").min_level(), Some(2));
    assert_eq!(sr("SR 2.12 RE(1)").min_level(), Some(4));
    assert_eq!(sr("SR 1.2").min_level(), Some(2));
    assert_eq!(sr("SR 3.9").min_level(), Some(2));
    assert_eq!(
        sr("SR 2.8 RE(1)").title,
        "Centrally managed, system-wide audit trail"
    );
    assert_eq!(sr("SR 1.13").evidence, Evidence::Network);
    assert!(sr("SR 1.1").sources.iter().any(|s| s == "A"));
    assert!(system_requirement(&id("SR 3.5 RE(1)")).is_none());
}

#[test]
fn every_re_has_its_base_and_every_fr_has_srs() {
    let srs = system_requirements();
    for r in srs.iter().filter(|r| r.id.is_enhancement()) {
        let base = system_requirement(&r.id.base()).unwrap();
        assert!(!base.id.is_enhancement());
        assert_eq!(base.fr, r.fr);
    }
    for fr in 1..=7 {
        assert!(
            srs.iter().any(|r| r.fr == fr && !r.id.is_enhancement()),
            "FR{fr} has no SR"
        );
        assert!(foundational_requirement(fr).is_some());
    }
}

#[test]
fn system_requirements_are_in_document_order() {
    let srs = system_requirements();
    let mut sorted: Vec<ReqId> = srs.iter().map(|r| r.id).collect();
    sorted.sort();
    assert_eq!(sorted, srs.iter().map(|r| r.id).collect::<Vec<_>>());
    // SR 1.10 follows SR 1.9 RE(1), not SR 1.1.
    let pos = |s: &str| srs.iter().position(|r| r.id == id(s)).unwrap();
    assert_eq!(pos("SR 1.10"), pos("SR 1.9 RE(1)") + 1);
}

#[test]
fn evidence_counts() {
    let srs = system_requirements();
    let count = |e: Evidence, base_only: bool| {
        srs.iter()
            .filter(|r| r.evidence == e && (!base_only || !r.id.is_enhancement()))
            .count()
    };
    assert_eq!(
        (
            count(Evidence::Network, false),
            count(Evidence::Config, false),
            count(Evidence::Manual, false)
        ),
        (36, 41, 23)
    );
    assert_eq!(
        (
            count(Evidence::Network, true),
            count(Evidence::Config, true),
            count(Evidence::Manual, true)
        ),
        (23, 12, 16)
    );
    assert!(srs.iter().all(|r| !r.how.is_empty()));
}

#[test]
fn component_requirement_counts() {
    let crs = component_requirements();
    assert_eq!(crs.len(), 129);
    let count = |doc: Doc, re: bool| {
        crs.iter()
            .filter(|r| r.id.doc() == doc && r.id.is_enhancement() == re)
            .count()
    };
    assert_eq!(count(Doc::Ccsc, false), 4);
    assert_eq!(count(Doc::Cr, false), 46);
    assert_eq!(count(Doc::Cr, true), 27);
    // Component-specific rows, one per component type: (base, RE).
    assert_eq!((count(Doc::Sar, false), count(Doc::Sar, true)), (2, 1));
    assert_eq!((count(Doc::Edr, false), count(Doc::Edr, true)), (8, 5));
    assert_eq!((count(Doc::Hdr, false), count(Doc::Hdr, true)), (8, 6));
    assert_eq!((count(Doc::Ndr, false), count(Doc::Ndr, true)), (12, 10));
    let by_type = |t: ComponentType| crs.iter().filter(|r| r.component_type == t).count();
    assert_eq!(by_type(ComponentType::All), 77);
    assert_eq!(by_type(ComponentType::SoftwareApplication), 3);
    assert_eq!(by_type(ComponentType::EmbeddedDevice), 13);
    assert_eq!(by_type(ComponentType::HostDevice), 14);
    assert_eq!(by_type(ComponentType::NetworkDevice), 22);
}

#[test]
fn component_rows_without_requirement_and_constraints() {
    let crs = component_requirements();
    let empty: Vec<String> = crs
        .iter()
        .filter(|r| !r.has_requirement())
        .map(|r| r.id.to_string())
        .collect();
    assert_eq!(empty, ["CR 2.3", "CR 5.4", "CR 7.5"]);
    for r in crs.iter().filter(|r| !r.has_requirement()) {
        assert!(r.note.is_some(), "{} keeps its note", r.id);
        assert_eq!(r.sl, [None; 4]);
        assert_eq!(r.min_level(), None);
        assert_eq!(r.at_level(1), None);
        assert!(!r.required_at(4));
    }
    let constraints: Vec<_> = crs.iter().filter(|r| r.is_constraint()).collect();
    assert_eq!(constraints.len(), 4);
    assert!(constraints.iter().all(|r| r.fr.is_none()
        && r.component_type == ComponentType::All
        && r.min_level() == Some(1)));
    // Every other row has an FR matching its id, and every RE its base.
    for r in crs.iter().filter(|r| !r.is_constraint()) {
        assert_eq!(r.fr, r.id.fr());
    }
    for r in crs.iter().filter(|r| r.id.is_enhancement()) {
        assert!(component_requirement(&r.id.base()).is_some(), "{}", r.id);
    }
    assert_eq!(
        component_requirement(&id("CR 6.2")).unwrap().min_level(),
        Some(2)
    );
    assert_eq!(
        component_requirement(&id("CR 6.1 RE(1)"))
            .unwrap()
            .min_level(),
        Some(3)
    );
    assert_eq!(
        component_requirement(&id("NDR 1.13 RE(1)"))
            .unwrap()
            .min_level(),
        Some(2)
    );
    assert!(component_requirement(&id("EDR 3.12")).is_some());
}

#[test]
fn component_types_and_clause_resolution() {
    let edr = component_requirement(&id("EDR 3.14 RE(1)")).unwrap();
    assert!(edr.applies_to(ComponentType::EmbeddedDevice));
    assert!(!edr.applies_to(ComponentType::HostDevice));
    let cr = component_requirement(&id("CR 1.1")).unwrap();
    assert!(cr.applies_to(ComponentType::NetworkDevice));

    let direct = component_clause(&id("CR 3.1"));
    assert_eq!(direct.len(), 1);
    let split: Vec<String> = component_clause(&id("CR 3.2"))
        .iter()
        .map(|r| r.id.to_string())
        .collect();
    assert_eq!(split, ["SAR 3.2", "EDR 3.2", "HDR 3.2", "NDR 3.2"]);
    assert_eq!(component_clause(&id("CR 1.6")).len(), 1);
    assert!(component_clause(&id("CR 1.99")).is_empty());
    assert!(component_clause(&id("EDR 1.6")).is_empty());
}

#[test]
fn zone_conduit_requirements_7_and_32() {
    let zcrs = zone_conduit_requirements();
    assert_eq!(zcrs.len(), 39);
    let top: Vec<u8> = zcrs
        .iter()
        .filter(|r| r.parent.is_none())
        .map(|r| r.id.major())
        .collect();
    assert_eq!(top, [1, 2, 3, 4, 5, 6, 7]);
    let subs: Vec<_> = zcrs.iter().filter(|r| r.parent.is_some()).collect();
    assert_eq!(subs.len(), 32);
    for s in subs {
        let parent = s.parent.unwrap();
        assert_eq!(parent.major(), s.id.major());
        assert!(zone_conduit_requirement(&parent).is_some());
    }
    assert_eq!(
        zone_conduit_requirement(&id("ZCR 5.6")).unwrap().title,
        "Determine SL-T"
    );
    assert_eq!(zcrs.iter().filter(|r| r.id.major() == 5).count(), 14);
}

#[test]
fn sdl_practices_8_and_47() {
    let sdl = sdl_practices();
    assert_eq!(sdl.len(), 55);
    let practices: Vec<Practice> = sdl
        .iter()
        .filter(|e| e.level == SdlLevel::Practice)
        .map(|e| e.id.practice)
        .collect();
    assert_eq!(practices, Practice::ALL);
    assert_eq!(
        sdl.iter()
            .filter(|e| e.level == SdlLevel::Requirement)
            .count(),
        47
    );
    let per: Vec<usize> = Practice::ALL
        .iter()
        .map(|p| {
            sdl.iter()
                .filter(|e| e.id.practice == *p && e.level == SdlLevel::Requirement)
                .count()
        })
        .collect();
    // SM 13, SR 5, SD 4, SI 2, SVV 5, DM 6, SUM 5, SG 7.
    assert_eq!(per, [13, 5, 4, 2, 5, 6, 5, 7]);
    assert_eq!(sdl[1].id.to_string(), "SM-1");
}

#[test]
fn sdl_ids_parse() {
    let sm1: SdlId = "sm 1".parse().unwrap();
    assert_eq!(sm1.to_string(), "SM-1");
    assert_eq!("SVV".parse::<SdlId>().unwrap().requirement, None);
    assert!("XX-1".parse::<SdlId>().is_err());
    assert!("SM-".parse::<SdlId>().is_err());
    assert!("SM-0".parse::<SdlId>().is_err());
    assert!("SM-999".parse::<SdlId>().is_err());
    assert!("".parse::<SdlId>().is_err());
}

#[test]
fn program_requirement_counts_per_edition() {
    let count =
        |e: Edition, l: ProgramLevel| program_requirements_of(e).filter(|r| r.level == l).count();
    assert_eq!(program_requirements().len(), 136);
    assert_eq!(program_requirements_of(Edition::Ed2010).count(), 25);
    assert_eq!(count(Edition::Ed2010, ProgramLevel::Category), 3);
    assert_eq!(count(Edition::Ed2010, ProgramLevel::ElementGroup), 3);
    assert_eq!(count(Edition::Ed2010, ProgramLevel::Element), 19);
    assert_eq!(program_requirements_of(Edition::Ed2024).count(), 111);
    assert_eq!(count(Edition::Ed2024, ProgramLevel::Spe), 8);
    assert_eq!(count(Edition::Ed2024, ProgramLevel::RequirementGroup), 16);
    assert_eq!(count(Edition::Ed2024, ProgramLevel::Requirement), 87);
    let confirmed = program_requirements_of(Edition::Ed2024)
        .filter(|r| r.level == ProgramLevel::Requirement && r.sources.iter().any(|s| s == "Q"))
        .count();
    assert_eq!(confirmed, 42, "README: 42 of the 87 ids also cited by Q");
}

#[test]
fn attack_mitigations_and_their_labels() {
    let ms = attack_mitigations();
    assert_eq!(ms.len(), 52);
    assert_eq!(ms.iter().filter(|m| !m.has_62443_label()).count(), 13);
    let ids: BTreeSet<&str> = ms.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids.len(), 52);
    for m in ms {
        for sr in &m.system_requirements {
            assert!(system_requirement(sr).is_some(), "{}: {sr}", m.id);
        }
        for cr in &m.component_requirements {
            assert!(!component_clause(cr).is_empty(), "{}: {cr}", m.id);
        }
    }
    // Several ids in one cell are ';'-separated.
    let m = attack_mitigation("M0818").unwrap();
    assert_eq!(m.system_requirements, [id("SR 3.5"), id("SR 3.6")]);
    assert_eq!(m.component_requirements, [id("CR 3.5"), id("CR 3.6")]);
    // 4-2 labels only.
    let m = attack_mitigation("M0946").unwrap();
    assert!(m.system_requirements.is_empty());
    assert_eq!(m.component_requirements, [id("CR 3.14")]);
    assert_eq!(
        attack_mitigation("M0921").unwrap().component_requirements,
        [id("HDR 2.4")]
    );
    assert!(attack_mitigation("M9999").is_none());
}

#[test]
fn malformed_rows_are_reported_with_their_line() {
    let header = "fr,id,title,sl1,sl2,sl3,sl4,source,evidence,how\n";
    let ok = "FR1,SR 1.1,T,1,1,1,1,A,network,h\n";
    let bad = |row: &str| load::load_srs(&format!("{header}{ok}{row}")).unwrap_err();

    let e = bad("FR1,SR 1.1 RE(1),T,0,1,0,1,A,config,h\n");
    assert_eq!(e.line, 3);
    assert!(matches!(e.kind, LoadErrorKind::Inconsistent(_)), "{e}");
    assert!(matches!(
        bad("FR1,SR 1.2 RE(1),T,0,1,1,1,A,config,h\n").kind,
        LoadErrorKind::MissingReference(_)
    ));
    assert!(matches!(
        bad("FR2,SR 1.2,T,0,1,1,1,A,config,h\n").kind,
        LoadErrorKind::Inconsistent(_)
    ));
    assert!(matches!(
        bad("FR1,SR 1.2,T,0,1,1,,A,config,h\n").kind,
        LoadErrorKind::Value { column: "sl4", .. }
    ));
    assert!(matches!(
        bad("FR1,SR 1.2,T,0,1,1,1,A,guess,h\n").kind,
        LoadErrorKind::Value {
            column: "evidence",
            ..
        }
    ));
    assert!(matches!(
        bad("FR1,SR 1.1,T,1,1,1,1,A,network,h\n").kind,
        LoadErrorKind::Inconsistent(_)
    ));
    assert!(matches!(
        bad("FR1,SR 1.2,T,0,1,1,1,A,config\n").kind,
        LoadErrorKind::FieldCount {
            expected: 10,
            found: 9
        }
    ));
    assert!(matches!(
        bad("FR1,XR 1.2,T,0,1,1,1,A,config,h\n").kind,
        LoadErrorKind::Id { .. }
    ));
    assert!(matches!(
        bad("FR1,\"SR 1.2,T,0,1,1,1,A,config,h\n").kind,
        LoadErrorKind::Csv(_)
    ));
    assert!(matches!(
        load::load_srs("fr,id\n").unwrap_err().kind,
        LoadErrorKind::Header { .. }
    ));

    let e = load::load_crs(
        "fr,id,title,sl1,sl2,sl3,sl4,component_type,source,note\nFR2,EDR 2.4,T,1,1,1,1,HD,A,\n",
    )
    .unwrap_err();
    assert!(matches!(e.kind, LoadErrorKind::Inconsistent(_)), "{e}");
    let e = load::load_zcrs("id,title,summary\nZCR 1.1,T,S\n").unwrap_err();
    assert!(matches!(e.kind, LoadErrorKind::MissingReference(_)), "{e}");
    let e = load::load_attack(
        "mitigation_id,mitigation,iec62443_3_3,iec62443_4_2\nM0001,X,SR 9.1,\n",
        system_requirements(),
        component_requirements(),
    )
    .unwrap_err();
    assert!(matches!(e.kind, LoadErrorKind::Id { .. }), "{e}");
    let e = load::load_attack(
        "mitigation_id,mitigation,iec62443_3_3,iec62443_4_2\nM0001,X,SR 1.99,\n",
        system_requirements(),
        component_requirements(),
    )
    .unwrap_err();
    assert!(matches!(e.kind, LoadErrorKind::MissingReference(_)), "{e}");
}

#[test]
fn records_serialize_with_canonical_ids() {
    let json = serde_json::to_value(system_requirement(&id("SR 1.1 RE(1)")).unwrap()).unwrap();
    assert_eq!(json["id"], "SR 1.1 RE(1)");
    assert_eq!(json["evidence"], "config");
    assert_eq!(json["sl"], serde_json::json!([false, true, true, true]));
    let json = serde_json::to_value(component_requirement(&id("CR 2.3")).unwrap()).unwrap();
    assert_eq!(json["sl"], serde_json::json!([null, null, null, null]));
    let back: ReqId = serde_json::from_str("\"SR 1.1(1)\"").unwrap();
    assert_eq!(back, id("SR 1.1 RE(1)"));
    assert!(serde_json::from_str::<ReqId>("\"SR 8.1\"").is_err());
}

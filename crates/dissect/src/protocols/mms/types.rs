//! MMS service numbers (ISO 9506-2 ConfirmedServiceRequest CHOICE tags) with names and classes.

use crate::OpClass;

pub(crate) fn service(number: u16) -> (&'static str, OpClass) {
    use OpClass::*;
    match number {
        0 => ("status", Diagnostic),
        1 => ("getNameList", Diagnostic),
        2 => ("identify", Diagnostic),
        3 => ("rename", Write),
        4 => ("read", Read),
        5 => ("write", Write),
        6 => ("getVariableAccessAttributes", Diagnostic),
        7 => ("defineNamedVariable", Other),
        8 => ("defineScatteredAccess", Other),
        9 => ("getScatteredAccessAttributes", Diagnostic),
        10 => ("deleteVariableAccess", Other),
        11 => ("defineNamedVariableList", Other),
        12 => ("getNamedVariableListAttributes", Diagnostic),
        13 => ("deleteNamedVariableList", Other),
        14 => ("defineNamedType", Other),
        15 => ("getNamedTypeAttributes", Diagnostic),
        16 => ("deleteNamedType", Other),
        17 => ("input", Read),
        18 => ("output", Write),
        19 => ("takeControl", Control),
        20 => ("relinquishControl", Control),
        21 => ("defineSemaphore", Other),
        22 => ("deleteSemaphore", Other),
        23 => ("reportSemaphoreStatus", Diagnostic),
        24 => ("reportPoolSemaphoreStatus", Diagnostic),
        25 => ("reportSemaphoreEntryStatus", Diagnostic),
        26 => ("initiateDownloadSequence", Program),
        27 => ("downloadSegment", Program),
        28 => ("terminateDownloadSequence", Program),
        29 => ("initiateUploadSequence", Program),
        30 => ("uploadSegment", Program),
        31 => ("terminateUploadSequence", Program),
        32 => ("requestDomainDownload", Program),
        33 => ("requestDomainUpload", Program),
        34 => ("loadDomainContent", Program),
        35 => ("storeDomainContent", Program),
        36 => ("deleteDomain", Program),
        37 => ("getDomainAttributes", Diagnostic),
        38 => ("createProgramInvocation", Program),
        39 => ("deleteProgramInvocation", Program),
        40 => ("start", Control),
        41 => ("stop", Control),
        42 => ("resume", Control),
        43 => ("reset", Control),
        44 => ("kill", Control),
        45 => ("getProgramInvocationAttributes", Diagnostic),
        46 => ("obtainFile", Program),
        47..=62 => ("event management", Other),
        63 => ("getAlarmSummary", Read),
        64 => ("getAlarmEnrollmentSummary", Read),
        65 => ("readJournal", Read),
        66 => ("writeJournal", Write),
        67 => ("initializeJournal", Write),
        68 => ("reportJournalStatus", Diagnostic),
        69 => ("createJournal", Other),
        70 => ("deleteJournal", Other),
        71 => ("getCapabilityList", Diagnostic),
        72 => ("fileOpen", Read),
        73 => ("fileRead", Read),
        74 => ("fileClose", Read),
        75 => ("fileRename", Program),
        76 => ("fileDelete", Program),
        77 => ("fileDirectory", Diagnostic),
        _ => ("unknown service", Other),
    }
}

/// Operation codes for the PDUs that are not confirmed services, kept above the service range
/// so they never collide with ConfirmedServiceRequest numbers.
pub(crate) const INITIATE: u16 = 0x100;
pub(crate) const CONCLUDE: u16 = 0x101;
pub(crate) const CANCEL: u16 = 0x102;
pub(crate) const INFORMATION_REPORT: u16 = 0x103;
pub(crate) const REJECT: u16 = 0x104;

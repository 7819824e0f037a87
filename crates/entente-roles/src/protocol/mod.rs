//! The election's protocol on the board, as every party reads and writes it: signed envelopes
//! and the roles that may sign them, the kinds of step and their bodies, what the board's HTTP
//! API answers, and the log read back as an election's. The server checks writes against it;
//! every other role builds its writes with it and reads the log through [`LogView`].

pub mod api;
pub mod ceremony;
pub mod envelope;
pub mod kind;
pub mod log_view;
pub mod messages;
pub mod paper;
pub mod role;

pub use api::{
    ConsistencyJson, EntryJson, InclusionJson, MAX_BODY, ROLES_KIND, Receipt, SETUP_FILES,
    normalise_code,
};
pub use ceremony::ceremony_blocking;
pub use envelope::{Envelope, LoggedEnvelope, Roles, RolesFile, WriteHeaders, header, join_bodies};
pub use log_view::{LogView, LoggedWrite, PRINT_RUNS, Unsettled};
pub use messages::{
    CeremonyStopJson, ComplaintJson, DecryptionSetJson, ElectionBody, ExcludedJson, ExclusionJson,
    FileJson, PrintRunJson, PrintedCodeJson, ResultJson, RevealJson, VerdictJson, definition_hash,
};
pub use role::Role;

//! The CIB (cluster information base) protocol: names, call options and result codes shared
//! by the CIB manager and its clients.

pub mod protocol;

//! Where the case book gets the time and its randomness: passed in, never read from the system inside the
//! book, so a driver decides both. The node gives the system clock and the operating system's randomness
//! ([`SystemSources`]); the simulator gives its simulated time and a seeded generator, so a seed names
//! every byte a run produces (keys, nonces, case ids, signatures' timestamps) and replays exactly.
//!
//! Everything the book seals or signs draws from here: case ids, epoch keys, the ephemeral keys and nonces of
//! key grants, bundle and snapshot nonces, the nonces of values sealed at rest, and the times in ledger
//! operations, confirmations, audit entries and checkpoints.

use samenloop_protocol::UnixTime;

/// The time and randomness of one node.
pub trait Sources: Send {
    /// The time now, in seconds since the Unix epoch.
    fn now(&mut self) -> UnixTime;

    /// Fills `out` with random bytes. The node's are from the operating system; only the simulator's are
    /// seeded.
    fn fill(&mut self, out: &mut [u8]);
}

impl dyn Sources + '_ {
    /// `N` random bytes.
    pub fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        self.fill(&mut out);
        out
    }
}

/// The system clock and the operating system's randomness: what a node runs with.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemSources;

impl Sources for SystemSources {
    fn now(&mut self) -> UnixTime {
        crate::network::now()
    }

    fn fill(&mut self, out: &mut [u8]) {
        crate::keystore::fill_random(out);
    }
}

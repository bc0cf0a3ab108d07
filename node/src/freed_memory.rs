//! Handing memory that a large document load freed back to the operating system.
//!
//! Why: a case document loads its parts on several threads (see `samenloop_protocol::cases::parts`), and loading
//! needs several times the memory the loaded document keeps. glibc keeps what those threads free in their
//! arenas, so without this a node that loaded a 10 000-entry case stays at about 110 MB resident where the
//! case itself needs about 25 MB. `malloc_trim` returns the free pages of every arena (a few milliseconds).

/// Returns freed heap pages to the operating system, where the C library supports it (glibc on Linux);
/// elsewhere it does nothing.
#[allow(unsafe_code)]
pub(crate) fn release() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists under its own locks; it takes no
    // pointers from us and is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

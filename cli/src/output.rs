//! Standard output as a pipeline expects it: when the reader has gone (`samenloop ... --json | grep -q X`,
//! `| head -1`), the rest of the output is dropped quietly instead of panicking with a backtrace, and the
//! program goes on to its normal end (a `node run` whose `tee` was closed still shuts its node down
//! cleanly); any other failure to write (a full disk behind a redirect) is an error that says so.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once the reader of standard output has gone: nothing more is written.
static GONE: AtomicBool = AtomicBool::new(false);

/// Writes `args` to standard output (`say!` and `say_inline!` call this).
pub fn write(args: std::fmt::Arguments<'_>, newline: bool) {
    if GONE.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    let written = out.write_fmt(args).and_then(|()| if newline { out.write_all(b"\n") } else { out.flush() });
    match written {
        Ok(()) => {}
        // Whoever read the output has what they wanted: nothing more to say.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => GONE.store(true, Ordering::Relaxed),
        Err(e) => {
            eprintln!("error: could not write the output: {e}");
            std::process::exit(1);
        }
    }
}

/// `println!` that stops quietly when the reader of standard output has gone.
macro_rules! say {
    () => { $crate::output::write(format_args!(""), true) };
    ($($arg:tt)*) => { $crate::output::write(format_args!($($arg)*), true) };
}

/// `print!` (no newline; flushed) that stops quietly when the reader of standard output has gone.
macro_rules! say_inline {
    ($($arg:tt)*) => { $crate::output::write(format_args!($($arg)*), false) };
}

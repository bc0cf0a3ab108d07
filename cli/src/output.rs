//! Standard output as a pipeline expects it: when the reader has gone (`samenloop ... --json | grep -q X`,
//! `| head -1`), the program stops quietly with success instead of panicking with a backtrace; any other
//! failure to write (a full disk behind a redirect) is an error that says so.

use std::io::Write;

/// Writes `args` to standard output (`say!` and `say_inline!` call this).
pub fn write(args: std::fmt::Arguments<'_>, newline: bool) {
    let mut out = std::io::stdout().lock();
    let written = out.write_fmt(args).and_then(|()| if newline { out.write_all(b"\n") } else { out.flush() });
    match written {
        Ok(()) => {}
        // Whoever read the output has what they wanted: nothing more to say.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
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

//! A parent-death signal for a child process, so that a server outlives neither the
//! test binary nor the tool that started it, however they end (a SIGKILL runs no
//! `Drop`). Shared by tests/common/process.rs and xtask/src/process.rs (which includes
//! this file by path).

use std::os::unix::process::CommandExt;
use std::process::Command;

/// Has `signal` sent to the process `command` starts when the thread that spawns it
/// ends; refuses to start it if this process has exited already.
pub fn die_with_parent(command: &mut Command, signal: libc::c_int) {
    let parent = std::process::id();
    // SAFETY: prctl and getppid are async-signal-safe, and nothing else runs between
    // fork and exec.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, signal) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // Killed between the fork and the prctl, the parent sends no signal.
            if libc::getppid() as u32 != parent {
                return Err(std::io::Error::other("the process that started it has exited"));
            }
            Ok(())
        });
    }
}

//! What the tests' private servers (PostgreSQL, redis-server) share about their
//! processes: a free loopback port, and a start that ties the server's life to the test
//! binary's, so that a binary killed with SIGKILL, whose `Drop`s never run, leaves no
//! server behind.

use std::net::TcpListener;
use std::process::{Child, Command};
use std::sync::{mpsc, OnceLock};

use super::death_signal::die_with_parent;

/// A loopback port nothing listens on at the moment; another process may take it before
/// the caller binds it, so a caller tries again with another when its server fails.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    listener.local_addr().expect("the port's address").port()
}

/// Spawns `command` with a parent-death signal: `signal` reaches the process when the
/// test binary ends, however it ends.
pub fn spawn_tied(mut command: Command, signal: libc::c_int) -> std::io::Result<Child> {
    die_with_parent(&mut command, signal);
    spawn_from_keeper(command)
}

/// Spawns `command` on a thread that lives as long as the test binary: a parent-death
/// signal fires when the spawning thread ends, and a test's thread (or a runtime's
/// worker or blocking thread) can end before the binary is done with the server.
fn spawn_from_keeper(command: Command) -> std::io::Result<Child> {
    type Request = (Command, mpsc::Sender<std::io::Result<Child>>);
    static KEEPER: OnceLock<mpsc::Sender<Request>> = OnceLock::new();
    let keeper = KEEPER.get_or_init(|| {
        let (requests, incoming) = mpsc::channel::<Request>();
        std::thread::Builder::new()
            .name("server-parent".to_owned())
            .spawn(move || {
                for (mut command, reply) in incoming {
                    let _ = reply.send(command.spawn());
                }
            })
            .expect("a thread to start the test servers from");
        requests
    });
    let (reply, answer) = mpsc::channel();
    keeper
        .send((command, reply))
        .expect("the server-parent thread runs");
    answer.recv().expect("the server-parent thread answers")
}

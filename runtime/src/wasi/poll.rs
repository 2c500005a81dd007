//! `poll_oneoff`: waiting on clocks (how wasi-libc implements `sleep`, `nanosleep`, `usleep`) and
//! on descriptors (`poll`, `select`).
//!
//! A host stream (a pipe, terminal or socket) is polled for real with `poll(2)`: it is reported
//! when it is readable or writable (or hung up, with `fd_readwrite_hangup`). Regular files and
//! in-memory streams are reported ready at once (reads and writes on them complete anyway). A
//! descriptor that is not open, or is used in the wrong direction, gets an event with `EBADF`, at
//! once. The call waits until some descriptor is ready or the earliest clock deadline, and reports
//! everything ready by then, clocks that have expired included; the end of the program wakes it
//! ([`WasiCtx::shutdown`]).

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::clock::{CLOCK_MONOTONIC, CLOCK_REALTIME};
use super::ctx::Handle;
use super::mem::{Env, at};
use super::rights::POLL_FD_READWRITE;
use super::{Errno, WasiCtx, WasiResult};

const SUBSCRIPTION_SIZE: u32 = 48;
const EVENT_SIZE: usize = 32;

const EVENTTYPE_CLOCK: u8 = 0;
const EVENTTYPE_FD_READ: u8 = 1;
const EVENTTYPE_FD_WRITE: u8 = 2;
/// `subclockflags::subscription_clock_abstime`.
const ABSTIME: u16 = 1;
/// `eventrwflags::fd_readwrite_hangup`.
const HANGUP: u16 = 1;

/// An event to report.
struct Event {
    userdata: u64,
    error: Errno,
    kind: u8,
    /// `fd_readwrite.flags`.
    flags: u16,
}

impl Event {
    fn new(userdata: u64, error: Errno, kind: u8) -> Self {
        Self { userdata, error, kind, flags: 0 }
    }

    fn encode(&self) -> [u8; EVENT_SIZE] {
        let mut e = [0u8; EVENT_SIZE];
        e[0..8].copy_from_slice(&self.userdata.to_le_bytes());
        e[8..10].copy_from_slice(&self.error.0.to_le_bytes());
        e[10] = self.kind;
        e[24..26].copy_from_slice(&self.flags.to_le_bytes());
        e
    }
}

/// What a descriptor subscription found: ready now, or a host stream to poll.
enum FdState {
    Ready(Errno),
    Stream(OwnedFd),
}

/// When a clock subscription fires: `None` is never (or beyond what `Instant` can represent).
fn deadline(ctx: &WasiCtx, id: u32, timeout: u64, flags: u16) -> Result<Option<Instant>, Errno> {
    let now = Instant::now();
    let wait = match (id, flags & ABSTIME != 0) {
        (CLOCK_REALTIME | CLOCK_MONOTONIC, false) => timeout,
        (CLOCK_MONOTONIC, true) => return Ok(ctx.start().checked_add(Duration::from_nanos(timeout))),
        (CLOCK_REALTIME, true) => {
            let real = SystemTime::now().duration_since(UNIX_EPOCH).map_err(|_| Errno::INVAL)?.as_nanos();
            u64::try_from(u128::from(timeout).saturating_sub(real)).unwrap_or(u64::MAX)
        }
        _ => return Err(Errno::INVAL),
    };
    Ok(now.checked_add(Duration::from_nanos(wait)))
}

/// `poll_oneoff(in, out, nsubscriptions, nevents_ptr)`.
pub(crate) fn poll_oneoff(env: &mut dyn Env, input: u32, out: u32, nsubs: u32, nevents: u32) -> WasiResult {
    if nsubs == 0 {
        return Err(Errno::INVAL);
    }
    let subs = env.read_bytes(at(input, 0), nsubs.checked_mul(SUBSCRIPTION_SIZE).ok_or(Errno::FAULT)?)?;
    env.check(at(out, 0), u64::from(nsubs) * EVENT_SIZE as u64)?;
    env.check(at(nevents, 0), 4)?;

    let mut ready = Vec::new();
    let mut clocks = Vec::new();
    // Host streams to poll: (userdata, kind, descriptor).
    let mut streams: Vec<(u64, u8, OwnedFd)> = Vec::new();
    for s in subs.chunks_exact(SUBSCRIPTION_SIZE as usize) {
        let u64_at = |i: usize| u64::from_le_bytes(s[i..i + 8].try_into().unwrap_or_default());
        let u32_at = |i: usize| u32::from_le_bytes(s[i..i + 4].try_into().unwrap_or_default());
        let userdata = u64_at(0);
        let kind = s[8];
        match kind {
            EVENTTYPE_CLOCK => {
                let flags = u16::from_le_bytes([s[40], s[41]]);
                match deadline(env.ctx(), u32_at(16), u64_at(24), flags) {
                    Ok(d) => clocks.push((userdata, d)),
                    Err(error) => ready.push(Event::new(userdata, error, kind)),
                }
            }
            EVENTTYPE_FD_READ | EVENTTYPE_FD_WRITE => {
                let state = env
                    .ctx()
                    .with_fd(u32_at(16), |e| {
                        if e.base & POLL_FD_READWRITE == 0 {
                            return Ok(FdState::Ready(Errno::NOTCAPABLE));
                        }
                        Ok(match (&e.handle, kind) {
                            (Handle::In(_), EVENTTYPE_FD_READ) | (Handle::Out(_), EVENTTYPE_FD_WRITE) => {
                                FdState::Ready(Errno::SUCCESS)
                            }
                            (Handle::File(f), EVENTTYPE_FD_READ) if f.read && f.stream => {
                                FdState::Stream(f.file.as_fd().try_clone_to_owned()?)
                            }
                            (Handle::File(f), EVENTTYPE_FD_WRITE) if f.write && f.stream => {
                                FdState::Stream(f.file.as_fd().try_clone_to_owned()?)
                            }
                            (Handle::File(f), EVENTTYPE_FD_READ) if f.read => FdState::Ready(Errno::SUCCESS),
                            (Handle::File(f), EVENTTYPE_FD_WRITE) if f.write => FdState::Ready(Errno::SUCCESS),
                            _ => FdState::Ready(Errno::BADF),
                        })
                    })
                    .unwrap_or(FdState::Ready(Errno::BADF));
                match state {
                    FdState::Ready(error) => ready.push(Event::new(userdata, error, kind)),
                    FdState::Stream(fd) => streams.push((userdata, kind, fd)),
                }
            }
            _ => return Err(Errno::INVAL),
        }
    }

    // Wait for a stream or a clock, unless something is ready already (then only look).
    let timeout = if ready.is_empty() {
        clocks.iter().filter_map(|c| c.1).min().map(|t| t.saturating_duration_since(Instant::now()))
    } else {
        Some(Duration::ZERO)
    };
    let mut fds: Vec<libc::pollfd> = streams
        .iter()
        .map(|(_, kind, fd)| libc::pollfd {
            fd: fd.as_raw_fd(),
            events: if *kind == EVENTTYPE_FD_READ { libc::POLLIN } else { libc::POLLOUT },
            revents: 0,
        })
        .collect();
    env.ctx().poll(&mut fds, timeout)?;
    for ((userdata, kind, _), p) in streams.iter().zip(&fds) {
        if p.revents != 0 {
            let mut event = Event::new(*userdata, Errno::SUCCESS, *kind);
            if p.revents & libc::POLLHUP != 0 {
                event.flags = HANGUP;
            }
            ready.push(event);
        }
    }
    let now = Instant::now();
    for (userdata, d) in clocks {
        if d.is_some_and(|d| d <= now) {
            ready.push(Event::new(userdata, Errno::SUCCESS, EVENTTYPE_CLOCK));
        }
    }

    let mut bytes = Vec::with_capacity(ready.len() * EVENT_SIZE);
    for e in &ready {
        bytes.extend_from_slice(&e.encode());
    }
    env.write(at(out, 0), &bytes)?;
    env.write_u32(at(nevents, 0), ready.len() as u32)
}

//! `poll_oneoff`: waiting on clocks (how wasi-libc implements `sleep`, `nanosleep`, `usleep`) and
//! on the standard streams and files.
//!
//! Stream and file subscriptions are reported ready at once (reads and writes on them block until they
//! complete anyway); a descriptor that is not open, or is used in the wrong direction, gets an
//! event with `EBADF`. When no stream event is ready, the call sleeps until the earliest clock
//! deadline and reports every clock subscription that has expired by then; the end of the program
//! wakes it ([`WasiCtx::shutdown`]).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::clock::{CLOCK_MONOTONIC, CLOCK_REALTIME};
use super::ctx::Handle;
use super::mem::{Env, at};
use super::{Errno, WasiCtx, WasiResult};

const SUBSCRIPTION_SIZE: u32 = 48;
const EVENT_SIZE: usize = 32;

const EVENTTYPE_CLOCK: u8 = 0;
const EVENTTYPE_FD_READ: u8 = 1;
const EVENTTYPE_FD_WRITE: u8 = 2;
/// `subclockflags::subscription_clock_abstime`.
const ABSTIME: u16 = 1;

/// An event to report.
struct Event {
    userdata: u64,
    error: Errno,
    kind: u8,
}

impl Event {
    fn encode(&self) -> [u8; EVENT_SIZE] {
        let mut e = [0u8; EVENT_SIZE];
        e[0..8].copy_from_slice(&self.userdata.to_le_bytes());
        e[8..10].copy_from_slice(&self.error.0.to_le_bytes());
        e[10] = self.kind;
        e
    }
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
                    Err(error) => ready.push(Event { userdata, error, kind }),
                }
            }
            EVENTTYPE_FD_READ | EVENTTYPE_FD_WRITE => {
                let ok = env
                    .ctx()
                    .with_fd(u32_at(16), |e| {
                        Ok(match (&e.handle, kind) {
                            (Handle::In(_), EVENTTYPE_FD_READ) | (Handle::Out(_), EVENTTYPE_FD_WRITE) => true,
                            (Handle::File(f), EVENTTYPE_FD_READ) => f.read,
                            (Handle::File(f), EVENTTYPE_FD_WRITE) => f.write,
                            _ => false,
                        })
                    })
                    .unwrap_or(false);
                let error = if ok { Errno::SUCCESS } else { Errno::BADF };
                ready.push(Event { userdata, error, kind });
            }
            _ => return Err(Errno::INVAL),
        }
    }

    if ready.is_empty() {
        // Sleep until the earliest deadline (for good if none fires, as the host would), or until
        // the program ends (`EINTR`, which ends this thread).
        let timeout = clocks.iter().filter_map(|c| c.1).min().map(|t| t.saturating_duration_since(Instant::now()));
        env.ctx().wait(None, 0, timeout)?;
    }
    let now = Instant::now();
    for (userdata, d) in clocks {
        if d.is_some_and(|d| d <= now) {
            ready.push(Event { userdata, error: Errno::SUCCESS, kind: EVENTTYPE_CLOCK });
        }
    }

    let mut bytes = Vec::with_capacity(ready.len() * EVENT_SIZE);
    for e in &ready {
        bytes.extend_from_slice(&e.encode());
    }
    env.write(at(out, 0), &bytes)?;
    env.write_u32(at(nevents, 0), ready.len() as u32)
}

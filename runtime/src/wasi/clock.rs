//! Clocks and randomness: `clock_time_get`, `clock_res_get`, `random_get`.
//!
//! Clock ids are preview1's: realtime (0, nanoseconds since the Unix epoch), monotonic (1,
//! nanoseconds since the context was built), and process (2) / thread (3) CPU time, which
//! wasi-libc's `clock()` and `clock_gettime` use; those come from the host's `clock_gettime` on
//! Unix. Randomness comes from the operating system (`getrandom`).

use std::time::{SystemTime, UNIX_EPOCH};

use super::mem::{Env, at};
use super::{Errno, WasiCtx, WasiResult};

pub(crate) const CLOCK_REALTIME: u32 = 0;
pub(crate) const CLOCK_MONOTONIC: u32 = 1;
const CLOCK_PROCESS_CPUTIME: u32 = 2;
const CLOCK_THREAD_CPUTIME: u32 = 3;

/// The current time of clock `id` in nanoseconds.
pub(crate) fn now(ctx: &WasiCtx, id: u32) -> Result<u64, Errno> {
    match id {
        CLOCK_REALTIME => {
            let d = SystemTime::now().duration_since(UNIX_EPOCH).map_err(|_| Errno::INVAL)?;
            u64::try_from(d.as_nanos()).map_err(|_| Errno::OVERFLOW)
        }
        CLOCK_MONOTONIC => u64::try_from(ctx.start().elapsed().as_nanos()).map_err(|_| Errno::OVERFLOW),
        CLOCK_PROCESS_CPUTIME => cpu_time(CpuClock::Process),
        CLOCK_THREAD_CPUTIME => cpu_time(CpuClock::Thread),
        _ => Err(Errno::INVAL),
    }
}

enum CpuClock {
    Process,
    Thread,
}

#[cfg(unix)]
fn cpu_time(which: CpuClock) -> Result<u64, Errno> {
    let id = match which {
        CpuClock::Process => libc::CLOCK_PROCESS_CPUTIME_ID,
        CpuClock::Thread => libc::CLOCK_THREAD_CPUTIME_ID,
    };
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec.
    if unsafe { libc::clock_gettime(id, &mut ts) } != 0 {
        return Err(Errno::NOTSUP);
    }
    Ok((ts.tv_sec as u64).saturating_mul(1_000_000_000).saturating_add(ts.tv_nsec as u64))
}

#[cfg(not(unix))]
fn cpu_time(_which: CpuClock) -> Result<u64, Errno> {
    Err(Errno::NOTSUP)
}

/// `clock_time_get(id, precision, time_ptr)`.
pub(crate) fn time_get(env: &mut dyn Env, id: u32, _precision: u64, ptr: u32) -> WasiResult {
    let t = now(env.ctx(), id)?;
    env.write_u64(at(ptr, 0), t)
}

/// `clock_res_get(id, res_ptr)`: realtime 1 µs, the others 1 ns.
pub(crate) fn res_get(env: &mut dyn Env, id: u32, ptr: u32) -> WasiResult {
    let res = match id {
        CLOCK_REALTIME => 1_000,
        CLOCK_MONOTONIC | CLOCK_PROCESS_CPUTIME | CLOCK_THREAD_CPUTIME => 1,
        _ => return Err(Errno::INVAL),
    };
    env.write_u64(at(ptr, 0), res)
}

/// `random_get(buf, len)`.
pub(crate) fn random_get(env: &mut dyn Env, buf: u32, len: u32) -> WasiResult {
    env.check(at(buf, 0), u64::from(len))?;
    let mut chunk = [0u8; 4096];
    let mut done: u32 = 0;
    while done < len {
        let k = (len - done).min(chunk.len() as u32) as usize;
        getrandom::fill(&mut chunk[..k]).map_err(|_| Errno::IO)?;
        env.write(at(buf, u64::from(done)), &chunk[..k])?;
        done += k as u32;
    }
    Ok(())
}

//! WASI clocks, randomness and `poll_oneoff` (sleeping).

use crate::common;

use std::time::{Duration, Instant};

use common::guest::*;
use wasmvm_runtime::wasi::WasiCtx;

#[test]
fn clocks_and_random() {
    let mut g = Guest::with_memory(ctx());
    assert_eq!(g.call("clock_time_get", &[0, 1, 0]), 0);
    assert!(g.u64_at(0) > 1_577_836_800 * 1_000_000_000, "realtime after 2020");
    assert_eq!(g.call("clock_time_get", &[1, 1, 0]), 0);
    let t0 = g.u64_at(0);
    std::thread::sleep(Duration::from_millis(2));
    assert_eq!(g.call("clock_time_get", &[1, 1, 0]), 0);
    assert!(g.u64_at(0) >= t0 + 2_000_000);
    for id in 0..4 {
        assert_eq!(g.call("clock_time_get", &[id, 0, 0]), 0, "clock {id}");
        assert_eq!(g.call("clock_res_get", &[id, 8]), 0, "clock {id}");
        assert!(g.u64_at(8) > 0);
    }
    assert_eq!(g.call("clock_time_get", &[9, 0, 0]), INVAL);
    assert_eq!(g.call("clock_res_get", &[9, 0]), INVAL);
    assert_eq!(g.call("random_get", &[1000, 10000]), 0);
    assert!(g.read(1000, 10000).iter().any(|&b| b != 0));
}

/// A clock subscription at `at` for `clock` and `timeout` ns (relative unless `abs`).
fn clock_sub(g: &mut Guest, at: u64, userdata: u64, clock: u32, timeout: u64, abs: bool) {
    let mut s = [0u8; 48];
    s[0..8].copy_from_slice(&userdata.to_le_bytes());
    s[8] = 0;
    s[16..20].copy_from_slice(&clock.to_le_bytes());
    s[24..32].copy_from_slice(&timeout.to_le_bytes());
    s[40] = abs as u8;
    g.write(at, &s);
}

#[test]
fn poll_oneoff_sleeps() {
    let mut g = Guest::with_memory(ctx());
    clock_sub(&mut g, 0, 77, 1, 30_000_000, false);
    let t = Instant::now();
    assert_eq!(g.call("poll_oneoff", &[0, 1000, 1, 2000]), 0);
    assert!(t.elapsed() >= Duration::from_millis(30));
    assert_eq!(g.u32_at(2000), 1);
    assert_eq!(g.u64_at(1000), 77);
    assert_eq!(g.read(1008, 3), [0, 0, 0], "no error, clock event");

    // Two clocks: only the earlier fires; an absolute realtime deadline in the past fires at once.
    clock_sub(&mut g, 0, 1, 1, 10_000_000, false);
    clock_sub(&mut g, 48, 2, 1, 10_000_000_000, false);
    assert_eq!(g.call("poll_oneoff", &[0, 1000, 2, 2000]), 0);
    assert_eq!((g.u32_at(2000), g.u64_at(1000)), (1, 1));
    clock_sub(&mut g, 0, 3, 0, 1, true);
    let t = Instant::now();
    assert_eq!(g.call("poll_oneoff", &[0, 1000, 1, 2000]), 0);
    assert!(t.elapsed() < Duration::from_secs(1));
    assert_eq!((g.u32_at(2000), g.u64_at(1000)), (1, 3));

    // An fd subscription is ready at once; a bad clock id is an event with EINVAL.
    let mut s = [0u8; 48];
    s[0] = 5;
    s[8] = 2; // fd_write
    s[16] = 1; // stdout
    g.write(0, &s);
    clock_sub(&mut g, 48, 6, 42, 1, false);
    assert_eq!(g.call("poll_oneoff", &[0, 1000, 2, 2000]), 0);
    assert_eq!(g.u32_at(2000), 2);
    assert_eq!((g.u64_at(1000), g.read(1008, 3)), (5, vec![0, 0, 2]));
    assert_eq!((g.u64_at(1032), g.read(1040, 3)), (6, vec![INVAL as u8, 0, 0]));

    assert_eq!(g.call("poll_oneoff", &[0, 1000, 0, 2000]), INVAL);
}

/// A pipe given as stdin is polled for real: while nothing is written, only the clock fires (before
/// issue 11 the fd event was reported at once, and a read then blocked); once data is there, the
/// fd event comes at once; once the writer is gone, a hang-up.
#[test]
fn poll_oneoff_waits_for_a_pipe() {
    use std::io::Write;
    let (reader, mut writer) = std::io::pipe().unwrap();
    let mut g = Guest::with_memory(WasiCtx::builder().stdin_file(reader).build());
    let mut s = [0u8; 48];
    s[0] = 9;
    s[8] = 1; // fd_read
    s[16] = 0; // stdin
    g.write(0, &s);
    clock_sub(&mut g, 48, 10, 1, 20_000_000, false);
    assert_eq!(g.call("poll_oneoff", &[0, 1000, 2, 2000]), 0);
    assert_eq!((g.u32_at(2000), g.u64_at(1000)), (1, 10), "only the clock");

    writer.write_all(b"x").unwrap();
    clock_sub(&mut g, 48, 10, 1, 10_000_000_000, false);
    assert_eq!(g.call("poll_oneoff", &[0, 1000, 2, 2000]), 0);
    assert_eq!((g.u32_at(2000), g.u64_at(1000), g.read(1008, 3)), (1, 9, vec![0, 0, 1]), "stdin readable");
    assert_eq!(g.u32_at(1024) & 1, 0, "not hung up");

    drop(writer);
    g.iovec(100, 200, 8);
    assert_eq!(g.call("fd_read", &[0, 100, 1, 120]), 0);
    assert_eq!(g.u32_at(120), 1);
    assert_eq!(g.call("poll_oneoff", &[0, 1000, 2, 2000]), 0);
    assert_eq!((g.u32_at(2000), g.u64_at(1000)), (1, 9));
    assert_eq!(g.u32_at(1024) & 1, 1, "hung up");
}

//! The semantics of every WebAssembly SIMD (and relaxed SIMD) instruction, defined once.
//!
//! This is the 128-bit counterpart of [`ops`](super::ops): each instruction is a zero-sized type named
//! exactly like its `wasmparser::Operator` variant, implementing one *family* trait with an
//! `#[inline(always)] fn eval`. The executor instantiates generic handlers with these types and the
//! translator folds constants with the same `eval` (through the family enum's `fold`), so an instruction's
//! meaning lives only here. The families, by operand shape:
//!
//! | trait           | `eval`                                   | enum            |
//! |-----------------|------------------------------------------|-----------------|
//! | [`V128Unary`]   | `(a: V128) -> V128`                      | [`SimdUnOp`]    |
//! | [`V128Binary`]  | `(a: V128, b: V128) -> V128`             | [`SimdBinOp`]   |
//! | [`V128Ternary`] | `(a: V128, b: V128, c: V128) -> V128`    | [`SimdTernOp`]  |
//! | [`V128Shift`]   | `(a: V128, s: u32) -> V128`              | [`SimdShiftOp`] |
//! | [`V128Test`]    | `(a: V128) -> u32`                       | [`SimdTestOp`]  |
//! | [`V128Splat`]   | `(x: u64) -> V128` (a slot, or loaded bytes) | [`SimdSplatOp`] |
//! | [`V128Extract`] | `(a: V128, lane: u8) -> u64` (a slot)    | [`SimdExtractOp`] |
//! | [`V128Replace`] | `(a: V128, lane: u8, x: u64) -> V128`    | [`SimdReplaceOp`] |
//!
//! plus [`i8x16_shuffle`], whose sixteen lane indices are an immediate. Whole-vector loads and stores,
//! lane loads and stores and `v128.const` are memory or constant plumbing, not numeric semantics, and are
//! not here.
//!
//! # Representation
//! A vector is a [`V128`] (two `u64` halves, low first) whose least significant bits are lane 0: wasm lanes are little-endian,
//! so the lane views (`to_le_bytes`/`from_le_bytes` based) are correct on any host. The lane-wise
//! instructions are written with `lanewise!` as one simple closure per lane; the few cross-lane ones
//! (narrow, extend, extmul, dot, pairwise add, swizzle) use small generic helpers over lane arrays.
//!
//! Performance note (measured with rustc 1.95 at opt-level 3 on x86-64): LLVM vectorises the 32- and
//! 64-bit lanes only partly, and the 8- and 16-bit lanes not at all, because it rebuilds the `u128` result
//! from scalar lanes with shifts and ors (SROA turns the byte array into integer arithmetic before the
//! SLP vectoriser runs). `f32x4.add` is about 28 instructions, `i8x16.add` about 100. Passing the value
//! through a vector-typed bitcast (`core::arch::x86_64::__m128i`) makes `f32x4.add` a single `addps` but
//! does not help byte lanes; a real fix needs vector types at the handler level.
//!
//! # Floating point
//! Arithmetic is the host's IEEE arithmetic (round to nearest even), whose NaN results are quiet, which wasm
//! accepts (canonical or arithmetic NaNs). `min`/`max` and the rounding instructions reuse the scalar
//! helpers of [`ops`](super::ops), so `-0 < +0` and NaN propagation are decided in one place; `pmin`/`pmax`
//! are the spec's `b < a ? b : a` / `a < b ? b : a`. Promotion and demotion quiet NaNs explicitly.
//!
//! # Relaxed SIMD: one deterministic choice per instruction
//! The relaxed instructions may return any of several results; this implementation always returns the same
//! one, so results do not depend on the host or on whether the translator folded the instruction. The
//! choice is the non-relaxed counterpart's semantics where there is one:
//! - `i8x16.relaxed_swizzle` = `i8x16.swizzle` (an index ≥ 16 selects 0);
//! - `i32x4.relaxed_trunc_f32x4_{s,u}` = `i32x4.trunc_sat_f32x4_{s,u}`, and
//!   `i32x4.relaxed_trunc_f64x2_{s,u}_zero` = `i32x4.trunc_sat_f64x2_{s,u}_zero` (saturate, NaN → 0);
//! - `f32x4/f64x2.relaxed_min/max` = `min`/`max` (NaN propagates, `-0 < +0`);
//! - `i16x8.relaxed_q15mulr_s` = `i16x8.q15mulr_sat_s`;
//! - `iNxM.relaxed_laneselect` = `v128.bitselect` with the third operand as the mask;
//! - `relaxed_madd`/`relaxed_nmadd` are unfused: `a*b + c` and `-(a*b) + c`, rounded twice;
//! - `i16x8.relaxed_dot_i8x16_i7x16_s` treats the second operand's bytes as signed and adds each pair of
//!   products with wrapping i16 arithmetic; `i32x4.relaxed_dot_i8x16_i7x16_add_s` treats them as signed and
//!   sums the four products and the accumulator in wrapping i32 arithmetic (no intermediate saturation).
//!
//! All of these are among the results the relaxed-simd spec tests accept.

use crate::ir::ops::{quiet_nan32, quiet_nan64};

/// A 128-bit vector; lane 0 is the least significant end. Two `u64` halves (low first), not a `u128`: LLVM
/// keeps an `i128` in a pair of integer registers and rebuilds vectors from it lane by lane, while a
/// `[u64; 2]` viewed as lanes stays in one SSE register (`i8x16.add` is one `paddb`; measured: about 100
/// instructions with `u128`).
#[derive(Clone, Copy, PartialEq, Eq, Default)]
#[repr(C)]
pub(crate) struct V128(pub(crate) [u64; 2]);

impl V128 {
    pub(crate) const ZERO: V128 = V128([0, 0]);

    pub(crate) const fn from_u128(v: u128) -> Self {
        V128([v as u64, (v >> 64) as u64])
    }
    pub(crate) const fn to_u128(self) -> u128 {
        self.0[0] as u128 | (self.0[1] as u128) << 64
    }
    pub(crate) fn to_le_bytes(self) -> [u8; 16] {
        self.to_u128().to_le_bytes()
    }
    pub(crate) fn from_le_bytes(b: [u8; 16]) -> Self {
        Self::from_u128(u128::from_le_bytes(b))
    }
}

impl From<u128> for V128 {
    fn from(v: u128) -> Self {
        Self::from_u128(v)
    }
}

impl std::fmt::Debug for V128 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#034x}", self.to_u128())
    }
}

macro_rules! bitwise {
    ($($tr:ident $f:ident $op:tt),*) => {$(
        impl std::ops::$tr for V128 {
            type Output = V128;
            #[inline(always)]
            fn $f(self, o: V128) -> V128 { V128([self.0[0] $op o.0[0], self.0[1] $op o.0[1]]) }
        }
    )*};
}
bitwise!(BitAnd bitand &, BitOr bitor |, BitXor bitxor ^);

impl std::ops::Not for V128 {
    type Output = V128;
    #[inline(always)]
    fn not(self) -> V128 {
        V128([!self.0[0], !self.0[1]])
    }
}

/// A lane type: the bytes of one lane, little-endian.
pub(crate) trait Lane: Copy + Default + PartialEq + PartialOrd {
    const BYTES: usize;
    fn read(b: &[u8]) -> Self;
    fn write(self, b: &mut [u8]);
}

macro_rules! lane_types {
    ($($t:ty),*) => {$(
        impl Lane for $t {
            const BYTES: usize = std::mem::size_of::<$t>();
            #[inline(always)]
            fn read(b: &[u8]) -> Self {
                <$t>::from_le_bytes(b.try_into().expect("a lane's bytes"))
            }
            #[inline(always)]
            fn write(self, b: &mut [u8]) {
                b.copy_from_slice(&self.to_le_bytes())
            }
        }
    )*};
}
lane_types!(i8, u8, i16, u16, i32, u32, i64, u64, f32, f64);

/// An integer lane that can hold a comparison result (all ones for true, zero for false).
pub(crate) trait Mask {
    fn mask(c: bool) -> Self;
}

macro_rules! mask_types {
    ($($t:ty),*) => {$(
        impl Mask for $t {
            #[inline(always)]
            fn mask(c: bool) -> Self { if c { !0 } else { 0 } }
        }
    )*};
}
mask_types!(i8, u8, i16, u16, i32, u32, i64, u64);

/// The comparison result `c` as a lane mask.
#[inline(always)]
fn mask<T: Mask>(c: bool) -> T {
    T::mask(c)
}

/// The vector as `N` lanes of `T` (`N * size_of::<T>() == 16`).
#[inline(always)]
pub(crate) fn lanes<T: Lane, const N: usize>(v: V128) -> [T; N] {
    const { assert!(N * T::BYTES == 16) };
    if cfg!(target_endian = "little") {
        // SAFETY: both are 16 bytes of plain integers or floats, for which every bit pattern is valid;
        // on a little-endian host the memory order of the halves' bytes is the lane order.
        unsafe { std::mem::transmute_copy::<[u64; 2], [T; N]>(&v.0) }
    } else {
        let b = v.to_le_bytes();
        std::array::from_fn(|i| T::read(&b[i * T::BYTES..(i + 1) * T::BYTES]))
    }
}

/// The vector made of `N` lanes of `T`.
#[inline(always)]
pub(crate) fn unlanes<T: Lane, const N: usize>(l: [T; N]) -> V128 {
    const { assert!(N * T::BYTES == 16) };
    if cfg!(target_endian = "little") {
        // SAFETY: as in `lanes`.
        return V128(unsafe { std::mem::transmute_copy::<[T; N], [u64; 2]>(&l) });
    }
    let mut b = [0u8; 16];
    for (i, x) in l.into_iter().enumerate() {
        x.write(&mut b[i * T::BYTES..(i + 1) * T::BYTES]);
    }
    V128::from_le_bytes(b)
}

/// A lane-wise operation. `lanewise!(T: a => |x| ...)`, `lanewise!(T: a, b => |x, y| ...)` and
/// `lanewise!(T: a, b, c => |x, y, z| ...)` view the operands as lanes of `T` (an integer or float type)
/// and apply the closure to each lane (or each pair or triple of lanes at the same index);
/// `lanewise!(T -> U: ...)` makes lanes of `U` (same lane count). The operands are [`V128`]s.
macro_rules! lanewise {
    ($t:ident $(-> $u:ident)?: $a:expr => |$x:ident| $body:expr) => {{
        const N: usize = 16 / std::mem::size_of::<$t>();
        let l = $crate::ir::simd::lanes::<$t, N>($a);
        $crate::ir::simd::unlanes::<lanewise!(@out $t $($u)?), N>(l.map(|$x: $t| $body))
    }};
    ($t:ident $(-> $u:ident)?: $a:expr, $b:expr => |$x:ident, $y:ident| $body:expr) => {{
        const N: usize = 16 / std::mem::size_of::<$t>();
        let (l, m) = ($crate::ir::simd::lanes::<$t, N>($a), $crate::ir::simd::lanes::<$t, N>($b));
        $crate::ir::simd::unlanes::<lanewise!(@out $t $($u)?), N>(std::array::from_fn(|i| {
            let ($x, $y) = (l[i], m[i]);
            $body
        }))
    }};
    ($t:ident: $a:expr, $b:expr, $c:expr => |$x:ident, $y:ident, $z:ident| $body:expr) => {{
        const N: usize = 16 / std::mem::size_of::<$t>();
        let (l, m, n) = (
            $crate::ir::simd::lanes::<$t, N>($a),
            $crate::ir::simd::lanes::<$t, N>($b),
            $crate::ir::simd::lanes::<$t, N>($c),
        );
        $crate::ir::simd::unlanes::<$t, N>(std::array::from_fn(|i| {
            let ($x, $y, $z) = (l[i], m[i], n[i]);
            $body
        }))
    }};
    (@out $t:ident) => { $t };
    (@out $t:ident $u:ident) => { $u };
}

/// `M` lanes of `U` made from `N` lanes of `T` starting at lane `from` (extend low/high, convert low,
/// promote low; `N == 2 * M`).
#[inline(always)]
fn extend<T: Lane, U: Lane, const N: usize, const M: usize>(a: V128, from: usize, f: impl Fn(T) -> U) -> V128 {
    let l = lanes::<T, N>(a);
    unlanes::<U, M>(std::array::from_fn(|i| f(l[from + i])))
}

/// Like [`extend`] for two operands (extended multiplication).
#[inline(always)]
fn extend2<T: Lane, U: Lane, const N: usize, const M: usize>(
    a: V128,
    b: V128,
    from: usize,
    f: impl Fn(T, T) -> U,
) -> V128 {
    let (l, m) = (lanes::<T, N>(a), lanes::<T, N>(b));
    unlanes::<U, M>(std::array::from_fn(|i| f(l[from + i], m[from + i])))
}

/// Each adjacent pair of `T` lanes combined into one `U` lane (extended pairwise addition).
#[inline(always)]
fn pairwise<T: Lane, U: Lane, const N: usize, const M: usize>(a: V128, f: impl Fn(T, T) -> U) -> V128 {
    let l = lanes::<T, N>(a);
    unlanes::<U, M>(std::array::from_fn(|i| f(l[2 * i], l[2 * i + 1])))
}

/// Each adjacent pair of lanes of both operands combined into one `U` lane (dot products):
/// `f(a[2i], a[2i+1], b[2i], b[2i+1])`.
#[inline(always)]
fn pairwise2<T: Lane, U: Lane, const N: usize, const M: usize>(a: V128, b: V128, f: impl Fn(T, T, T, T) -> U) -> V128 {
    let (l, m) = (lanes::<T, N>(a), lanes::<T, N>(b));
    unlanes::<U, M>(std::array::from_fn(|i| f(l[2 * i], l[2 * i + 1], m[2 * i], m[2 * i + 1])))
}

/// The lanes of `a`, then those of `b`, each converted to a narrower lane (narrowing; `M == 2 * N`).
#[inline(always)]
fn narrow<T: Lane, U: Lane, const N: usize, const M: usize>(a: V128, b: V128, f: impl Fn(T) -> U) -> V128 {
    let (l, m) = (lanes::<T, N>(a), lanes::<T, N>(b));
    unlanes::<U, M>(std::array::from_fn(|i| f(if i < N { l[i] } else { m[i - N] })))
}

/// The `N` lanes of `a` converted into the low lanes of `M`, the upper lanes zero (`…_zero` conversions).
#[inline(always)]
fn low_zero<T: Lane, U: Lane, const N: usize, const M: usize>(a: V128, f: impl Fn(T) -> U) -> V128 {
    let l = lanes::<T, N>(a);
    unlanes::<U, M>(std::array::from_fn(|i| if i < N { f(l[i]) } else { U::default() }))
}

/// Every lane `x`.
#[inline(always)]
fn splat<T: Lane, const N: usize>(x: T) -> V128 {
    unlanes::<T, N>([x; N])
}

/// Lane `lane` (modulo the lane count; the validator has checked it).
#[inline(always)]
fn lane_of<T: Lane, const N: usize>(a: V128, lane: u8) -> T {
    lanes::<T, N>(a)[lane as usize % N]
}

/// `a` with lane `lane` (modulo the lane count) replaced by `x`.
#[inline(always)]
fn replace<T: Lane, const N: usize>(a: V128, lane: u8, x: T) -> V128 {
    let mut l = lanes::<T, N>(a);
    l[lane as usize % N] = x;
    unlanes::<T, N>(l)
}

/// 1 if every lane is non-zero.
#[inline(always)]
fn all_true<T: Lane, const N: usize>(a: V128) -> u32 {
    lanes::<T, N>(a).iter().all(|&x| x != T::default()) as u32
}

/// Bit `i` is the top (sign) bit of lane `i` (`T` signed).
#[inline(always)]
fn bitmask<T: Lane, const N: usize>(a: V128) -> u32 {
    lanes::<T, N>(a).iter().enumerate().fold(0, |m, (i, &x)| m | (((x < T::default()) as u32) << i))
}

/// `i8x16.swizzle`: lane `i` is `a[b[i]]`, or 0 if `b[i] >= 16`.
#[inline(always)]
fn swizzle(a: V128, b: V128) -> V128 {
    let (l, s) = (lanes::<u8, 16>(a), lanes::<u8, 16>(b));
    unlanes::<u8, 16>(s.map(|j| if j < 16 { l[j as usize] } else { 0 }))
}

/// `i8x16.shuffle`: lane `i` is byte `lanes[i]` of the 32 bytes of `a` then `b` (the validator rejects
/// indices ≥ 32; they are masked, not checked). A plain loop over a local table: a closure passed to
/// `array::map` was not inlined, and a handler that calls a function with pointers into its stack frame
/// cannot end in a tail call (each execution then grew the host stack).
#[inline(always)]
pub(crate) fn i8x16_shuffle(a: V128, b: V128, lanes: [u8; 16]) -> V128 {
    let mut t = [0u8; 32];
    t[..16].copy_from_slice(&self::lanes::<u8, 16>(a));
    t[16..].copy_from_slice(&self::lanes::<u8, 16>(b));
    let mut r = [0u8; 16];
    for i in 0..16 {
        r[i] = t[(lanes[i] & 31) as usize];
    }
    unlanes::<u8, 16>(r)
}

/// f32 → f64 with NaNs quieted (wasm wants an arithmetic NaN; a host conversion may keep a signalling one).
#[inline(always)]
fn promote(x: f32) -> f64 {
    if x.is_nan() { quiet_nan64(x as f64) } else { x as f64 }
}

/// f64 → f32 (round to nearest even) with NaNs quieted.
#[inline(always)]
fn demote(x: f64) -> f32 {
    if x.is_nan() { quiet_nan32(x as f32) } else { x as f32 }
}

/// Defines a family: its trait, its visitor, one zero-sized type per instruction and the enum naming them.
///
/// `fn eval(..) -> R` gives the trait method's parameters, `fold(..)` the enum's (with `self`) and
/// `call(..)` the arguments `fold` passes on; `from plain|lane` how `from_operator` reads the operator.
macro_rules! simd_family {
    (
        $(#[$doc:meta])*
        trait $trait:ident, $visitor:ident, $enum:ident;
        fn eval $params:tt -> $out:ty; fold($self:ident, $($fparam:tt)*); call $call:tt; from $from:ident;
        { $($name:ident => $body:expr;)* }
    ) => {
        $(#[$doc])*
        pub(crate) trait $trait: crate::ir::isa::Named {
            fn eval $params -> $out;
        }

        #[doc = concat!("Receives an instruction's type (see [`", stringify!($enum), "::with`]).")]
        pub(crate) trait $visitor {
            type Output;
            fn visit<Op: $trait + 'static>(self) -> Self::Output;
        }

        $(
            pub(crate) struct $name;
            impl crate::ir::isa::Named for $name {
                const NAME: &'static str = stringify!($name);
            }
            impl $trait for $name {
                #[inline(always)]
                #[allow(unused_parens)]
                fn eval $params -> $out { $body }
            }
        )*

        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[allow(clippy::enum_variant_names)] // the names are the instructions'
        pub(crate) enum $enum { $($name),* }

        impl $enum {
            /// Every operation of the family, in declaration order (`ALL[op as usize] == op`).
            #[cfg_attr(not(test), allow(dead_code))] // the unit tests evaluate through it
            pub(crate) const ALL: &[$enum] = &[$($enum::$name),*];

            /// The instruction's name (wasmparser's).
            #[cfg_attr(not(test), allow(dead_code))] // the unit tests evaluate through it
            pub(crate) fn name(self) -> &'static str {
                match self { $($enum::$name => stringify!($name),)* }
            }

            /// Evaluate on raw values (constant folding). SIMD instructions never trap.
            #[cfg_attr(not(test), allow(dead_code))] // the unit tests evaluate through it
            pub(crate) fn fold($self, $($fparam)*) -> $out {
                match $self { $($enum::$name => <$name as $trait>::eval $call,)* }
            }

            /// Run `v` with the instruction's type (to instantiate generic handlers).
            pub(crate) fn with<V: $visitor>(self, v: V) -> V::Output {
                match self { $($enum::$name => v.visit::<$name>(),)* }
            }
        }

        simd_family!(@from $from $enum { $($name)* });
    };
    (@from plain $enum:ident { $($name:ident)* }) => {
        impl $enum {
            /// The instruction of a wasm operator of this family.
            pub(crate) fn from_operator(op: &wasmparser::Operator<'_>) -> Option<Self> {
                match op { $(wasmparser::Operator::$name => Some($enum::$name),)* _ => None }
            }
        }
    };
    (@from lane $enum:ident { $($name:ident)* }) => {
        impl $enum {
            /// The instruction of a wasm operator of this family, and its lane immediate.
            pub(crate) fn from_operator(op: &wasmparser::Operator<'_>) -> Option<(Self, u8)> {
                match op { $(wasmparser::Operator::$name { lane } => Some(($enum::$name, *lane)),)* _ => None }
            }
        }
    };
}

/// Defines the splat family: splats of a slot value (matched by `from_operator`) and the loads that
/// convert the bytes they read (matched by `from_load_operator`, with their memory immediate).
macro_rules! simd_splats {
    (
        $(#[$doc:meta])*
        trait $trait:ident, $visitor:ident, $enum:ident;
        fn eval($x:ident: u64) -> V128;
        values { $($name:ident => $body:expr;)* }
        loads { $($lname:ident [$bytes:literal] => $lbody:expr;)* }
    ) => {
        $(#[$doc])*
        pub(crate) trait $trait: crate::ir::isa::Named {
            /// How many bytes the load reads (their little-endian value is `x`); 0 for the splat of a slot.
            const BYTES: usize;
            fn eval($x: u64) -> V128;
        }

        #[doc = concat!("Receives an instruction's type (see [`", stringify!($enum), "::with`]).")]
        pub(crate) trait $visitor {
            type Output;
            fn visit<Op: $trait + 'static>(self) -> Self::Output;
        }

        $(
            pub(crate) struct $name;
            impl crate::ir::isa::Named for $name {
                const NAME: &'static str = stringify!($name);
            }
            impl $trait for $name {
                const BYTES: usize = 0;
                #[inline(always)]
                fn eval($x: u64) -> V128 { $body }
            }
        )*
        $(
            pub(crate) struct $lname;
            impl crate::ir::isa::Named for $lname {
                const NAME: &'static str = stringify!($lname);
            }
            impl $trait for $lname {
                const BYTES: usize = $bytes;
                #[inline(always)]
                fn eval($x: u64) -> V128 { $lbody }
            }
        )*

        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[allow(clippy::enum_variant_names)] // the names are the instructions'
        pub(crate) enum $enum { $($name,)* $($lname,)* }

        impl $enum {
            /// Every operation of the family, in declaration order (`ALL[op as usize] == op`).
            #[cfg_attr(not(test), allow(dead_code))] // the unit tests evaluate through it
            pub(crate) const ALL: &[$enum] = &[$($enum::$name,)* $($enum::$lname,)*];

            /// The instruction's name (wasmparser's).
            #[cfg_attr(not(test), allow(dead_code))] // the unit tests evaluate through it
            pub(crate) fn name(self) -> &'static str {
                match self { $($enum::$name => stringify!($name),)* $($enum::$lname => stringify!($lname),)* }
            }

            /// How many bytes the instruction loads (0 for the splat of a slot value).
            #[cfg_attr(not(test), allow(dead_code))] // the unit tests evaluate through it
            pub(crate) fn bytes(self) -> usize {
                match self {
                    $($enum::$name => <$name as $trait>::BYTES,)*
                    $($enum::$lname => <$lname as $trait>::BYTES,)*
                }
            }

            /// The splat of a slot value (`i8x16.splat` …); the loads are matched by
            /// [`from_load_operator`](Self::from_load_operator).
            pub(crate) fn from_operator(op: &wasmparser::Operator<'_>) -> Option<Self> {
                match op { $(wasmparser::Operator::$name => Some($enum::$name),)* _ => None }
            }

            /// A converting load (`v128.load8x8_s`, `v128.load32_splat`, `v128.load64_zero` …) and its
            /// memory immediate.
            pub(crate) fn from_load_operator(op: &wasmparser::Operator<'_>) -> Option<(Self, wasmparser::MemArg)> {
                match op { $(wasmparser::Operator::$lname { memarg } => Some(($enum::$lname, *memarg)),)* _ => None }
            }

            /// Evaluate on a slot value or the loaded bytes (constant folding).
            #[cfg_attr(not(test), allow(dead_code))] // the unit tests evaluate through it
            pub(crate) fn fold(self, $x: u64) -> V128 {
                match self {
                    $($enum::$name => <$name as $trait>::eval($x),)*
                    $($enum::$lname => <$lname as $trait>::eval($x),)*
                }
            }

            /// Run `v` with the instruction's type (to instantiate generic handlers).
            pub(crate) fn with<V: $visitor>(self, v: V) -> V::Output {
                match self {
                    $($enum::$name => v.visit::<$name>(),)*
                    $($enum::$lname => v.visit::<$lname>(),)*
                }
            }
        }
    };
}

// After the macros, which they use (textual scope).
mod table;
#[cfg(test)]
mod tests;

pub(crate) use table::*;

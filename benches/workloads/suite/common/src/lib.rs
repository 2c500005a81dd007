//! Shared by the Rust drivers of the outside suite (our code): a deterministic text-like input generator
//! (the same word salad as `common/gen.h`), an xorshift generator and checksum helpers. No WASI calls.

/// xorshift32.
pub struct Rng(pub u32);

impl Rng {
    pub fn new(seed: u32) -> Self {
        Rng(seed.wrapping_mul(2654435761).wrapping_add(1))
    }
    pub fn next(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }
    pub fn below(&mut self, n: u32) -> u32 {
        self.next() % n
    }
}

pub const WORDS: &[&str] = &[
    "the",
    "of",
    "and",
    "to",
    "in",
    "is",
    "was",
    "that",
    "for",
    "on",
    "with",
    "as",
    "by",
    "at",
    "from",
    "compression",
    "interpreter",
    "memory",
    "table",
    "function",
    "stack",
    "branch",
    "value",
    "module",
    "instruction",
    "register",
    "benchmark",
    "engine",
    "checksum",
    "deflate",
    "window",
    "symbol",
    "huffman",
    "literal",
    "distance",
    "length",
    "buffer",
    "stream",
    "block",
    "header",
    "footer",
    "dictionary",
    "Lorem",
    "ipsum",
    "dolor",
    "sit",
    "amet",
    "consectetur",
    "adipiscing",
    "elit",
    "sed",
    "do",
    "eiusmod",
];

/// `len` bytes of word-salad text from `seed` (the same bytes as `gen_text` in common/gen.h).
pub fn text(len: usize, seed: u32) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut buf = Vec::with_capacity(len);
    while buf.len() < len {
        let r = rng.next();
        if r & 31 == 0 {
            let v = rng.next() % 100000;
            for b in v.to_string().bytes() {
                if buf.len() < len {
                    buf.push(b);
                }
            }
        } else {
            for &b in WORDS[((r >> 8) as usize) % WORDS.len()].as_bytes() {
                if buf.len() < len {
                    buf.push(b);
                }
            }
        }
        if buf.len() < len {
            buf.push(match r & 0x3c0 {
                0 => b'\n',
                0x40 => b',',
                _ => b' ',
            });
        }
    }
    buf
}

/// `text` as a String (it is ASCII).
pub fn text_string(len: usize, seed: u32) -> String {
    String::from_utf8(text(len, seed)).unwrap()
}

/// FNV-1a over bytes, continuing from `h`.
pub fn fnv(mut h: u32, bytes: &[u8]) -> u32 {
    for &b in bytes {
        h = (h ^ b as u32).wrapping_mul(16777619);
    }
    h
}

/// FNV-1a offset basis.
pub const FNV0: u32 = 2166136261;

/// Mix a value into a checksum.
pub fn mix(h: u32, v: u32) -> u32 {
    h ^ v.wrapping_add(0x9e3779b9).wrapping_add(h << 6).wrapping_add(h >> 2)
}

/// Defines the exported `run` and the reactor's `_initialize` (wasm only; natively the driver's `run` is
/// called by suite-native). A Rust cdylib for wasm32-wasip1 exports neither by itself; `_initialize` runs
/// the static constructors (`__wasm_call_ctors`, synthesized by wasm-ld) as wasi-libc's crt1-reactor does.
#[macro_export]
macro_rules! export_run {
    ($f:path) => {
        #[cfg(target_arch = "wasm32")]
        #[export_name = "run"]
        pub extern "C" fn __suite_run(n: i32) -> u32 {
            $f(n)
        }

        #[cfg(target_arch = "wasm32")]
        #[export_name = "_initialize"]
        pub extern "C" fn __suite_initialize() {
            extern "C" {
                fn __wasm_call_ctors();
            }
            // SAFETY: called once by the host before any other export, as the reactor ABI requires.
            unsafe { __wasm_call_ctors() }
        }
    };
}

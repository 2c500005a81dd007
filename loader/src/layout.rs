//! The layout allocator: who owns which bytes of the shared memory (and which slots of the shared table).
//!
//! Memory is handed out the way `sbrk` does it: by growing the memory and taking the new pages. A non-PIC
//! main program's own heap (wasi-libc's `sbrk`, i.e. `memory.grow`) grows the same memory, and growth is
//! serialised by the machine, so loader regions and the program's heap can never overlap. Growth the
//! loader did not ask for is noticed the next time the loader looks and recorded as a
//! [`RegionKind::Foreign`] region, so every byte below the memory's size has a known owner or is a free gap
//! the loader left (the tail of a page, a freed region).
//!
//! Regions are kept in a `BTreeMap` by start address; allocation is first fit in the gaps, then growth.
//! The same structure, with slots instead of bytes, tracks the indirect function table.

use std::collections::BTreeMap;
use std::fmt;

/// What a region of the shared memory holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RegionKind {
    /// Address 0 and a little above, kept unused so that null pointers never point at an object.
    NullGuard,
    /// A non-PIC main program's fixed region: its data, stack and the start of its `sbrk` heap.
    Main(String),
    /// The data (`dylink.0` memory size) of a position-independent module, at its `__memory_base`.
    Module(String),
    /// The C stack of one thread (`__stack_pointer` starts at its end).
    Stack {
        /// The thread's id.
        thread: u32,
    },
    /// One thread's thread-local block of one module (`__tls_base`).
    Tls {
        /// The thread's id.
        thread: u32,
        /// The module whose thread-locals the block holds.
        module: String,
    },
    /// Per-thread loader data (the `dlerror` message buffer).
    ThreadData {
        /// The thread's id.
        thread: u32,
    },
    /// A span of the built-in allocator's heap.
    Heap,
    /// Memory that wasm code grew itself (`memory.grow`, e.g. a non-PIC program's `sbrk`).
    Foreign,
    /// Table slots holding one function whose address was taken (`GOT.func`, `dlsym`).
    FuncSlot(String),
    /// Pages a relocated module got from its `memory.grow` (see the loader README, "Many modules").
    Grown(String),
}

impl fmt::Display for RegionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegionKind::NullGuard => f.write_str("null guard"),
            RegionKind::Main(m) => write!(f, "main program {m}"),
            RegionKind::Module(m) => write!(f, "module {m}"),
            RegionKind::Stack { thread } => write!(f, "stack of thread {thread}"),
            RegionKind::Tls { thread, module } => write!(f, "TLS of {module} for thread {thread}"),
            RegionKind::ThreadData { thread } => write!(f, "loader data of thread {thread}"),
            RegionKind::Heap => f.write_str("heap"),
            RegionKind::Foreign => f.write_str("memory grown by wasm code"),
            RegionKind::FuncSlot(s) => write!(f, "function pointer {s}"),
            RegionKind::Grown(m) => write!(f, "memory grown by module {m}"),
        }
    }
}

/// A region of the address space (or of the table): `[start, end)` and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// The first address (or table index) of the region.
    pub start: u64,
    /// One past the last address (or table index).
    pub end: u64,
    /// What the region holds.
    pub kind: RegionKind,
}

impl RegionKind {
    /// Must a region of this kind start out zeroed when it reuses memory that another region had? A
    /// module's data and a TLS block must (their initialisers write only the non-zero part: `.bss` is
    /// assumed zero); a stack, a heap span (`calloc` clears its blocks itself) or a message buffer need not.
    pub(crate) fn starts_zeroed(&self) -> bool {
        !matches!(self, RegionKind::Stack { .. } | RegionKind::Heap | RegionKind::ThreadData { .. })
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{:#x}, {:#x}) {}", self.start, self.end, self.kind)
    }
}

/// Growth of the underlying memory or table: asked for at least `n` more units, returns the old and new
/// length in units, or `None` if it cannot grow.
pub(crate) type Grow<'a> = &'a mut dyn FnMut(u64) -> Option<(u64, u64)>;

/// Regions of one linear index space (bytes of memory, or slots of a table).
#[derive(Debug, Default)]
pub(crate) struct Ranges {
    regions: BTreeMap<u64, Region>,
    /// Units accounted for: everything below is a region or a free gap the loader may reuse.
    known_end: u64,
    /// Upper bound of the index space (4 GiB for memory, the table's maximum for tables).
    limit: u64,
    /// Spans of freed regions (start → end) not reused since: their contents are whatever the last owner
    /// left. Everything else below `known_end` that is not a region was never used (zero).
    dirty: BTreeMap<u64, u64>,
    /// What the index space is and counts, for messages: ("memory", "bytes") or ("table", "slots").
    units: (&'static str, &'static str),
}

fn align_up(x: u64, align: u64) -> Option<u64> {
    let a = align.max(1);
    x.checked_add(a - 1).map(|v| v / a * a)
}

impl Ranges {
    pub(crate) fn new(limit: u64) -> Self {
        Self { regions: BTreeMap::new(), known_end: 0, limit, dirty: BTreeMap::new(), units: ("memory", "bytes") }
    }

    /// The same structure counting table slots (for messages).
    pub(crate) fn of_slots(mut self) -> Self {
        self.units = ("table", "slots");
        self
    }

    /// An index for messages: an address in hex, a slot number in decimal.
    fn at(&self, v: u64) -> String {
        if self.units.1 == "bytes" { format!("{v:#x}") } else { v.to_string() }
    }

    /// A structure whose first `len` units already exist and belong to `kind` (e.g. the null table slot).
    pub(crate) fn with_initial(limit: u64, len: u64, kind: RegionKind) -> Self {
        let mut r = Self::new(limit);
        r.insert(Region { start: 0, end: len, kind });
        r.known_end = len;
        r
    }

    /// Is nothing placed yet?
    pub(crate) fn is_empty(&self) -> bool {
        self.regions.is_empty() && self.known_end == 0
    }

    /// Record growth that someone else did: `[known_end, len)` becomes a [`RegionKind::Foreign`] region.
    pub(crate) fn sync(&mut self, len: u64) {
        if len > self.known_end {
            self.insert(Region { start: self.known_end, end: len, kind: RegionKind::Foreign });
            self.known_end = len;
        }
    }

    fn insert(&mut self, r: Region) {
        // Merge with a preceding foreign region, so repeated `sbrk` growth stays one region.
        if r.kind == RegionKind::Foreign
            && let Some((_, prev)) = self.regions.range_mut(..r.start).next_back()
            && prev.kind == RegionKind::Foreign
            && prev.end == r.start
        {
            prev.end = r.end;
            return;
        }
        self.regions.insert(r.start, r);
    }

    /// The first region overlapping `[start, end)`.
    pub(crate) fn overlapping(&self, start: u64, end: u64) -> Option<&Region> {
        if let Some((_, r)) = self.regions.range(..=start).next_back()
            && r.end > start
        {
            return Some(r);
        }
        self.regions.range(start..end).next().map(|(_, r)| r)
    }

    /// First fit of `size` units aligned to `align` in the free gaps below `known_end`.
    fn find_gap(&self, size: u64, align: u64) -> Option<u64> {
        let mut cursor = 0;
        for r in self.regions.values().chain(std::iter::once(&Region {
            start: self.known_end,
            end: self.known_end,
            kind: RegionKind::Foreign,
        })) {
            if let Some(at) = align_up(cursor, align)
                && at.checked_add(size).is_some_and(|end| end <= r.start)
            {
                return Some(at);
            }
            cursor = cursor.max(r.end);
        }
        None
    }

    /// Allocate `size` units aligned to `align` (a power of two): a free gap, or new units from `grow`.
    /// `len` is the current length (growth by others since the last call is recorded first).
    pub(crate) fn alloc(
        &mut self,
        size: u64,
        align: u64,
        kind: RegionKind,
        len: u64,
        grow: Grow,
    ) -> Result<u64, String> {
        self.sync(len);
        let size = size.max(1);
        if let Some(at) = self.find_gap(size, align) {
            self.insert(Region { start: at, end: at + size, kind });
            return Ok(at);
        }
        loop {
            // Grow enough for the aligned region after what we know, allowing for the alignment padding.
            let want = align_up(self.known_end, align)
                .and_then(|at| at.checked_add(size))
                .filter(|&end| end <= self.limit)
                .ok_or_else(|| {
                    let (space, unit) = self.units;
                    format!(
                        "{size} {unit} aligned to {align} do not fit in the {space} (below {})",
                        self.at(self.limit)
                    )
                })?;
            let (old, new) = grow(want - self.known_end).ok_or_else(|| {
                let (space, unit) = self.units;
                format!("the {space} cannot grow by {} {unit}", want - self.known_end)
            })?;
            // Someone else may have grown in between: that part is theirs.
            self.sync(old);
            self.known_end = self.known_end.max(new);
            if let Some(at) = self.find_gap(size, align) {
                self.insert(Region { start: at, end: at + size, kind });
                return Ok(at);
            }
        }
    }

    /// Place `size` units at exactly `start` (the embedder's choice), growing if needed. Refuses overlaps.
    pub(crate) fn place(
        &mut self,
        start: u64,
        size: u64,
        kind: RegionKind,
        len: u64,
        grow: Grow,
    ) -> Result<(), String> {
        self.sync(len);
        let end = start.checked_add(size.max(1)).filter(|&e| e <= self.limit).ok_or_else(|| {
            format!("[{start:#x}, {:#x}) is beyond the end of the address space", start.saturating_add(size))
        })?;
        if let Some(r) = self.overlapping(start, end) {
            return Err(format!("[{start:#x}, {end:#x}) overlaps {r}"));
        }
        while self.known_end < end {
            let (old, new) = grow(end - self.known_end).ok_or_else(|| {
                let (space, unit) = self.units;
                format!("the {space} cannot grow to {} {unit}", end)
            })?;
            self.sync(old);
            if let Some(r) = self.overlapping(start, end) {
                return Err(format!("[{start:#x}, {end:#x}) overlaps {r}"));
            }
            self.known_end = self.known_end.max(new);
        }
        self.insert(Region { start, end, kind });
        Ok(())
    }

    /// Make the underlying memory at least `target` units long; new units are a free gap.
    pub(crate) fn ensure_len(&mut self, target: u64, len: u64, grow: Grow) -> Result<(), String> {
        self.sync(len);
        while self.known_end < target {
            let (old, new) = grow(target - self.known_end).ok_or_else(|| format!("cannot grow to {target:#x}"))?;
            self.sync(old);
            self.known_end = self.known_end.max(new);
        }
        Ok(())
    }

    /// Release the region starting at `start`; its units become a free gap.
    /// The region starting at `start`.
    pub(crate) fn get(&self, start: u64) -> Option<&Region> {
        self.regions.get(&start)
    }

    pub(crate) fn free(&mut self, start: u64) -> Option<Region> {
        let r = self.regions.remove(&start)?;
        self.dirty.insert(r.start, r.end);
        Some(r)
    }

    /// The parts of `[start, end)` (a region just allocated) that an earlier, freed region used, which the
    /// caller must clear: a new owner gets zeroed memory, as if it were fresh. They stop being dirty.
    pub(crate) fn take_dirty(&mut self, start: u64, end: u64) -> Vec<(u64, u64)> {
        // The spans are disjoint (a freed region never overlaps a dirty span: allocating it took its part).
        let hits: Vec<(u64, u64)> =
            self.dirty.range(..end).filter(|&(_, &e)| e > start).map(|(&s, &e)| (s, e)).collect();
        let mut out = Vec::new();
        for (s, e) in hits {
            self.dirty.remove(&s);
            if s < start {
                self.dirty.insert(s, start);
            }
            if e > end {
                self.dirty.insert(end, e);
            }
            out.push((s.max(start), e.min(end)));
        }
        out.sort_unstable();
        out
    }

    /// All regions in address order.
    pub(crate) fn regions(&self) -> Vec<Region> {
        self.regions.values().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: u64 = 65536;

    /// A fake memory that grows in pages.
    struct Mem(u64);
    impl Mem {
        fn grow(&mut self, n: u64) -> Option<(u64, u64)> {
            let old = self.0;
            self.0 += n.div_ceil(PAGE) * PAGE;
            Some((old, self.0))
        }
    }

    fn module(n: &str) -> RegionKind {
        RegionKind::Module(n.into())
    }

    #[test]
    fn recycled_parts_of_a_new_region_are_reported_once() {
        let mut mem = Mem(0);
        let mut r = Ranges::new(1 << 32);
        let a = r.alloc(100, 1, module("a"), mem.0, &mut |n| mem.grow(n)).unwrap();
        let b = r.alloc(100, 1, module("b"), mem.0, &mut |n| mem.grow(n)).unwrap();
        assert_eq!((a, b), (0, 100));
        assert_eq!(r.take_dirty(0, 200), [], "fresh memory is clean");
        r.free(a);
        // Part of a's old span: dirty; the rest stays dirty for the next owner.
        let c = r.alloc(60, 1, module("c"), mem.0, &mut |n| mem.grow(n)).unwrap();
        assert_eq!(r.take_dirty(c, c + 60), [(0, 60)]);
        assert_eq!(r.take_dirty(c, c + 60), [], "reported once");
        r.free(b);
        // A region over the rest of a's span, all of b's and fresh memory beyond.
        let d = r.alloc(300, 1, module("d"), mem.0, &mut |n| mem.grow(n)).unwrap();
        assert_eq!(d, 60);
        assert_eq!(r.take_dirty(d, d + 300), [(60, 100), (100, 200)]);
        // Freeing c makes its span dirty again.
        r.free(c);
        assert_eq!(r.take_dirty(0, 1000), [(0, 60)]);
    }

    #[test]
    fn grows_like_sbrk_and_reuses_page_tails() {
        let mut mem = Mem(0);
        let mut r = Ranges::new(1 << 32);
        let a = r.alloc(100, 16, module("a"), mem.0, &mut |n| mem.grow(n)).unwrap();
        assert_eq!((a, mem.0), (0, PAGE));
        // The rest of the page is a gap.
        let b = r.alloc(10, 64, module("b"), mem.0, &mut |n| mem.grow(n)).unwrap();
        assert_eq!((b, mem.0), (128, PAGE));
        // The program grows the memory behind the loader's back (sbrk): that becomes foreign.
        mem.0 += 2 * PAGE;
        let c = r.alloc(PAGE, PAGE, module("c"), mem.0, &mut |n| mem.grow(n)).unwrap();
        assert_eq!((c, mem.0), (3 * PAGE, 4 * PAGE));
        let regions: Vec<String> = r.regions().iter().map(|r| r.to_string()).collect();
        assert_eq!(
            regions,
            [
                "[0x0, 0x64) module a",
                "[0x80, 0x8a) module b",
                "[0x10000, 0x30000) memory grown by wasm code",
                "[0x30000, 0x40000) module c"
            ]
        );
        // Freed regions are reused.
        r.free(0).unwrap();
        let d = r.alloc(50, 8, module("d"), mem.0, &mut |n| mem.grow(n)).unwrap();
        assert_eq!(d, 0);
    }

    #[test]
    fn concurrent_growth_is_foreign() {
        let mut len = PAGE;
        let mut r = Ranges::new(1 << 32);
        r.sync(len);
        // Between our look at the length and our grow, someone else grew one page.
        let a = r
            .alloc(10, 1, module("a"), len, &mut |n| {
                let old = len + PAGE;
                len = old + n.div_ceil(PAGE) * PAGE;
                Some((old, len))
            })
            .unwrap();
        assert_eq!(a, 2 * PAGE);
        assert_eq!(r.regions().len(), 2);
        assert_eq!(r.regions()[0].kind, RegionKind::Foreign);
        assert_eq!(r.regions()[0].end, 2 * PAGE);
    }

    #[test]
    fn placement_refuses_overlaps() {
        let mut mem = Mem(0);
        let mut r = Ranges::new(1 << 32);
        r.place(0x1000, 0x100, module("a"), mem.0, &mut |n| mem.grow(n)).unwrap();
        assert_eq!(mem.0, PAGE);
        let e = r.place(0x10f0, 0x20, module("b"), mem.0, &mut |n| mem.grow(n)).unwrap_err();
        assert_eq!(e, "[0x10f0, 0x1110) overlaps [0x1000, 0x1100) module a");
        let e = r.place(0xf00, 0x101, module("b"), mem.0, &mut |n| mem.grow(n)).unwrap_err();
        assert_eq!(e, "[0xf00, 0x1001) overlaps [0x1000, 0x1100) module a");
        r.place(0xf00, 0x100, module("b"), mem.0, &mut |n| mem.grow(n)).unwrap();
        // Beyond the memory: grows, the gap stays free.
        r.place(3 * PAGE, 0x10, module("c"), mem.0, &mut |n| mem.grow(n)).unwrap();
        assert_eq!(mem.0, 4 * PAGE);
        let d = r.alloc(PAGE, PAGE, module("d"), mem.0, &mut |n| mem.grow(n)).unwrap();
        assert_eq!(d, PAGE);
        let e = r.place(u32::MAX as u64, 2, module("e"), mem.0, &mut |n| mem.grow(n)).unwrap_err();
        assert_eq!(e, "[0xffffffff, 0x100000001) is beyond the end of the address space");
    }
}

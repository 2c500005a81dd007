// Reference checker: instantiates each workload .wasm under node and calls run(n).
//
//   node check-node.mjs            verify every line of expected.txt (exit 1 on a mismatch)
//   node check-node.mjs --write    recompute expected.txt from the N table below
//   node check-node.mjs --time     time run(bench n) per workload (median of 7, after 2 warm-ups)
//   node check-node.mjs NAME N     print run(N) of NAME.wasm (NAME may be an absolute path without .wasm) and its time
//
// Each (name, n) uses a fresh instance: `_initialize` (reactor ctors) is called first, then run(n).
// Workloads without imports get none; the others (sqlite.wasm, the suite's Rust and Lua programs and
// brotli_c) get node:wasi (no args, env or preopens).
// A run() returning i64 (matmul) is printed as an unsigned decimal.
process.removeAllListeners('warning'); // silence node:wasi's ExperimentalWarning
// simd_rust uses relaxed-SIMD instructions, experimental in node 20's V8. --no-liftoff: node 20's
// baseline compiler (Liftoff) gets i32x4.relaxed_dot_i8x16_i7x16_add_s wrong (the lanes of
// dot(splat 3, splat 5) + splat 1000 come out 120, not 1060; TurboFan, wasmtime 49 and the spec say
// 1060), so simd_rust's run(1), which ends before V8 tiers up, would differ. No effect on other results.
(await import('node:v8')).setFlagsFromString('--experimental-wasm-relaxed-simd --no-liftoff');
const { WASI } = await import('node:wasi');
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

// name: [small n..., benchmark n]  (the last value is the benchmark n: ~5-10 ms per run() under node)
const N = {
  fib: [20, 30],
  sieve: [1, 8],
  matmul: [2, 20],
  sha256: [0, 1, 16],
  switch: [100, 3000],
  indirect: [1000, 500000],
  bulkmem: [10, 500],
  malloc: [2, 60],
  sqlite: [50, 500],
  simd_blur: [1, 5, 100],
  simd_matmul: [2, 10, 150],
  simd_hash: [1, 50, 800],
  simd_search: [2, 10, 100],
  simd_rust: [1, 100, 1000],
  tailcall: [1000, 200000],
  // The outside suite (suite/NAME.wasm: code from crates.io packages, see README.md)
  zlib: [1, 3],
  bzip2: [1, 2],
  zstd: [1, 4],
  lz4: [1, 2],
  libdeflate: [1, 2],
  brotli_c: [1, 4],
  lua: [1, 2],
  lua_str: [1, 2],
  regex: [1, 8],
  serde_json: [1, 12],
  pulldown_cmark: [1, 4],
  miniz_oxide: [1, 12],
  sha2: [1, 20],
  blake3: [1, 15],
  aho_corasick: [1, 3],
  rand_chacha: [1, 6],
  toml: [1, 4],
  png: [1, 3],
  lz4_flex: [1, 8],
  csv: [1, 10],
  sqlparser: [1, 2],
  num_bigint: [1, 2],
  petgraph: [1, 3],
  libm: [1, 3],
  ruzstd: [1, 5],
  unicode_norm: [1, 4],
  snap: [1, 8],
  nom: [1, 16],
};

const modules = {};
function load(name) {
  // The outside suite's modules are in suite/.
  const path = name.startsWith("/") ? `${name}.wasm`
    : existsSync(join(here, `${name}.wasm`)) ? join(here, `${name}.wasm`) : join(here, 'suite', `${name}.wasm`);
  return (modules[name] ??= new WebAssembly.Module(readFileSync(path)));
}

function instantiate(name) {
  const module = load(name);
  if (WebAssembly.Module.imports(module).length === 0) {
    const instance = new WebAssembly.Instance(module, {});
    instance.exports._initialize?.();
    return instance;
  }
  const wasi = new WASI({ version: 'preview1', args: [], env: {}, preopens: {} });
  const instance = new WebAssembly.Instance(module, wasi.getImportObject());
  wasi.initialize(instance); // calls _initialize
  return instance;
}

function unsigned(v) {
  return typeof v === 'bigint' ? BigInt.asUintN(64, v) : v >>> 0;
}

function runOnce(name, n) {
  const inst = instantiate(name);
  const t0 = performance.now();
  const r = unsigned(inst.exports.run(n));
  return { r, ms: performance.now() - t0 };
}

function timeBench(name, n) {
  const inst = instantiate(name);
  const run = inst.exports.run;
  run(n); run(n);
  const ts = [];
  for (let i = 0; i < 7; i++) { const t0 = performance.now(); run(n); ts.push(performance.now() - t0); }
  ts.sort((a, b) => a - b);
  return ts[3];
}

const argv = process.argv.slice(2);
if (argv[0] === '--write') {
  const lines = ['# name n checksum   (run(n) under node; unsigned decimal; i64 for matmul)'];
  for (const [name, ns] of Object.entries(N))
    for (const n of ns) lines.push(`${name} ${n} ${runOnce(name, n).r}`);
  writeFileSync(join(here, 'expected.txt'), lines.join('\n') + '\n');
  console.log(lines.join('\n'));
} else if (argv[0] === '--time') {
  for (const [name, ns] of Object.entries(N)) {
    const n = ns[ns.length - 1];
    console.log(`${name.padEnd(9)} n=${String(n).padEnd(8)} ${timeBench(name, n).toFixed(2)} ms`);
  }
} else if (argv.length === 2) {
  const { r, ms } = runOnce(argv[0], Number(argv[1]));
  console.log(`${argv[0]} ${argv[1]} ${r}   (${ms.toFixed(2)} ms cold, ${timeBench(argv[0], Number(argv[1])).toFixed(2)} ms warm)`);
} else {
  let pass = 0, fail = 0;
  for (const line of readFileSync(join(here, 'expected.txt'), 'utf8').split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const [name, n, want] = line.split(/\s+/);
    const got = String(runOnce(name, Number(n)).r);
    if (got === want) pass++;
    else { fail++; console.log(`FAIL ${name} ${n}: got ${got}, want ${want}`); }
  }
  console.log(`${pass} passed, ${fail} failed`);
  process.exit(fail ? 1 : 0);
}

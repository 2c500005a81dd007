/* Force-included (-include) into every Lua source for the wasm build (ours, not Lua's):
 * - errors abort instead of longjmp (the scripts raise none; wasi-libc has no setjmp/longjmp);
 * - time() is 0, so no WASI clock call: Lua seeds its string hash and math.random from it. */
#ifndef LUA_WASM_H
#define LUA_WASM_H
#include <stdlib.h>
#include <time.h>
#define time(x) ((time_t)0)
#define LUAI_THROW(L, c) abort()
#define LUAI_TRY(L, c, a) { a }
#define luai_jmpbuf int
#define l_signalT int /* wasi-libc has no signal.h */
#endif

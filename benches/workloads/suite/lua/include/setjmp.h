/* Debian's wasi-libc has no setjmp.h; lua_wasm.h replaces Lua's setjmp-based error handling. */

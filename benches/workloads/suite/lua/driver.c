/* Lua 5.4.9 (from the lua-src crate's bundled sources) running a fixed script (SCRIPT, embedded).
 * run(n) makes a fresh state with the base, string, table and math libraries, runs the script with n
 * as its argument and returns the integer the script returns (a checksum of its work). */
#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"

#ifndef SCRIPT
#define SCRIPT "bench.lua"
#endif

static const char script[] = {
#embed SCRIPT
};

__attribute__((export_name("run"))) unsigned run(int n) {
    lua_State *L = luaL_newstate();
    if (!L) return 0;
    luaL_requiref(L, "_G", luaopen_base, 1);
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
    luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
    luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
    lua_settop(L, 0);
    if (luaL_loadbuffer(L, script, sizeof script, "=script") != LUA_OK) return 1;
    lua_pushinteger(L, n);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) return 2;
    unsigned r = (unsigned)lua_tointeger(L, -1);
    lua_close(L);
    return r;
}

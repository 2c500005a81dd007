/* Lua 5.4.9 running str.lua (string library: patterns, gsub, format, concat, sort). See ../lua/driver.c. */
#define SCRIPT "../lua_str/str.lua" /* #embed paths are relative to lua/driver.c */
#include "../lua/driver.c"

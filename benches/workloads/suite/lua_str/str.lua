-- Our script for the lua_str workload: Lua's string library (patterns, gsub, format, concat, sort of
-- strings, byte/char), scaled by n. Returns a 32-bit checksum.
local n = ...
local M = 0xffffffff
local sum = 0
local function add(v) sum = (sum * 31 + v) & M end
local function hash(s)
  local h = 2166136261
  for i = 1, #s, 7 do h = ((h ~ s:byte(i)) * 16777619) & M end
  return (h + #s) & M
end

local words = { "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
  "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon" }
local seed = 12345
local function rnd(m)
  seed = (seed * 1103515245 + 12345) & 0x7fffffff
  return seed % m
end

for round = 1, n do
  -- build a text
  local parts = {}
  for i = 1, 600 do
    local w = words[rnd(#words) + 1]
    parts[#parts + 1] = string.format("%s=%d;%5.2f", w, rnd(10000), rnd(1000) / 7)
  end
  local text = table.concat(parts, " ")
  add(hash(text))
  -- patterns
  local cnt = 0
  for k, v in text:gmatch("(%a+)=(%d+)") do cnt = cnt + #k + tonumber(v) end
  add(cnt & M)
  local up = text:gsub("%a+", function(w) return w:upper() end)
  add(hash(up))
  local swapped, k = text:gsub("(%w+)=(%w+)", "%2:%1")
  add(hash(swapped)); add(k)
  local s, e = text:find("sigma=%d+", 1000)
  add(s or 0); add(e or 0)
  -- sort strings
  local list = {}
  for w in text:gmatch("[^ ]+") do list[#list + 1] = w end
  table.sort(list)
  add(hash(table.concat(list, ",", 1, math.min(#list, 200))))
  -- reverse, rep, byte/char
  local r = text:sub(1, 2000):reverse():rep(3)
  local bytes = { r:byte(1, 200) }
  add(hash(string.char(table.unpack(bytes))))
  add(hash(string.format("%q", text:sub(1, 300))))
end
return sum

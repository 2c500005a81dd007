-- Our script for the Lua workload: classic small benchmarks, scaled by n. Returns a 32-bit checksum.
local n = ...
local M = 0xffffffff
local sum = 0
local function add(v) sum = (sum * 31 + v) & M end

-- binary trees (allocation, GC, recursion)
local function make(d)
  if d == 0 then return {} end
  d = d - 1
  return { make(d), make(d) }
end
local function check(t)
  if t[1] then return 1 + check(t[1]) + check(t[2]) end
  return 1
end

-- fannkuch-redux (array permutations)
local function fannkuch(m)
  local perm, perm1, count = {}, {}, {}
  local maxflips, checksum, r, nperm = 0, 0, m, 0
  for i = 0, m - 1 do perm1[i] = i end
  while true do
    while r ~= 1 do count[r - 1] = r; r = r - 1 end
    for i = 0, m - 1 do perm[i] = perm1[i] end
    local flips = 0
    local k = perm[0]
    while k ~= 0 do
      local i, j = 0, k
      while i < j do perm[i], perm[j] = perm[j], perm[i]; i = i + 1; j = j - 1 end
      flips = flips + 1
      k = perm[0]
    end
    if flips > maxflips then maxflips = flips end
    checksum = checksum + (nperm % 2 == 0 and flips or -flips)
    while true do
      if r == m then return checksum, maxflips end
      local p0 = perm1[0]
      for i = 0, r - 1 do perm1[i] = perm1[i + 1] end
      perm1[r] = p0
      count[r] = count[r] - 1
      if count[r] > 0 then break end
      r = r + 1
    end
    nperm = nperm + 1
  end
end

-- spectral norm (floating point, closures)
local function A(i, j)
  local ij = i + j - 1
  return 1.0 / (ij * (ij - 1) * 0.5 + i)
end
local function Av(x, y, N)
  for i = 1, N do
    local a = 0
    for j = 1, N do a = a + x[j] * A(i, j) end
    y[i] = a
  end
end
local function Atv(x, y, N)
  for i = 1, N do
    local a = 0
    for j = 1, N do a = a + x[j] * A(j, i) end
    y[i] = a
  end
end
local function spectral(N)
  local u, v, t = {}, {}, {}
  for i = 1, N do u[i] = 1 end
  for _ = 1, 10 do
    Av(u, t, N); Atv(t, v, N)
    Av(v, t, N); Atv(t, u, N)
  end
  local vBv, vv = 0, 0
  for i = 1, N do
    local ui, vi = u[i], v[i]
    vBv = vBv + ui * vi; vv = vv + vi * vi
  end
  return math.sqrt(vBv / vv)
end

-- sieve (integer loops, table stores)
local function sieve(m)
  local flags, count = {}, 0
  for i = 2, m do flags[i] = true end
  for i = 2, m do
    if flags[i] then
      count = count + 1
      for k = i + i, m, i do flags[k] = false end
    end
  end
  return count
end

-- metatables and method calls
local Vec = {}
Vec.__index = Vec
function Vec.new(x, y) return setmetatable({ x = x, y = y }, Vec) end
function Vec.__add(a, b) return Vec.new(a.x + b.x, a.y + b.y) end
function Vec:dot(o) return self.x * o.x + self.y * o.y end

for round = 1, n do
  local t = make(8)
  add(check(t))
  local c, f = fannkuch(6)
  add(c & M); add(f)
  add(math.floor(spectral(16) * 1e9) & M)
  add(sieve(5000 + round))
  local acc = Vec.new(0, 0)
  for i = 1, 500 do acc = acc + Vec.new(i, -i * 0.5) end
  add(math.floor(acc:dot(Vec.new(1, 3))) & M)
end
return sum

-- Mixed traffic for test_load.py: each request is one of the kinds below, in turn, and every
-- tenth carries "Connection: close", so that wrk opens a new connection after it.
--
-- Each kind has its own path, so the expected status of a response follows from its path.
-- Run wrk with as many connections as threads: a thread then has one connection with one
-- request in flight, and the response wrk passes to response() is the reply to the request that
-- request() built last.
--
-- Environment:
--   LOAD_TOKENS_FILE   valid tokens, one per line
--   LOAD_FORGED_PREFIX a valid token's header and payload and the dot after them; forged
--                      tokens add a signature that verifies nothing
--
-- done() prints one line per path and status, "LOAD_COUNT <path> <status> <count>", and one
-- line "LOAD_ERRORS <requests> <connect> <read> <write> <timeout>" with wrk's figures.

local kinds = {
  {path = "/anything/valid", token = "valid"},        -- 200
  {path = "/anything/forged", token = "forged"},      -- 401 Jwt verification fails
  {path = "/anything/malformed", token = "malformed"},  -- 401 bad format
  {path = "/anything/anon"},                           -- 200 without identity
  {path = "/anything/member"},                         -- 403: the path needs a token
  {path = "/anything/denied", token = "valid"},       -- 403: a DENY policy
}
-- Distinct invalid tokens of each kind. Fewer than the gateway's token cache holds, so the
-- cache reaches its steady state during the warm-up.
local kInvalidVariants = 512
local kCloseEvery = 10

local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_number", thread_count)
  table.insert(threads, thread)
end

local valid_tokens = {}
local forged_prefix = ""
local sequence = 0
local last_path = nil
counts = {}  -- global, so that done() can read it with thread:get

function init(args)
  for line in io.lines(os.getenv("LOAD_TOKENS_FILE")) do
    if #line > 0 then
      valid_tokens[#valid_tokens + 1] = line
    end
  end
  forged_prefix = os.getenv("LOAD_FORGED_PREFIX")
  -- Threads start at different kinds, so that several kinds are in flight together.
  sequence = thread_number
end

-- A base64url signature of 256 bytes (342 characters) that differs per variant.
local function forged_signature(variant)
  return string.rep("A", 330) .. string.format("%012d", variant)
end

function request()
  sequence = sequence + 1
  local kind = kinds[sequence % #kinds + 1]
  local variant = sequence % kInvalidVariants
  local headers = {["Host"] = "edge.test"}
  if kind.token == "valid" then
    headers["Authorization"] = "Bearer " .. valid_tokens[sequence % #valid_tokens + 1]
  elseif kind.token == "forged" then
    headers["Authorization"] = "Bearer " .. forged_prefix .. forged_signature(variant)
  elseif kind.token == "malformed" then
    headers["Authorization"] = "Bearer malformed-" .. variant
  end
  if sequence % kCloseEvery == 0 then
    headers["Connection"] = "close"
  end
  last_path = kind.path
  return wrk.format("GET", kind.path, headers)
end

function response(status, headers, body)
  local key = (last_path or "unknown") .. " " .. status
  counts[key] = (counts[key] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    for key, count in pairs(thread:get("counts")) do
      totals[key] = (totals[key] or 0) + count
    end
  end
  for key, count in pairs(totals) do
    io.write(string.format("LOAD_COUNT %s %d\n", key, count))
  end
  local errors = summary.errors
  io.write(string.format("LOAD_ERRORS %d %d %d %d %d\n", summary.requests, errors.connect,
                         errors.read, errors.write, errors.timeout))
end

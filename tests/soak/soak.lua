-- wrk's side of the soak (tests/soak/soak.sh): kasad's cached reads and
-- switches on the healthy plugs, named by the arguments after "--".
-- Each thread counts the answers that are not 2xx by status; done() sums
-- the threads and prints one line that soak.sh reads.

local routes = {}
local n = 0
local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	for _, name in ipairs(args) do
		local d = "/devices/" .. name
		table.insert(routes, { "GET", d })
		table.insert(routes, { "GET", d .. "/state" })
		table.insert(routes, { "POST", d .. "/on" })
		table.insert(routes, { "GET", d .. "/emeter" })
		table.insert(routes, { "GET", d })
		table.insert(routes, { "POST", d .. "/off" })
	end
	n = 0
	non2xx = 0
	s429, s502, s503, s504, sother = 0, 0, 0, 0, 0
end

function request()
	n = n + 1
	local r = routes[(n % #routes) + 1]
	return wrk.format(r[1], r[2])
end

function response(status, headers, body)
	if status >= 200 and status < 300 then
		return
	end
	non2xx = non2xx + 1
	if status == 429 then
		s429 = s429 + 1
	elseif status == 502 then
		s502 = s502 + 1
	elseif status == 503 then
		s503 = s503 + 1
	elseif status == 504 then
		s504 = s504 + 1
	else
		sother = sother + 1
	end
end

function done(summary, latency, requests)
	local t = { non2xx = 0, s429 = 0, s502 = 0, s503 = 0, s504 = 0, sother = 0 }
	for _, thread in ipairs(threads) do
		for k, _ in pairs(t) do
			t[k] = t[k] + (thread:get(k) or 0)
		end
	end
	local e = summary.errors
	io.write(string.format(
		"soak-wrk requests=%d non2xx=%d s429=%d s502=%d s503=%d s504=%d sother=%d " ..
		"connect=%d read=%d write=%d timeout=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
		summary.requests, t.non2xx, t.s429, t.s502, t.s503, t.s504, t.sother,
		e.connect, e.read, e.write, e.timeout,
		latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end

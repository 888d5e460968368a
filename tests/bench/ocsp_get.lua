-- tests/bench/ocsp_get.lua: wrk script that GETs a list of paths in turn
-- (OCSP GET requests, RFC 6960 Appendix A.1, or static files).
-- Usage: wrk -s ocsp_get.lua URL -- LISTFILE   (LISTFILE: one path a line)
local reqs = {}
local n = 0
local i = 0

function init(args)
	local list = assert(io.open(args[1], "r"))
	for path in list:lines() do
		n = n + 1
		reqs[n] = wrk.format("GET", path)
	end
	list:close()
	i = math.random(n) - 1
end

function request()
	i = i % n + 1
	return reqs[i]
end

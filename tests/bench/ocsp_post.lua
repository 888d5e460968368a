-- tests/bench/ocsp_post.lua: wrk script that POSTs pre-generated OCSP requests
-- (DER files, each with its own nonce), rotating through them.
-- Usage: wrk -s ocsp_post.lua URL -- LISTFILE   (LISTFILE: one DER path a line)
local reqs = {}
local n = 0
local i = 0

function init(args)
	local list = assert(io.open(args[1], "r"))
	for path in list:lines() do
		local f = assert(io.open(path, "rb"))
		local body = f:read("*a")
		f:close()
		n = n + 1
		reqs[n] = wrk.format("POST", nil,
			{ ["Content-Type"] = "application/ocsp-request" }, body)
	end
	list:close()
	-- threads start at different places in the list
	i = math.random(n) - 1
end

function request()
	i = i % n + 1
	return reqs[i]
end

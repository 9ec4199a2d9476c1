-- wrk script: POST /v1/commands/deposit of 100 minor units into a random one of 1000 accounts (acc-0 … acc-999).
-- The bearer token comes from wrk's -H flag; each thread seeds its own generator.
local counter = 0
function setup(thread)
    counter = counter + 1
    thread:set("seed", counter)
end
function init(args)
    math.randomseed(seed * 7919)
    -- Added to wrk.headers, which already holds the -H Authorization header.
    wrk.headers["Content-Type"] = "application/json"
end
function request()
    local body = string.format('{"account":"acc-%d","amount":100}', math.random(0, 999))
    return wrk.format("POST", "/v1/commands/deposit", nil, body)
end
function response(status, headers, body)
    if status ~= 201 then
        io.stderr:write("unexpected status " .. status .. ": " .. body .. "\n")
    end
end

-- wrk script: GET one random account's balance from the account-balances read model.
local counter = 0
function setup(thread)
    counter = counter + 1
    thread:set("seed", counter)
end
function init(args)
    math.randomseed(seed * 104729)
end
function request()
    return wrk.format("GET", string.format("/v1/projections/account-balances/acc-%d", math.random(0, 999)))
end
function response(status, headers, body)
    if status ~= 200 then
        io.stderr:write("unexpected status " .. status .. ": " .. body .. "\n")
    end
end

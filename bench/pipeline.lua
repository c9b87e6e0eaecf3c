-- wrk script: send N requests per write (TechEmpower's pipelining), N from
-- the first script argument. wrk counts each response.
init = function(args)
  local depth = tonumber(args[1]) or 16
  local r = {}
  for i = 1, depth do
    r[i] = wrk.format(nil, "/hello")
  end
  req = table.concat(r)
end

request = function()
  return req
end

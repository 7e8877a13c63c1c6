-- wrk script: POST the JSON body in the file named by BODY_FILE, or GET the URL as given.
local body_file = os.getenv("BODY_FILE")
if body_file then
  local f = assert(io.open(body_file, "r"))
  wrk.body = f:read("*a")
  f:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json"
end

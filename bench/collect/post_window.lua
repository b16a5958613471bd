-- post_window.lua: wrk script for bench/collect/load.sh. Every request is
-- one window POST, as the firmware sends it, with Connection: close (a new
-- TCP connection per window, like the boards).
local f = assert(io.open(os.getenv("TINYAD_BODY"), "r"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Connection"] = "close"

-- wrk script: every request is the demo user's login, and the run ends with
-- one machine-readable line of counts. wrk counts any status outside
-- 2xx/3xx in errors.status.
wrk.method = "POST"
wrk.path = "/v2/auth/login"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"email":"john.doe@mail.com","password":"password1234",'
  .. '"clientId":"5e505642-9024-474d-9434-e5a44f505cc5"}'

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d connect=%d read=%d write=%d timeout=%d status=%d rps=%.0f\n",
    summary.requests, e.connect, e.read, e.write, e.timeout, e.status,
    summary.requests / (summary.duration / 1e6)))
end

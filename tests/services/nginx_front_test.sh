#!/usr/bin/env bash
# nginx_front_test.sh TINYAD_BINARY: deploy/nginx/tinyad.conf in front of a
# real `tinyad serve`, as the README's "Securing a deployment" sets it up.
# The shipped file is used as it is, with only its site values replaced
# (certificate, key, the two listen ports, serve's port): `nginx -t` must
# accept it, then over HTTPS (a test CA made here with openssl, checked by
# curl) a device posts a window, /metrics needs the operator token, a
# cross-site post is refused, and /events streams through the proxy.
# Takes about 3 s.
set -euo pipefail
bin=$(realpath "${1:?usage: $0 TINYAD_BINARY}")
src=$(cd "$(dirname "$0")/../.." && pwd)
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx" ] || { echo "nginx not found: run scripts/deps.sh test (installs nginx-light)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/tinyad-nginx-front.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
. "$src/bench/common.sh"  # window_body, free_port

# A CA and a certificate for localhost signed by it.
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
openssl req -x509 "${ec[@]}" -keyout "$work/ca.key" -out "$work/ca.pem" -subj /CN=tinyad-nginx-test-ca -days 2 2>/dev/null
openssl req -new "${ec[@]}" -keyout "$work/key.pem" -out "$work/cert.csr" -subj /CN=localhost 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$work/san.ext"
openssl x509 -req -in "$work/cert.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
  -out "$work/cert.pem" -days 2 -extfile "$work/san.ext" 2>/dev/null

# serve on loopback with an operator token, on a model trained on simulated windows.
"$bin" simulate -o "$work/sim" -n 40 --labels fan_0_low_0_weight >/dev/null
"$bin" train --data "$work/sim" --normal fan_0_low_0_weight -o "$work/model.json" >/dev/null
token=$(openssl rand -hex 16)
echo "$token" >"$work/token"
sport=$(free_port)
"$bin" serve --model "$work/model.json" --host 127.0.0.1 -p "$sport" --token-file "$work/token" \
  >"$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 200); do grep -q "^listening on port" "$work/serve.log" && break; sleep 0.05; done
grep -q "^listening on port" "$work/serve.log" || fail "serve did not start: $(cat "$work/serve.log")"

# The shipped site file with this run's values, inside a minimal nginx.conf.
nport=$(free_port)
sed -e "s|server 127.0.0.1:1337;|server 127.0.0.1:$sport;|" \
    -e "s|listen 443 ssl;|listen 127.0.0.1:$nport ssl;|" \
    -e "s|listen \[::\]:443 ssl;|listen [::1]:$nport ssl;|" \
    -e "s|/etc/tinyad/tls/cert.pem|$work/cert.pem|" -e "s|/etc/tinyad/tls/key.pem|$work/key.pem|" \
    "$src/deploy/nginx/tinyad.conf" >"$work/tinyad.conf"
for want in "127.0.0.1:$sport" "127.0.0.1:$nport ssl" "$work/cert.pem" "$work/key.pem"; do
  grep -qF "$want" "$work/tinyad.conf" || fail "deploy/nginx/tinyad.conf changed shape: no '$want' after the substitutions"
done
mkdir -p "$work/nginx-tmp"
cat >"$work/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $work/nginx-tmp/body;
  proxy_temp_path $work/nginx-tmp/proxy;
  fastcgi_temp_path $work/nginx-tmp/fastcgi;
  uwsgi_temp_path $work/nginx-tmp/uwsgi;
  scgi_temp_path $work/nginx-tmp/scgi;
  include $work/tinyad.conf;
}
CONF
"$nginx" -t -c "$work/nginx.conf" -p "$work" 2>"$work/nginx-t.txt" || fail "nginx -t: $(cat "$work/nginx-t.txt")"
"$nginx" -c "$work/nginx.conf" -p "$work" 2>>"$work/nginx-error.log" &
pids+=($!)
base="https://localhost:$nport"
c=(curl -sS --cacert "$work/ca.pem" --max-time 5)
for _ in $(seq 100); do "${c[@]}" -o /dev/null "$base/healthz" 2>/dev/null && break; sleep 0.05; done

window_body "$work/sim/fan_0_low_0_weight/0000.csv" "$work/body.json"
body=@$work/body.json
code() { "${c[@]}" -o "$work/reply" -w '%{http_code}' "$@"; }

[ "$(code "$base/healthz")" = 200 ] || fail "GET /healthz over HTTPS: $(cat "$work/reply")"
[ "$(code -H 'Content-Type: application/json' -H 'X-Device-Id: fan-tls' --data-binary "$body" "$base/")" = 200 ] ||
  fail "POST / over HTTPS: $(cat "$work/reply")"
grep -q '"score"' "$work/reply" || fail "no verdict over HTTPS: $(cat "$work/reply")"
[ "$(code "$base/metrics")" = 401 ] || fail "/metrics without the token through nginx: not 401"
[ "$(code -H "Authorization: Bearer $token" "$base/metrics")" = 200 ] || fail "/metrics with the token: $(cat "$work/reply")"
grep -q '^tinyad_windows_scored_total 1$' "$work/reply" || fail "/metrics: $(cat "$work/reply")"
# Over IPv6 too (the file's second listen line).
[ "$("${c[@]}" -o /dev/null -w '%{http_code}' --resolve "localhost:$nport:::1" "$base/healthz")" = 200 ] ||
  fail "GET /healthz over HTTPS on ::1"
# A page of another site posting through the proxy: Host passes through, so serve sees the mismatch.
[ "$(code -H 'Content-Type: application/json' -H 'Origin: https://evil.example' --data-binary "$body" "$base/")" = 403 ] ||
  fail "a cross-site post through nginx was not refused: $(cat "$work/reply")"
# /events streams through (unbuffered): the verdict of a window posted now arrives within the time limit.
("${c[@]}" -N --max-time 4 -H "Authorization: Bearer $token" "$base/events" >"$work/events.txt" 2>/dev/null || true) &
stream=$!
sleep 1
"${c[@]}" -o /dev/null -H 'Content-Type: application/json' -H 'X-Device-Id: fan-stream' --data-binary "$body" "$base/"
wait "$stream" || true
grep -q 'fan-stream' "$work/events.txt" || fail "/events through nginx showed no verdict: $(head -c 400 "$work/events.txt")"
# Plain HTTP to the TLS port is no way in.
[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://localhost:$nport/healthz" || true)" != 200 ] ||
  fail "plain HTTP answered 200 on the TLS port"
echo "nginx front: nginx -t ok; HTTPS device post, token-guarded /metrics, cross-site refusal, /events stream, IPv6: ok"

#!/usr/bin/env bash
# make_mqtt_tls.sh DIR: what a secured broker needs, made fresh for a test:
# a CA (ca.pem), a server certificate for 127.0.0.1/localhost signed by it
# (server.pem, server.key), a second CA that signed nothing (other-ca.pem),
# a mosquitto password file with user "tinyad", password "s3cret"
# (passwd; the password also in password.txt), and an ACL (acl) that
# limits tinyad to its own topics (acl-no-status: one that forgets one). Keys are made readable: a
# mosquitto started as root reads them as the mosquitto user.
set -euo pipefail
dir=${1:?usage: $0 DIR}
mkdir -p "$dir"
cd "$dir"
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.pem -subj /CN=tinyad-test-ca -days 2 2>/dev/null
openssl req -x509 "${ec[@]}" -keyout other-ca.key -out other-ca.pem -subj /CN=tinyad-other-ca -days 2 2>/dev/null
openssl req -new "${ec[@]}" -keyout server.key -out server.csr -subj /CN=localhost 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >san.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 \
  -extfile san.ext 2>/dev/null
rm -f passwd
mosquitto_passwd -c -b passwd tinyad s3cret
# tinyad takes windows (its shared subscription, and the messages it is
# delivered), answers on verdict, alarm and alarm_state, says online/offline on its status
# topic and claims its partition; nothing else. acl-no-status is the same
# without the status topic (serve must refuse to start on it).
printf '%s\n' 'user tinyad' 'topic read $share/tinyad/tinyad/+/samples' 'topic read tinyad/+/samples' \
  'topic write tinyad/+/verdict' 'topic write tinyad/+/alarm' 'topic write tinyad/+/alarm_state' \
  'topic readwrite tinyad/partition/+/owner' >acl-no-status
cp acl-no-status acl
printf '%s\n' 'topic write tinyad/status' 'topic write tinyad/status/+' >>acl
printf 's3cret\n' >password.txt
chmod 0644 ./*.key passwd acl acl-no-status

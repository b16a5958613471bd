# common.sh: shell helpers the bench scripts share (sourced, not run):
# the firmware's JSON body of one window file, and a free loopback port.
# Avoids: any set-up of its own (no traps, no temp folders), so each script
# keeps its own lifetime and cleanup.

# window_body CSV OUT: one `tinyad simulate` window (x, y, z per line) as the
# body a board POSTs / publishes: {"x":[...],"y":[...],"z":[...]}.
window_body() {
  awk -F', ' '{x = x sep $1; y = y sep $2; z = z sep $3; sep = ","}
    END {printf "{\"x\":[%s],\"y\":[%s],\"z\":[%s]}", x, y, z}' "$1" >"$2"
}

# simulated_model BIN WORK: a `default` model trained on 150 simulated normal
# windows (no dataset needed) as WORK/model.json, and the last of them as the
# firmware's JSON body, WORK/body.json.
simulated_model() {
  "$1" simulate -o "$2/sim" -n 150 --labels fan_0_low_0_weight >/dev/null
  "$1" train --data "$2/sim" --normal fan_0_low_0_weight -o "$2/model.json" >/dev/null
  window_body "$2/sim/fan_0_low_0_weight/0149.csv" "$2/body.json"
}

# free_port: a TCP port nothing listens on at the moment (the kernel's pick).
free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

#!/usr/bin/python3
"""gen_bash_completion.py OUT VERSION BINARY [EMULATOR...]: writes the bash
completion for tinyad from the built binary's `--help` (subcommands, each
one's options; choices such as --detector's {mahalanobis,autoencoder}), so it
lists exactly the flags of the binary it ships with. CLI11 has no completion
generator of its own. packaging/check_package.sh tests the result in bash."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli11_help  # noqa: E402

CHOICES = re.compile(r":\{([^}]*)\}")


def value_completion(e):
    """The compgen arguments for the value of option E, or None for no completion."""
    m = CHOICES.search(e.rest.split()[0])
    if m:
        return "-W '%s'" % " ".join(m.group(1).split(","))
    return "-f" if e.wants_file else None


def command_case(name, help_):
    options = [n for e in help_.options() for n in e.names]
    lines = ["    %s)" % name, "      opts='%s'" % " ".join(options)]
    values = {}
    for e in help_.options():
        if e.takes_value:
            values.setdefault(value_completion(e), []).extend(e.names)
    arms = ["        %s) _tinyad_reply %s; return ;;" % ("|".join(names), how if how else "-W ''")
            for how, names in values.items()]
    if arms:
        lines += ['      case "$prev" in'] + arms + ["      esac"]
    lines.append("      ;;")
    return lines


def script(version, top, subs):
    commands = " ".join(c for c, _, _ in subs)
    top_opts = " ".join(n for e in top.options() for n in e.names)
    out = ["# bash completion for tinyad %s: generated from `tinyad --help` by" % version,
           "# packaging/gen_bash_completion.py at package build time; do not edit.",
           "",
           "# Sets COMPREPLY from compgen ARGS for the current word (files marked as such).",
           "_tinyad_reply() {",
           '  mapfile -t COMPREPLY < <(compgen "$@" -- "$cur")',
           '  [ "$1" = -f ] && compopt -o filenames 2>/dev/null',
           "  return 0",
           "}",
           "",
           "_tinyad() {",
           "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cmd='' opts i",
           "  COMPREPLY=()",
           "  # The subcommand: the first word after `tinyad` that is not an option.",
           "  for ((i = 1; i < COMP_CWORD; i++)); do",
           '    case "${COMP_WORDS[i]}" in -*) ;; *) cmd=${COMP_WORDS[i]}; break ;; esac',
           "  done",
           '  case "$cmd" in',
           "    '')",
           '      if [[ $cur == -* ]]; then _tinyad_reply -W \'%s\'; else _tinyad_reply -W \'%s\'; fi' % (top_opts, commands),
           "      return ;;"]
    for c, _, h in subs:
        out += command_case(c, h)
    out += ["    *) return ;;",
            "  esac",
            "  # Options by name; other words are files (datasets, models, CSV windows).",
            '  if [[ $cur == -* ]]; then _tinyad_reply -W "$opts"; else _tinyad_reply -f; fi',
            "}",
            "complete -F _tinyad tinyad",
            ""]
    return "\n".join(out)


def main(argv):
    if len(argv) < 4:
        sys.stderr.write("usage: gen_bash_completion.py OUT VERSION BINARY [EMULATOR...]\n")
        return 2
    out, version, binary, emulator = argv[1], argv[2], argv[3], argv[4:]
    top, subs = cli11_help.read_all(emulator + [binary])
    with open(out, "w", encoding="utf-8") as f:
        f.write(script(version, top, subs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

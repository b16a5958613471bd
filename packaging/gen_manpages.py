#!/usr/bin/python3
"""gen_manpages.py OUTDIR VERSION BINARY [EMULATOR...]: writes tinyad.1 and
tinyad-<command>.1 for every subcommand into OUTDIR, from the `--help` of the
built binary (run through EMULATOR for a cross build, e.g. qemu-aarch64-static
-L SYSROOT). Sections: NAME, SYNOPSIS, DESCRIPTION, OPTIONS (and POSITIONALS /
COMMANDS where the help has them), SEE ALSO. Written as NAME.1.gz, compressed
as Debian wants (gzip -9n: best compression, no name or time stored). The date is SOURCE_DATE_EPOCH's when set,
so a rebuild of one commit gives the same bytes."""

import datetime
import gzip
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli11_help  # noqa: E402


def roff_text(s):
    """Plain text for roff: backslashes escaped, no line that starts a request."""
    s = s.replace("\\", "\\e")
    return "\\&" + s if s[:1] in (".", "'") else s


def roff_option(e):
    """`-p,--port INT` as bold names (minus signs, not hyphens) and italic type."""
    names = ", ".join("\\fB%s\\fR" % n.replace("-", "\\-") for n in e.names)
    return names + (" \\fI%s\\fR" % roff_text(e.rest).replace("-", "\\-") if e.rest else "")


def entries_block(entries):
    out = []
    for e in entries:
        out += [".TP", roff_option(e), roff_text(e.description or "(no description)")]
    return out


def page(name, summary, help_, version, date, see_also, commands=None):
    lines = ['.TH %s 1 "%s" "tinyad %s" "tinyad manual"' % (name.upper().replace("-", "\\-"), date, version),
             ".SH NAME", "%s \\- %s" % (name.replace("-", "\\-"), roff_text(summary)),
             ".SH SYNOPSIS", ".B %s" % roff_text(help_.usage).replace("-", "\\-"),
             ".SH DESCRIPTION", roff_text(help_.description or summary) + "."]
    if commands:
        lines += [".SH COMMANDS"]
        lines += [x for c, s, _ in commands for x in (".TP", "\\fB%s\\fR" % c, roff_text(s) + " (see \\fBtinyad\\-%s\\fR(1))." % c)]
    if help_.entries("Positionals:"):
        lines += [".SH ARGUMENTS"] + entries_block(help_.entries("Positionals:"))
    lines += [".SH OPTIONS"]
    for title, entries in help_.option_groups():
        if title != "Options:":
            lines += [".SS %s" % roff_text(title.rstrip(":"))]
        lines += entries_block(entries)
    lines += [".SH SEE ALSO", ",\n".join("\\fB%s\\fR(1)" % s.replace("-", "\\-") for s in see_also)]
    return "\n".join(lines) + "\n"


def main(argv):
    if len(argv) < 4:
        sys.stderr.write("usage: gen_manpages.py OUTDIR VERSION BINARY [EMULATOR...]\n")
        return 2
    outdir, version, binary, emulator = argv[1], argv[2], argv[3], argv[4:]
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0")) or None
    when = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc) if epoch else datetime.datetime.now(datetime.timezone.utc)
    date = when.strftime("%Y-%m-%d")
    top, subs = cli11_help.read_all(emulator + [binary])
    os.makedirs(outdir, exist_ok=True)
    names = ["tinyad-" + c for c, _, _ in subs]
    pages = {"tinyad": page("tinyad", top.description.split(": ", 1)[-1], top, version, date, names, subs)}
    for c, summary, h in subs:
        pages["tinyad-" + c] = page("tinyad-" + c, summary, h, version, date, ["tinyad"])
    for name, text in pages.items():
        with open(os.path.join(outdir, name + ".1.gz"), "wb") as raw:
            with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=raw, mtime=0) as f:
                f.write(text.encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

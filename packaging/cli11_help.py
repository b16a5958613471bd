"""cli11_help.py: reads the `--help` text CLI11 prints for tinyad and its
subcommands, for the man page and shell completion generators (packaging/).

Running the built binary at package build time is what keeps the man pages
and the completion from drifting from the real flags. Standard library only.

CLI11's layout, which this parser relies on (and fails loudly when it does
not hold): a first line with the description, a `Usage:` line, then sections
(`Positionals:`, `Options:`, `Subcommands:`, and option groups such as
`Autoencoder:`: any unindented line ending in a colon) whose entries are
indented by 2;
an entry's name is padded to column 30 with its description after it, or,
when the name is 28 characters or longer, the description starts on the next
line indented by 30."""

import re
import subprocess

DESC_COLUMN = 30
SECTION = re.compile(r"^\S.*:$")
# Type words CLI11 prints after an option's names; an option without one is a flag.
# TEXT, INT:INT, TEXT:FILE, TEXT:{mahalanobis,autoencoder} ...
TYPE_WORD = re.compile(r"^[A-Z][A-Z0-9_]*(:([A-Za-z0-9_]+|\{[^}]*\}))?$")


class Entry:
    """One line of a section: an option, a positional or a subcommand."""

    def __init__(self, name_field, description):
        self.name_field = name_field  # e.g. "-p,--port INT:INT in [0 - 65535]"
        self.description = description
        first, _, rest = name_field.partition(" ")
        self.names = first.split(",")  # e.g. ["-p", "--port"]
        self.rest = rest  # type, REQUIRED, Excludes: ... (may be empty)
        words = rest.split()
        self.takes_value = bool(words) and TYPE_WORD.match(words[0]) is not None
        self.wants_file = self.takes_value and (words[0] == "TEXT" or words[0].endswith(":FILE"))


class Help:
    """A parsed `--help`: description, usage and the entries of each section."""

    def __init__(self, description, usage, sections):
        self.description = description
        self.usage = usage  # "tinyad serve [OPTIONS]" (program path replaced)
        self.sections = sections  # {"Options:": [Entry], "Autoencoder:": [...], ...}, in --help's order

    def entries(self, section):
        return self.sections.get(section, [])

    def option_groups(self):
        """(title, entries) of every section of options: Options: first, then the groups."""
        return [(t, e) for t, e in self.sections.items() if t not in ("Positionals:", "Subcommands:")]

    def options(self):
        return [e for _, entries in self.option_groups() for e in entries]


def run_help(command, args):
    """Runs COMMAND (a list: maybe an emulator, then the binary) with ARGS and --help."""
    out = subprocess.run(command + args + ["--help"], check=True, capture_output=True, text=True).stdout
    return parse(out)


def parse(text):
    lines = text.rstrip("\n").split("\n")
    if len(lines) < 2:
        raise ValueError("expected CLI11 --help output (description, Usage: line), got %r" % text[:80])
    description, usage = None, None
    i = 0
    if not lines[0].startswith("Usage:"):
        description = lines[0].strip()
        i = 1
    if not lines[i].startswith("Usage:"):
        raise ValueError("expected a 'Usage:' line, got %r" % lines[i])
    usage_words = lines[i][len("Usage:"):].split()
    usage_words[0] = "tinyad"  # the path the binary was run by
    usage = " ".join(usage_words)
    sections, current = {}, None
    i += 1
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip():
            continue
        if SECTION.match(line):
            current = sections.setdefault(line, [])
            continue
        if current is None or not line.startswith("  ") or line.startswith(" " * DESC_COLUMN):
            raise ValueError("unexpected line in --help output: %r" % line)
        continued = i < len(lines) and lines[i].startswith(" " * DESC_COLUMN)
        if continued:
            # The name filled the column: the description is on the next line(s).
            name, desc = line.strip(), []
            while i < len(lines) and lines[i].startswith(" " * DESC_COLUMN):
                desc.append(lines[i].strip())
                i += 1
            current.append(Entry(name, " ".join(desc)))
        elif len(line) > DESC_COLUMN and line[DESC_COLUMN - 1] == " ":
            current.append(Entry(line[:DESC_COLUMN].strip(), line[DESC_COLUMN:].strip()))
        else:
            current.append(Entry(line.strip(), ""))
    return Help(description, usage, sections)


def read_all(command):
    """The top-level help and each subcommand's, in the binary's own order:
    (top, [(name, summary, help), ...])."""
    top = run_help(command, [])
    subs = [(e.names[0], e.description, run_help(command, [e.names[0]])) for e in top.entries("Subcommands:")]
    if not subs:
        raise ValueError("`tinyad --help` lists no subcommands")
    return top, subs

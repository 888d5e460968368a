#!/usr/bin/env python3
# tests/shell_lint.py: the shell tests can fail. Every `|| true` carries a
# comment (on its line or the one above) saying why ignoring that status is
# right; no pipeline ends in `grep -q`, `head` or an awk that exits early,
# which under `set -o pipefail` (lib.sh) could kill the command before it
# with SIGPIPE and fail a check by chance; every integration test sources
# lib.sh, which sets pipefail, so a pipeline fails when any command in it
# fails (`cmd | grep x` no longer hides cmd's failure). Run by make check
# over tests/**/*.sh (heredoc bodies, which are other languages, skipped).
import os
import re
import sys

top = os.environ.get('top_srcdir') or os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
tests = os.path.join(top, 'tests')

HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_]+)\1")
PIPE = re.compile(r"(?<![|>])\|(?![|&])")          # a pipe, not || |& or >|
EARLY = [
    (re.compile(r"^\s*grep\s+(-[A-Za-z]*q|--quiet)"), "grep -q in a pipeline (SIGPIPE under pipefail: capture first, or grep >/dev/null)"),
    (re.compile(r"^\s*head\b"), "head in a pipeline (SIGPIPE under pipefail: sed -n '1,Np' instead)"),
    (re.compile(r"^\s*awk\b.*\bexit\b"), "an awk that exits early in a pipeline (SIGPIPE under pipefail)"),
]


def code_lines(path):
    """(number, line) of the shell lines of path, heredoc bodies left out, a
    line ending in | && || or \\ joined with the next (numbered by its first)."""
    end = None
    held, held_n = '', 0
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip('\n')
            if end is not None:
                if line.strip() == end:
                    end = None
                continue
            if not line.lstrip().startswith('#'):
                m = HEREDOC.search(strip_quotes(line))
                if m:
                    end = m.group(2)
            if not held:
                held_n = n
            held = held + ' ' + line.lstrip() if held else line
            code = strip_quotes(held).rstrip()
            if code.endswith('\\'):
                held = held.rstrip()[:-1]
                continue
            if code.endswith(('|', '&&')) and end is None:
                continue
            yield held_n, held
            held = ''
    if held:
        yield held_n, held


def strip_quotes(s):
    """s with the text of '...' and "..." blanked (the code of a $(...) inside
    double quotes kept) and a trailing comment cut."""
    out, stack, i = [], [], 0      # stack: the quotes and $( we are inside
    while i < len(s):
        c = s[i]
        top = stack[-1] if stack else None
        if top == "'":
            if c == "'":
                stack.pop(); out.append(c)
            else:
                out.append(' ')
        elif top == '"':
            if c == '\\' and i + 1 < len(s):
                out.append('  '); i += 2; continue
            if c == '"':
                stack.pop(); out.append(c)
            elif s.startswith('$(', i):
                stack.append('('); out.append('$('); i += 2; continue
            else:
                out.append(' ')
        else:
            if c == '\\' and i + 1 < len(s):
                out.append('  '); i += 2; continue
            if c in '\'"':
                stack.append(c); out.append(c)
            elif s.startswith('$(', i):
                stack.append('('); out.append('$('); i += 2; continue
            elif c == ')' and top == '(':
                stack.pop(); out.append(c)
            elif c == '#' and (i == 0 or s[i - 1] in ' \t;'):
                break
            else:
                out.append(c)
        i += 1
    return ''.join(out)


def main():
    bad = 0
    n = 0
    files = []
    for d, _, fs in os.walk(tests):
        if os.path.basename(d) in ('corpus', 'data'):
            continue
        files += [os.path.join(d, f) for f in fs if f.endswith('.sh')]
    for path in sorted(files):
        rel = os.path.relpath(path, top)
        prev = ''
        problems = []
        for ln, line in code_lines(path):
            code = strip_quotes(line)
            if '|| true' in code and not re.search(r"\|\| true.*\s#", line) and not prev.lstrip().startswith('#'):
                problems.append((ln, "'|| true' without a comment saying why"))
            # each command after a pipe, as code (quotes blanked, for grep
            # and head) and as written (for the awk program's exit)
            cuts = [m.start() for m in PIPE.finditer(code)] + [len(code)]
            for a, b in zip(cuts, cuts[1:]):
                for rx, why in EARLY:
                    if rx.search(code[a + 1:b]) or (rx is EARLY[2][0] and rx.search(line[a + 1:b])):
                        problems.append((ln, why))
            prev = line
        n += 1
        if problems:
            bad += 1
            print("not ok %d - %s" % (n, rel))
            for ln, why in problems:
                print("#   %s:%d: %s" % (rel, ln, why))
        else:
            print("ok %d - %s" % (n, rel))
    # pipefail everywhere: lib.sh sets it, every integration test sources
    # lib.sh (a *_lib.sh comes after it), the other tests set it themselves
    idir = os.path.join(tests, 'integration')
    rules = [(os.path.join(idir, 'lib.sh'), r"^set -euo pipefail$", "sets -euo pipefail")]
    for f in sorted(os.listdir(idir)):
        if f.endswith('_lib.sh'):
            rules.append((os.path.join(idir, f), r'lib\.sh"|sourced after lib\.sh', "comes after lib.sh"))
        elif f.endswith('.sh') and f != 'lib.sh':
            rules.append((os.path.join(idir, f), r'^\. "\$\(dirname "\$0"\)/(\w+_)?lib\.sh"', "sources lib.sh"))
    rules += [(os.path.join(tests, f), r"^set -[a-z]+.*pipefail", "sets pipefail")
              for f in sorted(os.listdir(tests)) if f.endswith('.sh')]
    for path, rx, what in rules:
        n += 1
        ok = re.search(rx, open(path, encoding='utf-8').read(), re.M)
        bad += 0 if ok else 1
        print("%s %d - %s %s" % ("ok" if ok else "not ok", n, os.path.relpath(path, top), what))
    print("# %d checks, %d failed" % (n, bad))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())

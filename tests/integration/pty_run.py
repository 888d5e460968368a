#!/usr/bin/env python3
"""pty_run: runs a command on a new pseudo-terminal (its controlling
terminal, as a person at a console) and answers its prompts.

  pty_run.py [PROMPT ANSWER]... -- COMMAND [ARG]...

For each pair it reads the command's terminal output until PROMPT appears,
then types ANSWER and Enter; an ANSWER of ^C types Ctrl-C instead (the
terminal sends SIGINT). It then reads to the end, prints what the command
wrote, and reports 'echo: on' or 'echo: off' for the terminal as the
command left it. Exit status: the command's, 128+N when signal N ended
it, 124 when a prompt did not come within 60 s (a stop, not a clock the
test depends on)."""
import fcntl
import os
import select
import subprocess
import sys
import termios

args = sys.argv[1:]
sep = args.index('--')
pairs, cmd = args[:sep], args[sep + 1:]
master, slave = os.openpty()


def make_controlling():
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave,
                        preexec_fn=make_controlling, close_fds=True)
seen = b''


def read_some(timeout):
    global seen
    r, _, _ = select.select([master], [], [], timeout)
    if not r:
        return False
    try:
        data = os.read(master, 4096)
    except OSError:
        return False
    if not data:
        return False
    seen += data
    return True


status = 0
for i in range(0, len(pairs), 2):
    prompt, answer = pairs[i].encode(), pairs[i + 1]
    start = len(seen)
    while prompt not in seen[start:] and prompt not in seen:
        if not read_some(60):
            print(seen.decode(errors='replace'))
            print('pty_run: no prompt %r' % pairs[i])
            proc.kill()
            sys.exit(124)
    seen = seen.replace(prompt, b'<' + prompt + b'>', 1)
    # the command turns echo off before it reads: wait for that, so the
    # answer is not flushed away by its TCSAFLUSH
    while termios.tcgetattr(slave)[3] & termios.ECHO:
        if proc.poll() is not None:
            break
        read_some(0.01)
    os.write(master, b'\x03' if answer == '^C' else answer.encode() + b'\n')
while proc.poll() is None:
    read_some(0.05)
while read_some(0):
    pass
echo = termios.tcgetattr(slave)[3] & termios.ECHO
print(seen.decode(errors='replace'))
print('echo: ' + ('on' if echo else 'off'))
rc = proc.returncode
sys.exit(128 - rc if rc < 0 else rc)

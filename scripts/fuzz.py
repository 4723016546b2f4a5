#!/usr/bin/env python3
"""Mutation fuzzer for ringscript: mutates the corpus and Grammar.md's examples, runs `check` on every
input and `plan` and `run` on a share of the accepted ones, and fails on a crash (a signal exit), a hang
(a timeout), an unlocated diagnostic (an `error:` line without file:line:col), a file `check` accepts but
`plan` or `run` refuses as invalid, a leftover sandbox directory or a leftover process.
Failing inputs are saved under fuzz-failures/ with what the command printed.

Called by scripts/fuzz; see `scripts/fuzz --help`.
"""
import argparse
import hashlib
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

# A located diagnostic: `path:line:col: error: ...`.
LOCATED = re.compile(rb"^.+:\d+:\d+: (error|warning|note): ")
# Lines that are diagnostics at all: `error: ...` or `...: error: ...`.
DIAGNOSTIC = re.compile(rb"(^|: )error: ")
# What the engine refuses at run time that only depends on the scenario's text: `check` must refuse it.
STATIC_REFUSALS = re.compile(rb"a buffer group's buffers hold|contains a NUL byte|does not fit an SQE's 32-bit length|"
                             rb"a unix socket path has at most|need application-provided ring memory|"
                             rb"slot \d+ is too large|cannot plan:")

WRONG_VALUES = [
    "-1", "0", "1", "-0", "4294967295", "4294967296", "2147483648", "-2147483649", "65536", "65535",
    "18446744073709551615", "18446744073709551616", "9223372036854775807", "-9223372036854775808",
    "-9223372036854775809", "99999999999999999999999999", "0x", "0xffffffffffffffff", "0x1_0000_0000",
    "0b", "0o777777777777777777777777", "1e400", "-1e400", "nan", ".inf", "-.inf", "1.5", "1_000",
    "true", "false", "null", "~", "''", '""', "[]", "{}", "[1, 2]", "{a: 1}", "abc", "'0'", "!!binary aGk=",
    "0s", "1ns", "9223372036854775807s", "99999999999999999999s", "1e9s", "-1s", "0.000000001ns",
    "18446744073709551615ms", "1.7976931348623157e308s", "3600s", "auto", "$nothing", "$", "{i}", "{i+1}",
    "{i*9999999999999}", "{i-99999999999}", "{ slot: 4294967295 }", "{ slot: -1 }", "{ slot: 2 }",
    "2147483647", "1073741824", "268435457", "{ size: 4294967295 }", "{ pattern: ab, size: 4294967295 }",
    "{ buffer: b, offset: 4294967295 }", "\"\\u0000\"", "'a\tb'", "*undefined",
]

KNOWN_KEYS = [
    "sparse", "files", "size", "entries", "count", "group", "len", "offset", "slot", "repeat", "deadline",
    "delay", "user_data", "flags", "content", "pattern", "hex", "align", "fill", "capacity", "cq_entries",
    "timeout", "nr", "buf", "fd", "path", "mode", "port", "backlog", "initial", "exit_code", "start_id",
]

INVALID_UTF8 = [b"\xff", b"\xfe", b"\xc3\x28", b"\xa0\xa1", b"\xe2\x28\xa1", b"\xed\xa0\x80", b"\xc0\xaf",
                b"\xf8\x88\x80\x80\x80", b"\xf4\x90\x80\x80", b"\x80"]
CONTROL = [b"\x00", b"\x01", b"\x07", b"\x1b", b"\x7f", b"\t", b"\r", b"\x0b", b"\x0c", b"\xc2\x85", b"\xef\xbb\xbf"]


def load_seeds():
    seeds = []
    for directory, _, names in os.walk(os.path.join(ROOT, "scenarios")):
        for name in sorted(names):
            if name.endswith((".yaml", ".yml")):
                with open(os.path.join(directory, name), "rb") as f:
                    seeds.append(f.read())
    grammar = os.path.join(ROOT, "Grammar.md")
    if os.path.exists(grammar):
        with open(grammar, "rb") as f:
            text = f.read()
        for block in re.findall(rb"```ya?ml\n(.*?)```", text, re.S):
            seeds.append(block)
    return seeds


def alias_bomb(rng):
    levels = rng.randint(6, 12)
    width = rng.randint(5, 12)
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, levels):
        lines.append("a%d: &a%d [%s]" % (level, level, ", ".join(["*a%d" % (level - 1)] * width)))
    return ("\n".join(lines) + "\n").encode()


def deep_nesting(rng):
    depth = rng.choice([100, 1000, 5000, 20000, 100000])
    style = rng.randrange(3)
    if style == 0:
        return b"[" * depth + b"]" * depth
    if style == 1:
        return b"{a: " * depth + b"1" + b"}" * depth
    return b"".join(b"  " * i + b"- \n" for i in range(min(depth, 3000)))


class Mutator:
    def __init__(self, rng, seeds):
        self.rng = rng
        self.seeds = seeds

    def mutate(self, data):
        rng = self.rng
        for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
            data = rng.choice(self.operators)(self, data)
        return data

    def lines(self, data):
        return data.split(b"\n")

    def byte_flip(self, data):
        if not data:
            return data
        data = bytearray(data)
        for _ in range(self.rng.randint(1, 4)):
            position = self.rng.randrange(len(data))
            data[position] ^= 1 << self.rng.randrange(8)
        return bytes(data)

    def truncate(self, data):
        return data[: self.rng.randrange(len(data) + 1)]

    def duplicate_line(self, data):
        lines = self.lines(data)
        index = self.rng.randrange(len(lines))
        lines.insert(index, lines[index])
        return b"\n".join(lines)

    def remove_line(self, data):
        lines = self.lines(data)
        del lines[self.rng.randrange(len(lines))]
        return b"\n".join(lines)

    def swap_lines(self, data):
        lines = self.lines(data)
        a, b = self.rng.randrange(len(lines)), self.rng.randrange(len(lines))
        lines[a], lines[b] = lines[b], lines[a]
        return b"\n".join(lines)

    def wrong_value(self, data):
        lines = self.lines(data)
        candidates = [i for i, line in enumerate(lines) if re.match(rb"^\s*(- )?[A-Za-z_]+:\s*\S", line)]
        if not candidates:
            return data
        index = self.rng.choice(candidates)
        match = re.match(rb"^(\s*(?:- )?[A-Za-z_]+:\s*)(.*)$", lines[index])
        lines[index] = match.group(1) + self.rng.choice(WRONG_VALUES).encode()
        return b"\n".join(lines)

    def wrong_inline_value(self, data):
        # `key: value` inside a flow mapping: { slot: 2, len: 4 }.
        matches = list(re.finditer(rb"([A-Za-z_]+): ([^,}\]\n]+)", data))
        if not matches:
            return data
        match = self.rng.choice(matches)
        return data[: match.start(2)] + self.rng.choice(WRONG_VALUES).encode() + data[match.end(2):]

    def extreme_number(self, data):
        matches = list(re.finditer(rb"(?<![\w.])\d+(?![\w.])", data))
        if not matches:
            return data
        match = self.rng.choice(matches)
        value = self.rng.choice(["0", "-1", "4294967295", "4294967296", "2147483648", "18446744073709551615",
                                 "18446744073709551616", "9223372036854775808", "65536", "1000000000",
                                 "2147483647", str(self.rng.randrange(1 << 40))])
        return data[: match.start()] + value.encode() + data[match.end():]

    def add_key(self, data):
        lines = self.lines(data)
        candidates = [i for i, line in enumerate(lines) if re.match(rb"^\s*(- )?[A-Za-z_]+:", line)]
        if not candidates:
            return data
        index = self.rng.choice(candidates)
        indent = re.match(rb"^(\s*)(- )?", lines[index])
        prefix = indent.group(1) + (b"  " if indent.group(2) else b"")
        key = self.rng.choice(KNOWN_KEYS).encode()
        lines.insert(index + 1, prefix + key + b": " + self.rng.choice(WRONG_VALUES).encode())
        return b"\n".join(lines)

    def nest(self, data):
        lines = self.lines(data)
        candidates = [i for i, line in enumerate(lines) if re.match(rb"^\s*(- )?[A-Za-z_]+:\s*\S", line)]
        nested = deep_nesting(self.rng)
        if not candidates or self.rng.random() < 0.3:
            return nested if self.rng.random() < 0.5 else data + b"\nx: " + nested + b"\n"
        index = self.rng.choice(candidates)
        match = re.match(rb"^(\s*(?:- )?[A-Za-z_]+:\s*)(.*)$", lines[index])
        lines[index] = match.group(1) + nested
        return b"\n".join(lines)

    def bomb(self, data):
        bomb = alias_bomb(self.rng)
        if self.rng.random() < 0.5:
            return bomb + data
        # The bomb as a value the loader reads: a step argument or the steps themselves.
        top = re.sub(rb"^a(\d+):", rb"x\1:", bomb, flags=re.M)
        return top + data.replace(b"steps:", b"steps: *a%d\nunused:" % (top.count(b"\n") - 1), 1)

    def invalid_utf8(self, data):
        position = self.rng.randrange(len(data) + 1)
        return data[:position] + self.rng.choice(INVALID_UTF8) + data[position:]

    def control_character(self, data):
        position = self.rng.randrange(len(data) + 1)
        return data[:position] + self.rng.choice(CONTROL) + data[position:]

    def splice(self, data):
        other = self.lines(self.rng.choice(self.seeds))
        lines = self.lines(data)
        start = self.rng.randrange(len(other))
        piece = other[start:start + self.rng.randint(1, 8)]
        index = self.rng.randrange(len(lines) + 1)
        return b"\n".join(lines[:index] + piece + lines[index:])

    def huge_repeat(self, data):
        return re.sub(rb"repeat: \d+", self.rng.choice([b"repeat: 1000000000", b"repeat: 0", b"repeat: -1",
                                                         b"repeat: 4294967296"]), data, count=1)

    operators = [byte_flip, truncate, duplicate_line, remove_line, swap_lines, wrong_value, wrong_value,
                 wrong_inline_value, wrong_inline_value, extreme_number, extreme_number, add_key, add_key, nest,
                 bomb, invalid_utf8, control_character, splice, huge_repeat]


class Fuzzer:
    def __init__(self, args):
        self.args = args
        self.binary = args.binary
        self.failures = 0
        self.kinds = {}
        self.stats = {"check": 0, "accepted": 0, "plan": 0, "run": 0}
        self.peak_rss = (0, None, None)  # KiB, description, input (when one input was measured alone)
        self.slowest = (0.0, None, None)
        os.makedirs(args.failures, exist_ok=True)
        self.work = tempfile.mkdtemp(prefix="ringscript-fuzz-")
        self.unshare = self.probe_unshare()

    def probe_unshare(self):
        if self.args.no_unshare or not shutil.which("unshare"):
            return []
        try:
            ok = subprocess.run(["unshare", "--net", "true"], capture_output=True, timeout=10).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        if not ok:
            print("fuzz: unshare --net is not available here; run without a network namespace", file=sys.stderr)
        return ["unshare", "--net"] if ok else []

    def limits(self):
        limit = self.args.rss_limit_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    def execute(self, argv, timeout, env=None):
        """Runs argv in its own session; returns (status, output, seconds, max RSS KiB, leftover pids)."""
        start = time.monotonic()
        with tempfile.TemporaryFile(dir=self.work) as sink:
            process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT,
                                       preexec_fn=self.limits, start_new_session=True, env=env, cwd=self.work)
            # wait4 rather than Popen.wait, for this child's own peak RSS.
            status, rss, pause = None, 0, 0.002
            while status is None:
                pid, code, usage = os.wait4(process.pid, os.WNOHANG)
                if pid == process.pid:
                    status = -os.WTERMSIG(code) if os.WIFSIGNALED(code) else os.WEXITSTATUS(code)
                    rss = usage.ru_maxrss
                    process.returncode = status
                elif time.monotonic() - start > timeout:
                    os.killpg(process.pid, signal.SIGKILL)
                    _, _, usage = os.wait4(process.pid, 0)
                    status, rss = "timeout", usage.ru_maxrss
                    process.returncode = -9
                else:
                    time.sleep(pause)
                    pause = min(pause * 2, 0.05)
            seconds = time.monotonic() - start
            sink.seek(0)
            output = sink.read()
        leftovers = self.session_members(process.pid)
        for pid in leftovers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return status, output, seconds, rss, leftovers

    @staticmethod
    def session_members(session):
        members = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % entry, "rb") as f:
                    fields = f.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            # After the command: state, ppid, pgrp, session.
            if int(fields[3]) == session and fields[0] != b"Z":
                members.append(int(entry))
        return members

    def record(self, kind, inputs, output, command):
        self.failures += 1
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        for data in inputs:
            digest = hashlib.sha1(data).hexdigest()[:12]
            base = os.path.join(self.args.failures, "%s-%s" % (kind, digest))
            with open(base + ".yaml", "wb") as f:
                f.write(data)
            with open(base + ".txt", "wb") as f:
                f.write(("command: %s\n" % " ".join(command)).encode() + output)
        text = output.decode("utf-8", "replace")
        # A crash's own lines (the runtime failure and the frames in ringscript's sources), or the end.
        frames = [line for line in text.split("\n") if "runtime failure" in line or " at /" in line][:4]
        print("fuzz: %s (%s, saved as %s): %s" % (kind, " ".join(command), base + ".yaml",
              "\n".join(frames) if frames else text[-600:].strip()), file=sys.stderr)

    def unlocated(self, output):
        return [line for line in output.split(b"\n") if DIAGNOSTIC.search(line) and not LOCATED.match(line)]

    def write_inputs(self, directory, inputs):
        os.makedirs(directory, exist_ok=True)
        paths = []
        for index, data in enumerate(inputs):
            path = os.path.join(directory, "input-%04d.yaml" % index)
            with open(path, "wb") as f:
                f.write(data)
            paths.append(path)
        return paths

    def note_costs(self, rss, seconds, description, data=None):
        if rss > self.peak_rss[0]:
            self.peak_rss = (rss, description, data)
        if seconds > self.slowest[0]:
            self.slowest = (seconds, description, data)

    def check_batch(self, inputs):
        """Checks a batch in one process; a batch that fails is split until the failing input is alone."""
        directory = os.path.join(self.work, "check")
        shutil.rmtree(directory, ignore_errors=True)
        paths = self.write_inputs(directory, inputs)
        command = [self.binary, "check"] + paths
        # A batch only finds the failing input: no backtrace for it (a backtrace takes a second or more).
        env = dict(os.environ, SWIFT_BACKTRACE="enable=no") if len(inputs) > 1 else None
        status, output, seconds, rss, leftovers = self.execute(command, self.args.timeout * max(1, len(inputs) // 10), env=env)
        if len(inputs) == 1:
            self.stats["check"] += 1
            self.note_costs(rss, seconds, "check of a %d-byte input" % len(inputs[0]), inputs[0])
        bad = status == "timeout" or (isinstance(status, int) and status not in (0, 2)) or self.unlocated(output) or leftovers
        if bad and len(inputs) > 1:
            middle = len(inputs) // 2
            return self.check_batch(inputs[:middle]) + self.check_batch(inputs[middle:])
        if bad:
            kind = ("hang" if status == "timeout" else "crash" if status < 0 else "leftover-process" if leftovers
                    else "unlocated" if self.unlocated(output) else "exit-%d" % status)
            self.record("check-" + kind, inputs, output, [self.binary, "check", "input.yaml"])
            return []
        if len(inputs) > 1:
            self.stats["check"] += len(inputs)
            self.note_costs(rss, seconds / len(inputs), "check batch of %d" % len(inputs))
        if status == 0:
            return inputs
        # Which inputs were accepted: those with no diagnostic naming their path.
        rejected = set(re.findall(rb"(input-\d{4})\.yaml:\d+:\d+: error:", output))
        return [data for path, data in zip(paths, inputs)
                if os.path.basename(path)[:-5].encode() not in rejected]

    def plan_and_run(self, data):
        directory = os.path.join(self.work, "run")
        shutil.rmtree(directory, ignore_errors=True)
        [path] = self.write_inputs(directory, [data])
        command = [self.binary, "plan", path]
        status, output, seconds, rss, _ = self.execute(command, self.args.timeout)
        self.stats["plan"] += 1
        self.note_costs(rss, seconds, "plan of a %d-byte input" % len(data), data)
        if status == "timeout" or status not in (0,) or self.unlocated(output):
            kind = ("hang" if status == "timeout" else "crash" if status < 0 else "unlocated" if self.unlocated(output)
                    else "check-accepts-plan-refuses" if status == 2 else "exit-%d" % status)
            self.record("plan-" + kind, [data], output, command)
            return
        if self.args.no_run:
            return
        sandboxes = os.path.join(self.work, "tmp")
        shutil.rmtree(sandboxes, ignore_errors=True)
        os.makedirs(sandboxes)
        env = dict(os.environ, TMPDIR=sandboxes, NO_COLOR="1")
        command = self.unshare + [self.binary, "run", "--deadline", self.args.deadline, path]
        status, output, seconds, rss, leftovers = self.execute(command, self.args.timeout + 10, env=env)
        self.stats["run"] += 1
        self.note_costs(rss, seconds, "run of a %d-byte input" % len(data), data)
        left = os.listdir(sandboxes)
        static = STATIC_REFUSALS.search(output)
        if status == "timeout" or (isinstance(status, int) and (status < 0 or status not in (0, 1, 77))) \
                or self.unlocated(output) or leftovers or left or static:
            kind = ("hang" if status == "timeout" else "crash" if status < 0 else "leftover-process" if leftovers
                    else "leftover-sandbox" if left else "unlocated" if self.unlocated(output)
                    else "check-accepts-run-refuses" if status == 2 or static else "exit-%d" % status)
            self.record("run-" + kind, [data], output, ["run", "--deadline", self.args.deadline, "input.yaml"])

    def main(self):
        args = self.args
        rng = random.Random(args.seed)
        seeds = load_seeds()
        mutator = Mutator(rng, seeds)
        print("fuzz: seed %d, %d inputs from %d seeds, binary %s%s" % (args.seed, args.count, len(seeds), self.binary,
              ", run in a network namespace" if self.unshare else ""), flush=True)
        start = time.monotonic()
        done = 0
        runs_wanted = args.runs if args.runs is not None else args.count
        interrupted = False
        try:
            while done < args.count:
                batch = [mutator.mutate(rng.choice(seeds)) for _ in range(min(args.batch, args.count - done))]
                done += len(batch)
                accepted = self.check_batch(batch)
                self.stats["accepted"] += len(accepted)
                for data in accepted:
                    if self.stats["plan"] < runs_wanted:
                        self.plan_and_run(data)
                if args.progress and done % (args.batch * 20) == 0:
                    print("fuzz: %d/%d checked, %d accepted, %d run, %d failures, %.0f s" % (
                        done, args.count, self.stats["accepted"], self.stats["run"], self.failures,
                        time.monotonic() - start), flush=True)
        except KeyboardInterrupt:
            interrupted = True
            print("fuzz: interrupted after %d inputs" % done)
        finally:
            shutil.rmtree(self.work, ignore_errors=True)
        print("fuzz: seed %d: %d checked, %d accepted, %d planned, %d run in %.0f s; %d failures %s" % (
            args.seed, self.stats["check"], self.stats["accepted"], self.stats["plan"], self.stats["run"],
            time.monotonic() - start, self.failures, self.kinds or ""))
        print("fuzz: peak RSS %.1f MiB (%s); slowest %.2f s (%s)" % (
            self.peak_rss[0] / 1024, self.peak_rss[1], self.slowest[0], self.slowest[1]))
        # The costliest inputs measured alone, kept for a look (they are not failures).
        for name, (_, _, data) in (("peak-rss", self.peak_rss), ("slowest", self.slowest)):
            if data is not None:
                with open(os.path.join(args.failures, "%s-input-seed-%d.yaml" % (name, args.seed)), "wb") as f:
                    f.write(data)
        if self.failures:
            print("fuzz: failing inputs are in %s" % args.failures)
        return 1 if self.failures or interrupted else 0


def main():
    parser = argparse.ArgumentParser(prog="scripts/fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="inputs to generate (default 2000)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: a random one, printed)")
    parser.add_argument("--runs", type=int, default=None, help="accepted inputs to plan and run at most (default: all)")
    parser.add_argument("--no-run", action="store_true", help="check and plan only")
    parser.add_argument("--batch", type=int, default=25, help="inputs per check process (default 25)")
    parser.add_argument("--timeout", type=float, default=20, help="seconds per command before it is a hang (default 20)")
    parser.add_argument("--deadline", default="2s", help="--deadline for run (default 2s)")
    parser.add_argument("--rss-limit-mb", type=int, default=4096, help="address-space limit per command (default 4096)")
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "debug", "ringscript"))
    parser.add_argument("--failures", default=os.path.join(ROOT, "fuzz-failures"), help="where failing inputs go")
    parser.add_argument("--no-unshare", action="store_true", help="run without a private network namespace")
    parser.add_argument("--progress", action="store_true", help="print progress every 20 batches")
    args = parser.parse_args()
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1 << 32)
    if not os.access(args.binary, os.X_OK):
        parser.error("no ringscript binary at %s (build it first: swift build)" % args.binary)
    args.binary = os.path.abspath(args.binary)
    # SIGTERM and SIGHUP end the pass like ^C: the work directory is removed and the figures printed.
    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    sys.exit(Fuzzer(args).main())


if __name__ == "__main__":
    main()

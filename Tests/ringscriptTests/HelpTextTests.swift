import ArgumentParser
import Testing
@testable import ringscript

/// The help texts are part of the interface: they are checked whole, so a change to an option shows here.
@Suite struct HelpTextTests {
    @Test func rootHelpListsEveryCommand() {
        #expect(RingScript.helpMessage(columns: 80) == """
        OVERVIEW: Run io_uring scenarios on the real kernel and report where reality
        differs.

        USAGE: ringscript <subcommand>

        OPTIONS:
          --version               Show the version.
          -h, --help              Show help information.

        SUBCOMMANDS:
          run                     Run scenarios on the real kernel and check every CQE
                                  against the expectations.
          record                  Run scenarios on the real kernel and write what it
                                  did into their expect: blocks (golden tests).
          check                   Validate scenario files without running them;
                                  diagnostics go to stderr.
          plan                    Print how a scenario would run: its submissions,
                                  SQEs, link chains and waits, without a ring.
          schema                  Print the JSON Schema (draft 2020-12) of scenario
                                  files, for editor completion.
          ops                     List every SQE op and registration step of the op
                                  table; with --coverage, which have a scenario.
          probe                   Print the kernel release, the ring's feature bits and
                                  every opcode's support.
          bench                   Measure the engine.

          See 'ringscript help <subcommand>' for detailed help.
        """)
    }

    @Test func runHelpDocumentsOptionsAndExitCodes() {
        #expect(RingScript.helpMessage(for: RunCommand.self, columns: 80) == """
        OVERVIEW: Run scenarios on the real kernel and check every CQE against the
        expectations.

        Exit status: 0 when every scenario passed (skips and expected failures
        allowed), 1 when one failed or timed out, 2 for invalid input or usage (an
        invalid file, no scenario matched, a report that could not be written), 77 when
        the single scenario run was skipped, 128 + the signal when SIGINT, SIGTERM or
        SIGHUP stopped the run (130, 143, 129) and 141 when standard output closed.

        USAGE: ringscript run [<options>] [<path> ...]

        ARGUMENTS:
          <path>                  Scenario files or directories (searched recursively
                                  for *.yaml); - reads one from standard input.
                                  (default: scenarios)

        OPTIONS:
          --filter <pattern>      Run only scenarios whose path or name contains
                                  PATTERN (a glob when it has * ? or [).
          --exclude <pattern>     Leave out scenarios whose path or name matches
                                  PATTERN, as --filter matches (repeatable).
          --tag <tag>             Run only scenarios with this tag (repeatable).
          -j <n>                  Scenarios to run at once, each on its own ring.
                                  (default: 1)
          --repeat <n>            Run each scenario N times. (default: 1)
          --until-fail            Stop repeating a scenario at its first failure and
                                  report that iteration.
          --deadline <duration>   Deadline for each scenario, overriding the file's
                                  (e.g. 10s, 500ms; at least 10ms).
          --fail-fast             Start no new scenario after a failure (--max-failures
                                  1).
          --max-failures <n>      Start no new scenario after N failures.
          --shuffle               Run the scenarios in a random order; the seed is
                                  printed so the order can be replayed.
          --seed <n>              The seed of --shuffle's order (implies --shuffle).
          --list                  List the scenarios that would run, in order, and run
                                  nothing.
          --trace                 Log every SQE, io_uring_enter and CQE live on
                                  standard error.
          --format <format>       Report format on standard output: text, json (one
                                  document at the end) or jsonl (one object per line,
                                  streamed). (values: text, json, jsonl; default: text)
          --junit <file>          Also write a JUnit XML report to FILE.
          --tap                   Report in TAP (version 13, which prove and most
                                  harnesses read) instead of text.
          --tap-version <n>       The TAP version --tap writes: 13 or 14 (implies
                                  --tap).
          --ktap                  Report in KTAP version 1 (kselftest, KUnit's parser)
                                  instead of text.
          --color <color>         Colour the text report: auto (a terminal, unless
                                  NO_COLOR is set), always or never. (values: auto,
                                  always, never; default: auto)
          --shard <k/n>           Run shard K of N (1-based), by position in the stable
                                  order.
          --keep-sandbox          Keep each scenario's sandbox directory and print
                                  where it is.
          --allow-outside-sandbox Allow paths outside the scenario's sandbox (absolute,
                                  .., symlinks).
          --max-memory <size>     Memory and file bytes a scenario may ask for in all
                                  (default 1GiB).
          --max-buffer <size>     Bytes one buffer, file or buffer ring may have
                                  (default 256MiB).
          --max-scenario-size <size>
                                  Bytes a scenario file may have (default 64MiB).
          --version               Show the version.
          -h, --help              Show help information.

        """)
    }

    @Test func badOptionsAreUsageErrors() {
        #expect(throws: (any Error).self) { try RingScript.parseAsRoot(["run", "--shard", "3/2"]) }
        #expect(throws: (any Error).self) { try RingScript.parseAsRoot(["run", "--deadline", "soon"]) }
        #expect(throws: (any Error).self) { try RingScript.parseAsRoot(["run", "-j", "0"]) }
        // ringscript's contract: usage errors exit with 2, like invalid scenario files.
        #expect(RingScript.usageExitStatus(for: ValidationError("x")) == 2)
        #expect(RingScript.usageExitStatus(for: ExitCode(77)) == nil)
    }
}

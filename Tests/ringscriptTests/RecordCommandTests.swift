import ArgumentParser
import Testing
@testable import ringscript

/// `ringscript record`'s help is part of the interface, checked whole.
@Suite struct RecordCommandTests {
    @Test func recordHelpDocumentsOptionsAndExitCodes() {
        #expect(RingScript.helpMessage(for: RecordCommand.self, columns: 80) == """
        OVERVIEW: Run scenarios on the real kernel and write what it did into their
        expect: blocks (golden tests).

        Each file is run --runs times; values the same in every run are written
        exactly, values that varied as the set or range seen (with a comment), order
        only where it held in every run. Every byte outside expect: is kept, and so are
        hand-written entries the kernel agrees with. Under CI (CI, GITHUB_ACTIONS,
        BUILD_NUMBER… set) nothing is written without --force. Exit status: 0 recorded
        or up to date; 1 a file could not be recorded, or (--diff) recording would
        change one; 2 invalid input, usage, or a refusal under CI; 77 the single file
        was skipped.

        USAGE: ringscript record <path> ... [--runs <n>] [--diff] [--exact-fds] [--overwrite] [--force] [--allow-timeout] [--contents] [--deadline <duration>] [--allow-outside-sandbox]

        ARGUMENTS:
          <path>                  Scenario files or directories (searched recursively
                                  for *.yaml).

        OPTIONS:
          --runs <n>              Runs of each scenario. (default: 5)
          --diff                  Print the unified diff recording would make instead
                                  of writing; exit 1 when there is one.
          --exact-fds             Write new descriptors' exact numbers instead of ">=
                                  0".
          --overwrite             Replace hand-written entries the kernel contradicts
                                  (otherwise the file is left alone).
          --force                 Write even when a CI environment variable is set.
          --allow-timeout         Record runs that hit the deadline, had an enter error
                                  or logged a kernel warning.
          --contents              Also record the bytes of the scenario's buffers and
                                  files.
          --deadline <duration>   Deadline for each run, overriding the file's (e.g.
                                  10s, 500ms).
          --allow-outside-sandbox Allow paths outside the scenario's sandbox (absolute,
                                  .., symlinks).
          --version               Show the version.
          -h, --help              Show help information.

        """)
    }

    @Test(arguments: [["record"], ["record", "x.yaml", "--runs", "0"], ["record", "x.yaml", "--deadline", "soon"]])
    func badRecordOptionsAreUsageErrors(_ arguments: [String]) {
        #expect(throws: (any Error).self) { try RingScript.parseAsRoot(arguments) }
        do {
            _ = try RingScript.parseAsRoot(arguments)
        } catch {
            #expect(RingScript.usageExitStatus(for: error) == 2)
        }
    }
}

import IoUring
import Scenario

/// ringscript's own version, and the kernel UAPI it was written against.
public enum RingScriptRelease {
    public static let version = "0.2.0"
    /// The io_uring UAPI `CIoUring` restates (include/uapi/linux/io_uring.h).
    public static let kernelUAPI = "Linux 6.18"
}

/// What every machine report says about the run itself: who ran it, where, on which kernel.
public struct RunEnvironment: Sendable {
    /// ringscript's version (`ringscript --version`).
    public var version: String
    /// `uname -r`.
    public var kernelRelease: String
    public var hostname: String
    /// When the run started: seconds since the epoch, UTC.
    public var startTime: Int64
    /// What the probe said of the kernel: feature names and the opcodes this engine knows that it supports;
    /// nil when the probe failed (`probeError` says why).
    public var features: [String]?
    public var supportedOpcodes: Int?
    public var knownOpcodes: Int
    public var probeError: String?
    /// `--shuffle`: the seed of the order.
    public var shuffleSeed: UInt64?

    public init(version: String, kernelRelease: String, hostname: String, startTime: Int64, features: [String]? = nil,
                supportedOpcodes: Int? = nil, knownOpcodes: Int = Opcode.allCases.count, probeError: String? = nil,
                shuffleSeed: UInt64? = nil) {
        self.version = version
        self.kernelRelease = kernelRelease
        self.hostname = hostname
        self.startTime = startTime
        self.features = features
        self.supportedOpcodes = supportedOpcodes
        self.knownOpcodes = knownOpcodes
        self.probeError = probeError
        self.shuffleSeed = shuffleSeed
    }

    /// The start time as ISO 8601 in UTC without a zone (`2026-12-04T19:37:20`), as JUnit writers put it.
    public var timestamp: String { RunEnvironment.civil(startTime) }

    /// `2026-12-04T19:37:20` for `seconds` since the epoch (proleptic Gregorian, UTC).
    static func civil(_ seconds: Int64) -> String {
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = seconds - days * 86400
        // Howard Hinnant's days-to-civil algorithm.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : String(value) }
        return "\(year)-\(two(month))-\(two(day))T\(two(secondOfDay / 3600)):\(two(secondOfDay % 3600 / 60)):\(two(secondOfDay % 60))"
    }

    var json: JSONValue {
        .object([
            ("ringscript_version", .string(version)),
            ("kernel_release", .string(kernelRelease)),
            ("hostname", .string(hostname)),
            ("start_time", .string(timestamp + "Z")),
            ("probe", probeError.map { .object([("error", .string($0))]) } ?? .object([
                ("features", .array((features ?? []).map(JSONValue.string))),
                ("supported_opcodes", .integer(Int64(supportedOpcodes ?? 0))),
                ("known_opcodes", .integer(Int64(knownOpcodes))),
            ])),
            ("shuffle_seed", shuffleSeed.map { .string(String($0)) } ?? .null),
        ])
    }

    /// For tests and reports without a kernel at hand.
    public static let unknown = RunEnvironment(version: "unknown", kernelRelease: "unknown", hostname: "localhost", startTime: 0)
}

/// `--format json` (one document at the end) and `--format jsonl` (one object per line as scenarios
/// finish: the environment first, then each scenario, then the summary). Both carry the environment and,
/// per scenario, the recorded trace (`docs/report.schema.json` describes them).
public struct JSONReporter: Sendable {
    public var environment: RunEnvironment

    public init(environment: RunEnvironment = .unknown) { self.environment = environment }

    /// The whole report as one document.
    public func render(_ outcomes: [ScenarioOutcome], duration: Duration, interruption: String? = nil) -> String {
        JSONValue.object([
            ("environment", environment.json),
            ("scenarios", .array(outcomes.map(json))),
            ("summary", summary(outcomes, duration: duration, interruption: interruption)),
        ]).prettyPrinted()
    }

    /// JSON Lines: the first line.
    public func environmentLine() -> String {
        JSONValue.object([("type", .string("environment")), ("environment", environment.json)]).serialized()
    }

    /// JSON Lines: one scenario run.
    public func line(_ outcome: ScenarioOutcome) -> String {
        guard case .object(let members) = json(outcome) else { return "" }
        return JSONValue.object([("type", .string("scenario"))] + members).serialized()
    }

    /// JSON Lines: the last line.
    public func summaryLine(_ outcomes: [ScenarioOutcome], duration: Duration, interruption: String? = nil) -> String {
        JSONValue.object([("type", .string("summary")), ("summary", summary(outcomes, duration: duration, interruption: interruption))]).serialized()
    }

    func summary(_ outcomes: [ScenarioOutcome], duration: Duration, interruption: String?) -> JSONValue {
        let summary = RunSummary(outcomes)
        let counts: [(String, JSONValue)] = Verdict.allCases.map { ($0.rawValue.lowercased(), .integer(Int64(summary[$0]))) }
        return .object(counts + [
            ("not_run", .integer(Int64(summary.notRun))),
            ("seconds", .number(roundedSeconds(duration))),
            ("interrupted", interruption.map(JSONValue.string) ?? .null),
        ])
    }

    func roundedSeconds(_ duration: Duration) -> Double { (duration.seconds * 1e6).rounded() / 1e6 }

    func json(_ outcome: ScenarioOutcome) -> JSONValue {
        .object([
            ("name", .string(outcome.name)),
            ("file", .string(outcome.file)),
            ("verdict", .string(outcome.verdict.rawValue)),
            ("seconds", .number(roundedSeconds(outcome.duration))),
            ("iteration", .integer(Int64(outcome.iteration))),
            ("reason", outcome.reason.map(JSONValue.string) ?? .null),
            ("not_run", outcome.notRun.map(JSONValue.string) ?? .null),
            ("folded_iterations", .object(Verdict.allCases.compactMap { verdict in
                outcome.foldedIterations[verdict].map { (verdict.rawValue, .integer(Int64($0))) }
            })),
            ("ring", outcome.ringSetup.map(JSONValue.string) ?? .null),
            ("diagnostics", .array(outcome.diagnostics.map { diagnostic in
                .object([
                    ("location", .string(diagnostic.mark.description)),
                    ("severity", .string(diagnostic.severity.rawValue)),
                    ("message", .string(diagnostic.message)),
                ])
            })),
            ("mismatches", .array(outcome.mismatches.map { mismatch in
                .object([
                    ("location", .string(mismatch.mark.description)),
                    ("subject", .string(mismatch.subject)),
                    ("expected", .string(mismatch.expected)),
                    ("actual", .string(mismatch.actual)),
                ])
            })),
            ("never_completed", .array(outcome.neverCompleted.map { missing in
                .object([("id", .string(missing.id)), ("location", .string(missing.mark.description))])
            })),
            ("notes", .array(outcome.notes.map { note in
                .object([("location", .string(note.mark.description)), ("text", .string(note.text))])
            })),
            ("unclaimed", .array(outcome.unclaimed.map { cqe in
                .object([
                    ("id", cqe.id.map(JSONValue.string) ?? .null),
                    ("user_data", .string(String(cqe.userData))),
                    ("res", .integer(Int64(cqe.res))),
                    ("flags", .integer(Int64(cqe.flags))),
                ])
            })),
            ("trace", outcome.trace.map(json) ?? .null),
        ])
    }

    func json(_ trace: RecordedTrace) -> JSONValue {
        .object([
            ("limit", .integer(Int64(trace.limit))),
            ("dropped", .integer(Int64(trace.dropped))),
            ("records", .array(trace.records.map(json))),
        ])
    }

    func micros(_ elapsed: Duration) -> JSONValue { .integer(Int64((elapsed.seconds * 1e6).rounded())) }

    func json(_ record: RecordedTrace.Record) -> JSONValue {
        switch record {
        case .sqe(let request):
            let sqe = request.sqe
            return .object([
                ("kind", .string("sqe")), ("t_us", micros(request.elapsed)),
                ("id", request.id.map(JSONValue.string) ?? .null), ("user_data", .string(String(request.userData))),
                ("node", .integer(Int64(request.node))), ("iterations", .array(request.iterations.map { .integer(Int64($0)) })),
                ("opcode", .string(Opcode(rawValue: sqe.opcode)?.kernelName ?? "opcode \(sqe.opcode)")),
                ("flags", .integer(Int64(sqe.flags))), ("ioprio", .integer(Int64(sqe.ioprio))), ("fd", .integer(Int64(sqe.fd))),
                ("off", .string(String(sqe.off))), ("addr", .string(String(sqe.addr))), ("len", .integer(Int64(sqe.len))),
                ("op_flags", .integer(Int64(sqe.opFlags))), ("buf_index", .integer(Int64(sqe.bufIndex))),
                ("personality", .integer(Int64(sqe.personality))), ("splice_fd_in", .integer(Int64(sqe.spliceFDIn))),
                ("addr3", .string(String(sqe.addr3))),
            ])
        case .enter(let call):
            return .object([
                ("kind", .string("enter")), ("t_us", micros(call.elapsed)), ("to_submit", .integer(Int64(call.toSubmit))),
                ("min_complete", .integer(Int64(call.minComplete))), ("flags", .integer(Int64(call.flags.rawValue))),
                ("result", .integer(Int64(call.result))),
            ])
        case .cqe(let observed, let id):
            let flags = CompletionFlags(rawValue: observed.cqe.flags.rawValue)
            return .object([
                ("kind", .string("cqe")), ("t_us", micros(observed.elapsed)), ("arrival", .integer(Int64(observed.arrival))),
                ("id", id.map(JSONValue.string) ?? .null), ("user_data", .string(String(observed.cqe.userData))),
                ("res", .integer(Int64(observed.cqe.res))), ("flags", .integer(Int64(observed.cqe.flags.rawValue))),
                ("buffer_id", flags.bufferID.map { .integer(Int64($0)) } ?? .null),
            ])
        case .registration(let outcome):
            return .object([
                ("kind", .string(outcome.isSubmit ? "submit" : "register")), ("t_us", micros(outcome.elapsed)),
                ("node", .integer(Int64(outcome.node))), ("iterations", .array(outcome.iterations.map { .integer(Int64($0)) })),
                ("result", .integer(Int64(outcome.result))),
            ])
        case .step(let node, let iterations, let summary, let elapsed):
            return .object([
                ("kind", .string("step")), ("t_us", micros(elapsed)), ("node", .integer(Int64(node))),
                ("iterations", .array(iterations.map { .integer(Int64($0)) })), ("summary", .string(summary)),
            ])
        case .teardown(let expired, let elapsed):
            return .object([("kind", .string("teardown")), ("t_us", micros(elapsed)), ("deadline_expired", .bool(expired))])
        }
    }
}

/// XML 1.0 text and attribute escaping: the five predefined entities; tab, newline and carriage return
/// as character references (so attribute values keep them); other characters XML 1.0 cannot hold
/// (C0 controls, U+FFFE, U+FFFF) as `\u{…}` text.
public func xmlEscaped(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        case "\n": out += "&#10;"
        case "\t": out += "&#9;"
        case "\r": out += "&#13;"
        case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF:
            out += "\\u{" + String(scalar.value, radix: 16) + "}"
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out
}

/// `--junit FILE`: JUnit XML as Surefire writes it and Jenkins' strict `junit-10.xsd` accepts: one
/// `<testsuite>` per scenario file (its ring setup, the kernel release and ringscript's version in
/// `<properties>`), a `<testcase>` per run, times in seconds with 3 decimals.
public struct JUnitReporter: Sendable {
    public var environment: RunEnvironment

    public init(environment: RunEnvironment = .unknown) { self.environment = environment }

    public func render(_ outcomes: [ScenarioOutcome], duration: Duration) -> String {
        // Files in the order they first appear.
        var order: [String] = []
        var byFile: [String: [ScenarioOutcome]] = [:]
        for outcome in outcomes {
            if byFile[outcome.file] == nil { order.append(outcome.file) }
            byFile[outcome.file, default: []].append(outcome)
        }
        let summary = RunSummary(outcomes)
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites name=\"ringscript\" tests=\"\(outcomes.count)\" failures=\"\(failures(summary))\" errors=\"\(summary[.error])\" time=\"\(format(duration))\">\n"
        let text = TextReporter(useColor: false)
        for file in order {
            let cases = byFile[file] ?? []
            let counts = RunSummary(cases)
            let time = cases.reduce(Duration.zero) { $0 + $1.duration }
            xml += "  <testsuite name=\"\(xmlEscaped(file))\" tests=\"\(cases.count)\" failures=\"\(failures(counts))\" errors=\"\(counts[.error])\" skipped=\"\(counts[.skip] + counts.notRun)\" time=\"\(format(time))\" timestamp=\"\(environment.timestamp)\" hostname=\"\(xmlEscaped(environment.hostname))\" file=\"\(xmlEscaped(file))\">\n"
            var properties = [("ringscript.version", environment.version), ("kernel.release", environment.kernelRelease)]
            if let ring = cases.first(where: { $0.ringSetup != nil })?.ringSetup { properties.append(("ring.setup", ring)) }
            if let seed = environment.shuffleSeed { properties.append(("shuffle.seed", String(seed))) }
            xml += "    <properties>\n"
            for (name, value) in properties { xml += "      <property name=\"\(name)\" value=\"\(xmlEscaped(value))\"/>\n" }
            xml += "    </properties>\n"
            for outcome in cases {
                let name = outcome.iteration > 1 ? "\(outcome.name) [iteration \(outcome.iteration)]" : outcome.name
                xml += "    <testcase name=\"\(xmlEscaped(name))\" classname=\"\(xmlEscaped(JUnitReporter.className(file)))\" time=\"\(format(outcome.duration))\""
                switch outcome.verdict {
                case .pass:
                    xml += "/>\n"
                case .xfail:
                    xml += ">\n      <system-out>\(xmlEscaped("XFAIL: " + (outcome.reason ?? "expected to fail")))</system-out>\n    </testcase>\n"
                case .skip:
                    xml += ">\n      <skipped message=\"\(xmlEscaped(outcome.reason ?? "skipped"))\"/>\n    </testcase>\n"
                case .fail, .timeout, .xpass:
                    let message = outcome.verdict == .xpass ? "XPASS: passed but marked expected to fail" : firstMessage(outcome)
                    xml += ">\n      <failure message=\"\(xmlEscaped(message))\" type=\"\(outcome.verdict.rawValue)\">\(xmlEscaped(text.details(outcome).joined(separator: "\n")))</failure>\n    </testcase>\n"
                case .error:
                    xml += ">\n      <error message=\"\(xmlEscaped(outcome.reason ?? "error"))\" type=\"ERROR\">\(xmlEscaped(text.details(outcome).joined(separator: "\n")))</error>\n    </testcase>\n"
                }
            }
            xml += "  </testsuite>\n"
        }
        xml += "</testsuites>\n"
        return xml
    }

    func failures(_ summary: RunSummary) -> Int { summary[.fail] + summary[.timeout] + summary[.xpass] }

    /// A Java-like class name from a scenario path: `scenarios/links/x.yaml` → `scenarios_links_x`
    /// (JUnit consumers read dots as package separators).
    static func className(_ file: String) -> String {
        var name = Substring(file)
        for suffix in [".yaml", ".yml"] where name.hasSuffix(suffix) { name = name.dropLast(suffix.count) }
        while name.hasPrefix("./") { name = name.dropFirst(2) }
        return String(name.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" })
    }

    func firstMessage(_ outcome: ScenarioOutcome) -> String {
        if let first = outcome.mismatches.first {
            return "\(first.mark): \(first.subject): expected \(first.expected), got \(first.actual)"
        }
        if let missing = outcome.neverCompleted.first {
            let more = outcome.neverCompleted.count > 1 ? " (and \(outcome.neverCompleted.count - 1) more)" : ""
            return "\(missing.mark): \(missing.id): never completed\(more)"
        }
        if !outcome.unclaimed.isEmpty { return "\(outcome.unclaimed.count) CQEs no expectation claimed" }
        return outcome.reason ?? "failed"
    }

    /// Seconds with 3 decimals (`0.003`), never in exponent form.
    func format(_ duration: Duration) -> String {
        let milliseconds = max(0, Int64((duration.seconds * 1000).rounded()))
        let fraction = String(milliseconds % 1000)
        return "\(milliseconds / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}

/// The TAP flavours `--tap` writes.
public enum TAPVersion: Int, Sendable, CaseIterable {
    /// `TAP version 13`: what TAP::Harness (`prove`) and most harnesses accept.
    case v13 = 13
    /// `TAP version 14`.
    case v14 = 14
}

/// `--tap` (`--tap-version 13|14`): one test point per scenario run, streamed, `# SKIP reason` for skips, `# TODO` for
/// expected failures (TAP's directive), a libyaml-written YAML block (`---`…`...`) for failures.
public struct TAPReporter: Sendable {
    public var version: TAPVersion

    public init(version: TAPVersion = .v13) { self.version = version }

    /// The version line, then the plan when the count is known up front.
    public func header(count: Int?) -> String {
        "TAP version \(version.rawValue)" + (count.map { "\n1..\($0)" } ?? "")
    }

    public func render(_ outcome: ScenarioOutcome, number: Int) -> String {
        let name = escapeDescription(outcome.name)
        let iteration = outcome.iteration > 1 ? " [iteration \(outcome.iteration)]" : ""
        switch outcome.verdict {
        case .pass: return "ok \(number) - \(name)\(iteration)"
        case .skip: return "ok \(number) - \(name)\(iteration) # SKIP \(directiveText(outcome.reason ?? ""))"
        case .xfail: return "not ok \(number) - \(name)\(iteration) # TODO \(directiveText(outcome.reason ?? "expected to fail"))"
        case .fail, .timeout, .xpass, .error:
            // TAP knows only SKIP and TODO: harnesses read `# TIMEOUT …` as a comment on a failed point.
            let ids = outcome.neverCompleted.map(\.id).joined(separator: ", ")
            let timeout = outcome.verdict == .timeout ? " # TIMEOUT " + (ids.isEmpty ? "deadline passed" : "never completed: " + ids) : ""
            var lines = ["not ok \(number) - \(name)\(iteration)\(timeout)", "  ---"]
            let block = (try? YAMLEmitter.document(diagnostics(outcome))) ?? "message: 'diagnostics could not be written'\n"
            for line in block.split(separator: "\n", omittingEmptySubsequences: false).dropLast() { lines.append("  " + line) }
            lines.append("  ...")
            return lines.joined(separator: "\n")
        }
    }

    /// The YAML diagnostics of a failed point: TAP 13's `message` and `severity`, then ringscript's details.
    func diagnostics(_ outcome: ScenarioOutcome) -> YAMLOutput {
        var pairs: [(String, YAMLOutput)] = [
            ("message", .string(JUnitReporter().firstMessage(outcome))),
            ("severity", .string(outcome.verdict == .error ? "error" : "fail")),
            ("verdict", .string(outcome.verdict.rawValue)),
            ("file", .string(outcome.file)),
            ("duration_ms", .number((outcome.duration.seconds * 1e6).rounded() / 1e3)),
        ]
        if let reason = outcome.reason { pairs.append(("reason", .string(reason))) }
        if !outcome.diagnostics.isEmpty {
            pairs.append(("diagnostics", .sequence(outcome.diagnostics.map {
                .map([("at", .string($0.mark.description)), ("severity", .string($0.severity.rawValue)), ("message", .string($0.message))])
            })))
        }
        if !outcome.mismatches.isEmpty {
            pairs.append(("mismatches", .sequence(outcome.mismatches.map {
                .map([("at", .string($0.mark.description)), ("subject", .string($0.subject)),
                      ("expected", .string($0.expected)), ("actual", .string($0.actual))])
            })))
        }
        if !outcome.neverCompleted.isEmpty {
            pairs.append(("never_completed", .sequence(outcome.neverCompleted.map {
                .map([("id", .string($0.id)), ("at", .string($0.mark.description))])
            })))
        }
        if !outcome.unclaimed.isEmpty {
            pairs.append(("unclaimed", .sequence(outcome.unclaimed.map { .string(describe($0)) })))
        }
        return .map(pairs)
    }

    /// A comment (TAP) or diagnostic line (KTAP) after the plan: who ran where.
    public static func environmentComment(_ environment: RunEnvironment) -> String {
        "# ringscript \(environment.version) on Linux \(environment.kernelRelease), host \(environment.hostname), started \(environment.timestamp)Z"
            + (environment.shuffleSeed.map { ", --seed \($0)" } ?? "")
    }

    /// The trailing plan (when the count was not known up front), then a comment with the summary.
    public func footer(_ outcomes: [ScenarioOutcome], planned: Bool, interruption: String?) -> String {
        var lines: [String] = []
        if !planned { lines.append("1..\(outcomes.count)") }
        lines.append("# " + RunSummary(outcomes).line)
        if let interruption { lines.append("Bail out! \(directiveText(interruption))") }
        return lines.joined(separator: "\n")
    }

    public func render(_ outcomes: [ScenarioOutcome]) -> String {
        ([header(count: outcomes.count)] + outcomes.enumerated().map { render($0.element, number: $0.offset + 1) })
            .joined(separator: "\n")
    }

    /// A description cannot hold an unescaped `#` (it starts a directive) or a newline: TAP escapes `#`
    /// as `\#` and `\` as `\\`.
    func escapeDescription(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "\\": out += "\\\\"
            case "#": out += "\\#"
            case "\n", "\r": out += " "
            default: out.append(character)
            }
        }
        return out
    }

    /// Text after a directive ends at the line's end.
    func directiveText(_ text: String) -> String {
        String(text.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}

/// `--ktap`: KTAP version 1 as Documentation/dev-tools/ktap.rst states it and KUnit's parser reads it:
/// `ok`/`not ok` lines with a description free of `#`, the `SKIP`, `XFAIL`, `TIMEOUT` and `ERROR`
/// directives, and failure details as `# ` diagnostic lines before their result line (KTAP does not
/// recommend YAML blocks).
public struct KTAPReporter: Sendable {
    public init() {}

    public func header(count: Int?) -> String { "KTAP version 1" + (count.map { "\n1..\($0)" } ?? "") }

    public func render(_ outcome: ScenarioOutcome, number: Int) -> String {
        let name = description(outcome.name) + (outcome.iteration > 1 ? " iteration \(outcome.iteration)" : "")
        var lines: [String] = []
        if outcome.verdict.isFailure {
            lines = TextReporter(useColor: false).details(outcome).map { "# " + line($0.drop { $0 == " " }) }
        }
        switch outcome.verdict {
        case .pass: lines.append("ok \(number) \(name)")
        case .skip: lines.append("ok \(number) \(name) # SKIP \(line(outcome.reason ?? ""))")
        case .xfail: lines.append("ok \(number) \(name) # XFAIL \(line(outcome.reason ?? "expected to fail"))")
        case .timeout:
            let ids = outcome.neverCompleted.map(\.id).joined(separator: ", ")
            lines.append("not ok \(number) \(name) # TIMEOUT \(ids.isEmpty ? "deadline passed" : "never completed: " + ids)")
        case .error: lines.append("not ok \(number) \(name) # ERROR \(line(outcome.reason ?? "error"))")
        case .fail, .xpass: lines.append("not ok \(number) \(name)")
        }
        return lines.joined(separator: "\n")
    }

    public func footer(_ outcomes: [ScenarioOutcome], planned: Bool, interruption: String?) -> String {
        var lines: [String] = []
        if !planned { lines.append("1..\(outcomes.count)") }
        lines.append("# " + RunSummary(outcomes).line)
        if let interruption { lines.append("# interrupted: " + line(Substring(interruption))) }
        return lines.joined(separator: "\n")
    }

    /// A KTAP description "can't include #".
    func description(_ text: String) -> String { String(text.map { $0 == "#" ? "_" : ($0 == "\n" ? " " : $0) }) }

    func line<S: StringProtocol>(_ text: S) -> String { String(text.map { $0 == "\n" || $0 == "\r" ? " " : $0 }) }
}

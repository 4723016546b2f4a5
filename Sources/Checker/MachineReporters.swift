import Scenario

/// `--format json`: one object with every outcome and the summary.
public struct JSONReporter: Sendable {
    public init() {}

    public func render(_ outcomes: [ScenarioOutcome], duration: Duration) -> String {
        let summary = RunSummary(outcomes)
        let counts: [(String, JSONValue)] = Verdict.allCases.map { ($0.rawValue.lowercased(), .integer(Int64(summary[$0]))) }
        return JSONValue.object([
            ("scenarios", .array(outcomes.map(json))),
            ("summary", .object(counts + [("seconds", .number(duration.seconds))])),
        ]).serialized()
    }

    func json(_ outcome: ScenarioOutcome) -> JSONValue {
        .object([
            ("name", .string(outcome.name)),
            ("file", .string(outcome.file)),
            ("verdict", .string(outcome.verdict.rawValue)),
            ("seconds", .number(outcome.duration.seconds)),
            ("iteration", .integer(Int64(outcome.iteration))),
            ("reason", outcome.reason.map(JSONValue.string) ?? .null),
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
        ])
    }
}

/// `--junit FILE`: JUnit XML with timings, skip reasons and failure messages.
public struct JUnitReporter: Sendable {
    public init() {}

    public func render(_ outcomes: [ScenarioOutcome], duration: Duration) -> String {
        let summary = RunSummary(outcomes)
        let failures = summary[.fail] + summary[.timeout] + summary[.xpass]
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites name=\"ringscript\" tests=\"\(outcomes.count)\" failures=\"\(failures)\" errors=\"\(summary[.error])\" skipped=\"\(summary[.skip])\" time=\"\(format(duration))\">\n"
        xml += "  <testsuite name=\"ringscript\" tests=\"\(outcomes.count)\" failures=\"\(failures)\" errors=\"\(summary[.error])\" skipped=\"\(summary[.skip])\" time=\"\(format(duration))\">\n"
        let text = TextReporter(useColor: false)
        for outcome in outcomes {
            let name = outcome.iteration > 1 ? "\(outcome.name) [iteration \(outcome.iteration)]" : outcome.name
            xml += "    <testcase name=\"\(escape(name))\" classname=\"\(escape(outcome.file))\" time=\"\(format(outcome.duration))\""
            switch outcome.verdict {
            case .pass:
                xml += "/>\n"
            case .xfail:
                xml += ">\n      <system-out>\(escape("XFAIL: " + (outcome.reason ?? "expected to fail")))</system-out>\n    </testcase>\n"
            case .skip:
                xml += ">\n      <skipped message=\"\(escape(outcome.reason ?? "skipped"))\"/>\n    </testcase>\n"
            case .fail, .timeout, .xpass:
                let message = outcome.verdict == .xpass ? "XPASS: passed but marked expected to fail" : firstMessage(outcome)
                xml += ">\n      <failure message=\"\(escape(message))\" type=\"\(outcome.verdict.rawValue)\">\(escape(text.details(outcome).joined(separator: "\n")))</failure>\n    </testcase>\n"
            case .error:
                xml += ">\n      <error message=\"\(escape(outcome.reason ?? "error"))\" type=\"ERROR\">\(escape(text.details(outcome).joined(separator: "\n")))</error>\n    </testcase>\n"
            }
        }
        xml += "  </testsuite>\n</testsuites>\n"
        return xml
    }

    func firstMessage(_ outcome: ScenarioOutcome) -> String {
        if let first = outcome.mismatches.first {
            return "\(first.mark): \(first.subject): expected \(first.expected), got \(first.actual)"
        }
        if let missing = outcome.neverCompleted.first { return "\(missing.mark): \(missing.id): never completed" }
        if !outcome.unclaimed.isEmpty { return "\(outcome.unclaimed.count) CQEs no expectation claimed" }
        return outcome.reason ?? "failed"
    }

    func format(_ duration: Duration) -> String {
        String((duration.seconds * 1e6).rounded() / 1e6)
    }

    func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n", "\t", "\r": out.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20: out += "?" // not representable in XML 1.0
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// `--tap`: TAP version 14, which KTAP/kselftest runners also read: `ok`/`not ok`, `# SKIP reason`,
/// `# TODO` for expected failures, and a YAML diagnostic block for failures.
public struct TAPReporter: Sendable {
    public init() {}

    public func header(count: Int) -> String { "TAP version 14\n1..\(count)" }

    public func render(_ outcome: ScenarioOutcome, number: Int) -> String {
        let name = sanitize(outcome.name)
        switch outcome.verdict {
        case .pass: return "ok \(number) - \(name)"
        case .skip: return "ok \(number) - \(name) # SKIP \(sanitize(outcome.reason ?? ""))"
        case .xfail: return "not ok \(number) - \(name) # TODO \(sanitize(outcome.reason ?? "expected to fail"))"
        case .fail, .timeout, .xpass, .error:
            var lines = ["not ok \(number) - \(name)", "  ---"]
            lines.append("  verdict: \(outcome.verdict.rawValue)")
            lines.append("  file: \(yamlQuote(outcome.file))")
            lines.append("  duration_ms: \((outcome.duration.seconds * 1e6).rounded() / 1e3)")
            if let reason = outcome.reason { lines.append("  reason: \(yamlQuote(reason))") }
            if !outcome.mismatches.isEmpty {
                lines.append("  mismatches:")
                for mismatch in outcome.mismatches {
                    lines.append("    - at: \(yamlQuote(mismatch.mark.description))")
                    lines.append("      subject: \(yamlQuote(mismatch.subject))")
                    lines.append("      expected: \(yamlQuote(mismatch.expected))")
                    lines.append("      actual: \(yamlQuote(mismatch.actual))")
                }
            }
            for missing in outcome.neverCompleted {
                lines.append("  never_completed: \(yamlQuote("\(missing.id) at \(missing.mark)"))")
            }
            if !outcome.unclaimed.isEmpty {
                lines.append("  unclaimed:")
                for cqe in outcome.unclaimed { lines.append("    - \(yamlQuote(describe(cqe)))") }
            }
            lines.append("  ...")
            return lines.joined(separator: "\n")
        }
    }

    public func render(_ outcomes: [ScenarioOutcome]) -> String {
        ([header(count: outcomes.count)] + outcomes.enumerated().map { render($0.element, number: $0.offset + 1) })
            .joined(separator: "\n")
    }

    /// A TAP description cannot hold `#` (it starts a directive) or a newline.
    func sanitize(_ text: String) -> String {
        String(text.map { $0 == "#" ? "_" : ($0 == "\n" ? " " : $0) })
    }

    func yamlQuote(_ text: String) -> String {
        var out = "\""
        for character in text {
            switch character {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out + "\""
    }
}

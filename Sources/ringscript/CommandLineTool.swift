#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// The command line, without a dependency: ringscript's commands declare their options here and the
// parser, the help and the usage errors come from these declarations. (A generic argument-parsing
// library brought Foundation and a reflection pass over every command into each start-up: about 3 ms
// of the 8 a one-request scenario may take as a whole process.)

/// An option or flag of a command.
struct OptionSpec: Sendable {
    /// `--filter`, `-j`: the spellings, long first.
    var names: [String]
    /// The value's placeholder in help (`<filter>`); nil for a flag.
    var valueName: String?
    var help: String
    /// Shown as `(default: …)`.
    var defaultValue: String?
    /// Shown as `(values: …)`.
    var values: [String]?

    static func flag(_ name: String, _ help: String) -> OptionSpec {
        OptionSpec(names: [name], valueName: nil, help: help)
    }

    static func option(_ names: String..., value: String, _ help: String, default defaultValue: String? = nil,
                       values: [String]? = nil) -> OptionSpec {
        OptionSpec(names: names, valueName: value, help: help, defaultValue: defaultValue, values: values)
    }

    var isFlag: Bool { valueName == nil }
    /// The key parsed values are stored under: the first name without dashes.
    var key: String { String(names[0].drop { $0 == "-" }) }
}

/// Positional arguments of a command.
struct PositionalSpec: Sendable {
    var name: String
    var help: String
    /// Whether several may be given (`<paths> ...`).
    var repeating: Bool
    var required: Bool
    var defaultValue: String?
}

/// What was given on the command line, by option key.
struct ParsedArguments {
    var flags: Set<String> = []
    var values: [String: [String]] = [:]
    var positionals: [String] = []

    func flag(_ key: String) -> Bool { flags.contains(key) }
    func value(_ key: String) -> String? { values[key]?.last }
    func all(_ key: String) -> [String] { values[key] ?? [] }

    /// An integer option, or `fallback` when absent; throws a usage error for anything else.
    func integer(_ key: String, _ fallback: Int) throws(UsageError) -> Int {
        guard let text = value(key) else { return fallback }
        guard let number = Int(text) else { throw UsageError("The value '\(text)' is invalid for '--\(key) <\(key)>'") }
        return number
    }
}

/// A wrong command line: printed with the command's usage; the process exits 2.
struct UsageError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// Ends the process with `status` (what the command decided, after its own output).
struct ProcessExit: Error {
    var status: Int32
    init(_ status: Int32) { self.status = status }
}

/// A command or a group of subcommands.
struct CommandSpec: Sendable {
    var name: String
    var abstract: String
    var discussion: String? = nil
    var options: [OptionSpec] = []
    var positional: PositionalSpec? = nil
    var subcommands: [CommandSpec] = []
    /// Runs the command with its parsed arguments; throws `UsageError` or `ProcessExit`.
    var run: (@Sendable (ParsedArguments) throws -> Void)? = nil
}

enum CommandLineTool {
    /// Parses `arguments` (without the program name) against `root` and runs the command; never returns.
    static func main(_ root: CommandSpec, _ arguments: [String]) -> Never {
        var path = [root]
        var rest = arguments[...]
        // `ringscript help run` is `ringscript run --help`.
        if rest.first == "help" {
            rest = rest.dropFirst()
            while let next = rest.first, let sub = path.last!.subcommands.first(where: { $0.name == next }) {
                path.append(sub)
                rest = rest.dropFirst()
            }
            finish(standardOutput: help(path))
        }
        while let next = rest.first, let sub = path.last!.subcommands.first(where: { $0.name == next }) {
            path.append(sub)
            rest = rest.dropFirst()
        }
        let command = path.last!
        do {
            if rest.contains("-h") || rest.contains("--help") { finish(standardOutput: help(path)) }
            guard let run = command.run else {
                if let next = rest.first {
                    throw UsageError(next.hasPrefix("-") ? "Unknown option '\(next)'" : "Unexpected argument '\(next)'")
                }
                finish(standardOutput: help(path))
            }
            try run(try parse(Array(rest), for: command))
            exit(0)
        } catch let error as UsageError {
            let name = path.map(\.name).joined(separator: " ")
            writeStandardError("Error: \(error.message)\nUsage: \(usage(path))\n  See '\(name) --help' for more information.\n")
            exit(2)
        } catch let status as ProcessExit {
            exit(status.status)
        } catch {
            writeStandardError("Error: \(error)\n")
            exit(1)
        }
    }

    static func parse(_ arguments: [String], for command: CommandSpec) throws(UsageError) -> ParsedArguments {
        var parsed = ParsedArguments()
        var index = 0
        var onlyPositionals = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if onlyPositionals || !argument.hasPrefix("-") || argument == "-" {
                parsed.positionals.append(argument)
                continue
            }
            if argument == "--" {
                onlyPositionals = true
                continue
            }
            var name = argument
            var attached: String?
            if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                attached = String(argument[argument.index(after: equals)...])
            } else if !argument.hasPrefix("--"), argument.count > 2 {
                // `-j2`
                name = String(argument.prefix(2))
                attached = String(argument.dropFirst(2))
            }
            guard let option = command.options.first(where: { $0.names.contains(name) }) else {
                throw UsageError("Unknown option '\(argument)'")
            }
            if option.isFlag {
                guard attached == nil else { throw UsageError("Unknown option '\(argument)'") }
                parsed.flags.insert(option.key)
                continue
            }
            let value: String
            if let attached {
                value = attached
            } else {
                guard index < arguments.count else { throw UsageError("Missing value for '\(name) <\(option.valueName!)>'") }
                value = arguments[index]
                index += 1
            }
            if let values = option.values, !values.contains(value) {
                throw UsageError("The value '\(value)' is invalid for '\(name) <\(option.valueName!)>'. Please provide one of '\(values.joined(separator: "', '"))'.")
            }
            parsed.values[option.key, default: []].append(value)
        }
        if let positional = command.positional {
            if parsed.positionals.isEmpty, let fallback = positional.defaultValue { parsed.positionals = [fallback] }
            if positional.required, parsed.positionals.isEmpty { throw UsageError("Missing expected argument '<\(positional.name)>'") }
            if !positional.repeating, parsed.positionals.count > 1 {
                throw UsageError("Unexpected argument '\(parsed.positionals[1])'")
            }
        } else if let extra = parsed.positionals.first {
            throw UsageError("Unexpected argument '\(extra)'")
        }
        return parsed
    }

    // MARK: - Help

    static func usage(_ path: [CommandSpec]) -> String {
        let command = path.last!
        var words = [path.map(\.name).joined(separator: " ")]
        if command.run == nil {
            return (words + ["<subcommand>"]).joined(separator: " ")
        }
        var positional: [String] = []
        if let spec = command.positional {
            let word = "<\(spec.name)>" + (spec.repeating ? " ..." : "")
            positional.append(spec.required ? word : "[\(word)]")
        }
        if command.options.count > 4 {
            words += ["[<options>]"] + positional
        } else {
            words += positional
            for option in command.options {
                words.append("[\(option.names[0])" + (option.valueName.map { " <\($0)>" } ?? "") + "]")
            }
        }
        return words.joined(separator: " ")
    }

    static func help(_ path: [CommandSpec]) -> String {
        let command = path.last!
        var lines = [wrap("OVERVIEW: " + command.abstract)]
        if let discussion = command.discussion { lines += ["", wrap(discussion)] }
        lines += ["", "USAGE: " + usage(path), ""]
        if let positional = command.positional {
            lines.append("ARGUMENTS:")
            lines.append(row("<\(positional.name)>", positional.help + (positional.defaultValue.map { " (default: \($0))" } ?? "")))
            lines.append("")
        }
        lines.append("OPTIONS:")
        for option in command.options {
            var left = option.names.joined(separator: ", ")
            if let value = option.valueName { left += " <\(value)>" }
            var text = option.help
            var notes: [String] = []
            if let values = option.values { notes.append("values: " + values.joined(separator: ", ")) }
            if let value = option.defaultValue { notes.append("default: " + value) }
            if !notes.isEmpty { text += " (" + notes.joined(separator: "; ") + ")" }
            lines.append(row(left, text))
        }
        lines.append(row("-h, --help", "Show help information."))
        if !command.subcommands.isEmpty {
            lines += ["", "SUBCOMMANDS:"]
            for sub in command.subcommands { lines.append(row(sub.name, sub.abstract)) }
            let names = path.map(\.name)
            let helpPath = ([names[0], "help"] + names.dropFirst()).joined(separator: " ")
            lines += ["", "  See '\(helpPath) <subcommand>' for detailed help."]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `text` wrapped at 80 columns.
    static func wrap(_ text: String) -> String {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            if !current.isEmpty && current.count + 1 + word.count > 80 {
                lines.append(current)
                current = String(word)
            } else {
                current += (current.isEmpty ? "" : " ") + word
            }
        }
        lines.append(current)
        return lines.joined(separator: "\n")
    }

    /// `  left   text`, the text wrapped at 80 columns under itself.
    static func row(_ left: String, _ text: String) -> String {
        let indent = 26
        var line = "  " + left
        var out: [String] = []
        if line.count >= indent {
            out.append(line)
            line = String(repeating: " ", count: indent)
        } else {
            line += String(repeating: " ", count: indent - line.count)
        }
        var current = line
        var first = true
        for word in text.split(separator: " ") {
            if !first && current.count + 1 + word.count > 80 {
                out.append(current)
                current = String(repeating: " ", count: indent) + word
            } else {
                current += (first ? "" : " ") + word
            }
            first = false
        }
        out.append(current)
        return out.joined(separator: "\n")
    }

    static func finish(standardOutput text: String) -> Never {
        writeAll(1, text)
        exit(0)
    }
}

/// Writes `text` to standard error.
func writeStandardError(_ text: String) {
    writeAll(2, text)
}

/// Writes all of `text` to `fd`.
func writeAll(_ fd: Int32, _ text: String) {
    var text = text
    text.withUTF8 { bytes in
        var written = 0
        while written < bytes.count {
            let count = write(fd, bytes.baseAddress! + written, bytes.count - written)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            written += count
        }
    }
}

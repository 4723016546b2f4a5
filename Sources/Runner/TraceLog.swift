#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Checker
import IoUring
import Scenario

/// `--trace`: a live log of every SQE, enter, CQE, registration and control step, one line each, written
/// to standard error as it happens.
public final class TraceLog: TraceObserver {
    private let prefix: String
    private let write: (String) -> Void
    /// The `struct __kernel_timespec` each timeout node's SQE points at (`addr`), by graph node.
    private let timespecs: [Int: Timespec]
    /// The base each request node's explicit user_data was written in, when not decimal.
    private let radixes: [Int: Int]
    /// user_data values queued from such nodes, to show their CQEs' user_data the same way.
    private var userDataRadix: [UInt64: Int] = [:]

    /// `prefix` starts every line (the scenario's name when several run at once). With the `scenario`,
    /// timeout SQEs show the timespec their `addr` points at.
    public init(prefix: String = "", scenario: Scenario? = nil, write: @escaping (String) -> Void = writeStandardError) {
        self.prefix = prefix
        self.write = write
        timespecs = scenario.map(TraceLog.timespecs(of:)) ?? [:]
        var radixes: [Int: Int] = [:]
        for (index, node) in (scenario?.graph.nodes ?? []).enumerated() {
            if case .request(let request) = node.kind, request.userData.radix != 10 { radixes[index] = request.userData.radix }
        }
        self.radixes = radixes
    }

    public func observe(_ event: TraceEvent) {
        var radix = 10
        switch event {
        case .queued(let request):
            if let written = radixes[request.node] {
                radix = written
                userDataRadix[request.userData] = written
            }
        case .completed(let observed):
            radix = userDataRadix[observed.cqe.userData] ?? 10
        default:
            break
        }
        var line = TraceLog.line(for: event, userDataRadix: radix)
        if case .queued(let request) = event, let timespec = timespecs[request.node] {
            line += " ts={tv_sec=\(timespec.seconds), tv_nsec=\(timespec.nanoseconds)}"
        }
        write(prefix + line)
    }

    /// `user_data` as the scenario wrote it: `0x2a` for hexadecimal, `42` for decimal.
    static func userDataText(_ value: UInt64, radix: Int) -> String {
        switch radix {
        case 16: return "0x" + String(value, radix: 16)
        case 8: return "0o" + String(value, radix: 8)
        case 2: return "0b" + String(value, radix: 2)
        default: return String(value)
        }
    }

    /// The timespec of every request node with a duration `after` (timeout, link_timeout, timeout_update).
    static func timespecs(of scenario: Scenario) -> [Int: Timespec] {
        var found: [Int: Timespec] = [:]
        for (index, node) in scenario.graph.nodes.enumerated() {
            guard case .request(let request) = node.kind, let nanoseconds = request.arguments.duration("after") else { continue }
            found[index] = Timespec(.nanoseconds(nanoseconds))
        }
        return found
    }

    /// One line for one event.
    public static func line(for event: TraceEvent, userDataRadix radix: Int = 10) -> String {
        switch event {
        case .queued(let request):
            let sqe = request.sqe
            let op = Opcode(rawValue: sqe.opcode).map { $0.kernelName } ?? "opcode \(sqe.opcode)"
            let who = request.id.map { "\($0) " } ?? ""
            var line = "\(stamp(request.elapsed)) SQE \(who)user_data=\(userDataText(request.userData, radix: radix)) \(op)"
            // The offset is a signed loff_t for the kernel: -1 means "the file position".
            line += " flags=\(sqeFlagNames(sqe.flags)) fd=\(sqe.fd) off=\(Int64(bitPattern: sqe.off)) addr=0x\(String(sqe.addr, radix: 16))"
            line += " len=\(sqe.len) op_flags=0x\(String(sqe.opFlags, radix: 16)) ioprio=\(sqe.ioprio)"
            line += " buf_index=\(sqe.bufIndex) personality=\(sqe.personality) file_index=\(sqe.spliceFDIn) addr3=0x\(String(sqe.addr3, radix: 16))"
            return line
        case .entered(let call):
            let result = call.result < 0 ? "-" + Errno(rawValue: -call.result).name : String(call.result)
            let flags = EnterFlags.named.filter { call.flags.contains($0.flag) }.map(\.name).joined(separator: "|")
            return "\(stamp(call.elapsed)) ENTER to_submit=\(call.toSubmit) min_complete=\(call.minComplete) flags=\(flags.isEmpty ? "0" : flags) -> \(result)"
        case .completed(let observed):
            let cqe = observed.cqe
            return "\(stamp(observed.elapsed)) CQE #\(observed.arrival) user_data=\(userDataText(cqe.userData, radix: radix)) res=\(describeResult(cqe.res)) flags=\(describeFlags(cqe.flags.rawValue))"
        case .registered(let outcome):
            let what = outcome.isSubmit ? "SUBMITTED" : "REGISTER"
            return "\(stamp(outcome.elapsed)) \(what) step \(outcome.node)\(iterationText(outcome.iterations)) -> \(describeResult(outcome.result))"
        case .controlled(let node, let iterations, let summary, let elapsed):
            return "\(stamp(elapsed)) STEP \(node)\(iterationText(iterations)) \(summary)"
        case .teardown(let deadlineExpired, let elapsed):
            return "\(stamp(elapsed)) TEARDOWN\(deadlineExpired ? " (deadline expired: cancelling what is in flight)" : "")"
        }
    }

    static func stamp(_ elapsed: Duration) -> String {
        let microseconds = Int((elapsed.seconds * 1e6).rounded())
        let text = String(microseconds)
        return "[" + String(repeating: " ", count: max(0, 9 - text.count)) + text + " µs]"
    }

    static func iterationText(_ iterations: [Int]) -> String {
        iterations.isEmpty ? "" : "[" + iterations.map(String.init).joined(separator: ",") + "]"
    }

    /// IOSQE_* names joined by `|`; bits no name covers as hex (`LINK|0x80`); `0` for none.
    static func sqeFlagNames(_ flags: UInt8) -> String {
        let named = SubmissionFlags.named.filter { SubmissionFlags(rawValue: flags).contains($0.flag) }
        var names = named.map(\.name)
        let unknown = flags & ~named.reduce(0) { $0 | $1.flag.rawValue }
        if unknown != 0 { names.append("0x" + String(unknown, radix: 16)) }
        return names.isEmpty ? "0" : names.joined(separator: "|")
    }

}

/// Writes `line` and a newline to standard error, unbuffered.
public func writeStandardError(_ line: String) {
    writeAll(fd: 2, line + "\n")
}

/// Writes all of `text` to `fd`, retrying short and interrupted writes; a failure is dropped (for
/// standard error, where nothing better can be done).
public func writeAll(fd: Int32, _ text: String) {
    _ = writeAllChecked(fd: fd, text)
}

/// Writes all of `text` to `fd`, retrying short and interrupted writes; returns the errno of the
/// write(2) that failed, or nil.
public func writeAllChecked(fd: Int32, _ text: String) -> Errno? {
    let bytes = Array(text.utf8)
    let (written, error) = System.writeAll(fd, bytes)
    return written == bytes.count ? nil : error ?? .EIO
}

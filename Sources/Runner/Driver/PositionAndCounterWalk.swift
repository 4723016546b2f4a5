#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Checker
import IoUring
import Scenario

extension RunDriver {
    /// Runs a `check_eventfd`, `lseek` or `check_position` step (after submitting what is queued) and
    /// returns its summary for the trace. What differs from the step is a mismatch located at the step,
    /// once per step however often a repeat block runs it.
    mutating func performPositionOrCounter(_ action: ControlAction, _ instance: StepInstance) throws(RunnerError) -> String {
        let mark = scenario.graph.nodes[instance.node].mark
        let iteration = instance.iterations.isEmpty ? "" : " (iteration \(instance.iterations.map(String.init).joined(separator: ", ")))"
        switch action {
        case .checkEventfd(let operand, let expected):
            let fd = try outsideDescriptor(operand, at: instance)
            let (value, failure) = RunDriver.readEventfdCounter(fd)
            let actual = failure.map { "read(2): \($0.name)" } ?? "counter \(value)"
            if failure != nil || value != expected {
                addStepMismatch(mark: mark, subject: "check_eventfd \(operand)", expected: "counter \(expected)", actual: actual + iteration)
            }
            return "check_eventfd \(operand): \(actual)"
        case .seek(let operand, let offset, let whence):
            let fd = try outsideDescriptor(operand, at: instance)
            let result = lseek(fd, off_t(offset), Int32(truncatingIfNeeded: whence.value))
            if result < 0 {
                let error = System.errno
                addStepMismatch(mark: mark, subject: "lseek \(operand)", expected: "lseek(\(offset), \(whence)) to succeed",
                                actual: "\(error.name) (\(error.message))" + iteration)
                return "lseek \(operand) \(offset) \(whence): \(error.name)"
            }
            return "lseek \(operand) \(offset) \(whence): position \(result)"
        case .checkPosition(let operand, let expected):
            let fd = try outsideDescriptor(operand, at: instance)
            let result = lseek(fd, 0, SEEK_CUR)
            let actual = result < 0 ? "lseek(0, SEEK_CUR): \(System.errno.name)" : "position \(result)"
            if result < 0 || UInt64(result) != expected {
                addStepMismatch(mark: mark, subject: "check_position \(operand)", expected: "position \(expected)", actual: actual + iteration)
            }
            return "check_position \(operand): \(actual)"
        default:
            return ""
        }
    }

    /// The eventfd's counter, read(2) without waiting: 0 (and nothing read) when it is 0.
    static func readEventfdCounter(_ fd: Int32) -> (value: UInt64, failure: Errno?) {
        guard System.waitFor(fd, events: Int16(POLLIN), until: ContinuousClock.now) else { return (0, nil) }
        var bytes = [UInt8](repeating: 0, count: 8)
        var count: Int
        repeat {
            count = System.read(fd, into: &bytes)
        } while count < 0 && System.errno == .EINTR
        if count < 0 { return (0, System.errno) }
        guard count == 8 else { return (0, .EIO) }
        // The counter in host byte order (little-endian on x86-64 and arm64).
        return (bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) }, nil)
    }

    /// The descriptor a step outside the ring works on; registered slots are the ring's only.
    private func outsideDescriptor(_ operand: FileOperand, at instance: StepInstance) throws(RunnerError) -> Int32 {
        switch try resources.file(operand, at: instance) {
        case .descriptor(let fd): return fd
        case .fixed(let slot): throw .unsupported("\(operand): a step outside the ring works on descriptors, not on registered slot \(slot)")
        }
    }

    /// Records a mismatch of a step, the first time only.
    mutating func addStepMismatch(mark: SourceMark, subject: String, expected: String, actual: String) {
        guard !runnerMismatches.contains(where: { $0.mark == mark && $0.subject == subject }) else { return }
        runnerMismatches.append(Mismatch(mark: mark, subject: subject, expected: expected, actual: actual))
    }
}

extension RunDriver {
    /// `replenish_buffers` with `ids`: buffers `first ..< first + count` go back to their buffer ring under
    /// the ids `newIDs`, which the kernel's CQEs carry from then on.
    mutating func replenishBuffers(_ reference: BufferGroupReference, first: UInt16, count: UInt16,
                                   as newIDs: [UInt16]) throws(RunnerError) -> String {
        let ids = (0..<count).map { first &+ $0 }
        guard let group = BufferGroup(existing: ring, groupID: reference.group) else {
            throw .engine(.invalidArgument("group \(reference.group) has no buffer ring on this ring (a legacy group is refilled with provide_buffers)"))
        }
        var slots: [Int] = []
        for id in ids { if let slot = group.slot(ring, bufferID: id) { slots.append(slot) } }
        do {
            try group.replenish(&ring, bufferIDs: ids, as: newIDs)
        } catch {
            throw .engine(error)
        }
        if let state = bufferDataByGroup[reference.group] {
            for slot in slots where slot < state.heads.count { state.heads[slot] = 0 }
        }
        return "replenish_buffers \(ids.map(String.init).joined(separator: ", ")) of group \(reference.group) as \(newIDs.map(String.init).joined(separator: ", "))"
    }
}

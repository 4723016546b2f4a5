import IoUring
import Scenario

/// Performs a registration step (`io_uring_register(2)`) through the engine.
///
/// The result convention: `perform` returns what the kernel returned — 0 (or the count of updated slots
/// for IORING_REGISTER_FILES_UPDATE) on success, `-errno` when the kernel refused. A refusal is a result
/// the checker compares with the step's expectation, never a thrown error. `probe` is the one step the
/// kernel cannot refuse by itself: it returns 0 when every listed op is as listed, and
/// `-EOPNOTSUPP` (`probeMismatchResult`) otherwise; `probeMismatch(_:probe:)` says which ops differ, for
/// the report.
public enum RegistrationIssuer {
    /// The result of a `probe` step whose lists do not match the kernel: -EOPNOTSUPP.
    public static let probeMismatchResult: Int32 = -Errno.EOPNOTSUPP.rawValue

    /// Makes the call of `step` and returns the kernel's result: ≥ 0 on success, `-errno` when the
    /// kernel refused. Throws only for what the runner itself cannot do (an operand it cannot resolve,
    /// an engine refusal before the kernel is asked).
    public static func perform(_ step: RegistrationStep, instance: StepInstance, resolver: some OperandResolver,
                               ring: inout IoUring) throws(RunnerError) -> Int32 {
        do {
            return try call(step.registration, instance: instance, resolver: resolver, ring: &ring)
        } catch let error as RunnerError {
            throw error
        } catch let error as IoUringError {
            if case .syscall(.register, let errno) = error { return -errno.rawValue }
            throw .engine(error)
        } catch {
            throw .unsupported("\(step.registration.kernelName): \(error)")
        }
    }

    private static func call(_ registration: Registration, instance: StepInstance, resolver: some OperandResolver,
                             ring: inout IoUring) throws -> Int32 {
        switch registration {
        case .files(let files):
            try ring.registerFiles(try descriptors(files, registration, instance, resolver))
            return 0
        case .sparseFiles(let count):
            try ring.registerFilesSparse(count: count)
            return 0
        case .filesUpdate(let offset, let files):
            let updated = try ring.registerFilesUpdate(offset: offset, fds: try descriptors(files, registration, instance, resolver))
            return Int32(clamping: updated)
        case .fileAllocRange(let offset, let count):
            try ring.registerFileAllocRange(offset: offset, count: count)
            return 0
        case .unregisterFiles:
            try ring.unregisterFiles()
            return 0
        case .buffers(let names):
            var regions: [any BufferRegion] = []
            for name in names { regions.append(try resolver.buffer(.resource(name: name, offset: 0), length: nil)) }
            try ring.registerBuffers(regions)
            return 0
        case .unregisterBuffers:
            try ring.unregisterBuffers()
            return 0
        case .eventfd(let operand, let async):
            guard case .descriptor(let fd) = try resolver.file(operand, at: instance) else {
                throw RunnerError.unsupported("\(registration.kernelName): the eventfd '\(operand)' is a registered slot, not a descriptor")
            }
            if async { try ring.registerEventfdAsync(fd) } else { try ring.registerEventfd(fd) }
            return 0
        case .unregisterEventfd:
            try ring.unregisterEventfd()
            return 0
        case .napi(let nanoseconds, let preferBusyPoll):
            try ring.registerNapi(NapiSettings(busyPollTimeout: microseconds(nanoseconds), preferBusyPoll: preferBusyPoll))
            return 0
        case .unregisterNAPI:
            try ring.unregisterNapi()
            return 0
        case .bufferRing(let spec):
            // Registers the ring and fills it: buffer i (of `size` bytes) under id i.
            guard let entries = UInt16(exactly: spec.entries) else {
                throw RunnerError.unsupported("\(registration.kernelName): \(spec.entries) entries is more than a buffer ring has (32768)")
            }
            _ = try BufferGroup(&ring, groupID: spec.group, bufferSize: Int(spec.size), count: entries,
                                incremental: spec.incremental)
            return 0
        case .unregisterBufferRing(let group):
            try ring.unregisterBufferRing(groupID: group)
            return 0
        case .enableRings:
            try ring.enableRings()
            return 0
        case .probe(let supported, let unsupported):
            let probe = try ring.probe()
            return probeMismatch(supported: supported, unsupported: unsupported, probe: probe) == nil ? 0 : probeMismatchResult
        }
    }

    /// The descriptors of a file list (`.empty` is -1, an empty slot).
    private static func descriptors(_ files: [FileOperand], _ registration: Registration, _ instance: StepInstance,
                                    _ resolver: some OperandResolver) throws(RunnerError) -> [Int32] {
        var fds: [Int32] = []
        fds.reserveCapacity(files.count)
        for file in files {
            if file == .empty {
                fds.append(-1)
                continue
            }
            switch try resolver.file(file, at: instance) {
            case .descriptor(let fd): fds.append(fd)
            case .fixed(let slot):
                throw .unsupported("\(registration.kernelName): '\(file)' is registered slot \(slot); a file table takes descriptors")
            }
        }
        return fds
    }

    /// A NAPI busy-poll timeout in whole microseconds (`busy_poll_to`), rounded up so that a non-zero
    /// duration never turns busy polling off.
    static func microseconds(_ nanoseconds: Int64) -> UInt32 {
        guard nanoseconds > 0 else { return 0 }
        return UInt32(clamping: (nanoseconds + 999) / 1000)
    }

    /// Why a probe step's lists do not match `probe` (`IORING_OP_X is not supported; IORING_OP_Y is
    /// supported`), or nil when they match.
    public static func probeMismatch(supported: [Opcode], unsupported: [Opcode], probe: Probe) -> String? {
        var parts: [String] = []
        let missing = supported.filter { !probe.supports($0) }
        let present = unsupported.filter { probe.supports($0) }
        if !missing.isEmpty {
            parts.append(missing.map(\.kernelName).joined(separator: ", ") + (missing.count == 1 ? " is" : " are") + " not supported")
        }
        if !present.isEmpty {
            parts.append(present.map(\.kernelName).joined(separator: ", ") + (present.count == 1 ? " is" : " are") + " supported")
        }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    /// `probeMismatch` for a probe step (nil for other registrations, and for probes that match).
    public static func probeMismatch(_ step: RegistrationStep, probe: Probe) -> String? {
        guard case .probe(let supported, let unsupported) = step.registration else { return nil }
        return probeMismatch(supported: supported, unsupported: unsupported, probe: probe)
    }
}

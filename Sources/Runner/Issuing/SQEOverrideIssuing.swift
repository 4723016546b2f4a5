import IoUring
import Scenario

extension OperationIssuer {
    /// Sets the `sqe:` fields of a step on the SQE its op just queued. The op's own memory stays retained
    /// whatever the fields now say; a buffer named in `addr` is retained with it. A `len` override of an op
    /// whose `len` counts memory (SQEOverrides.memoryLengthOps) may only shrink it: more would let the
    /// kernel read or write past what the op allocated.
    static func applyOverrides(_ overrides: SQEOverrides, _ op: Issue, _ ring: inout IoUring) throws(RunnerError) {
        var fileReference: FileReference?
        if let operand = overrides.fd {
            if case .descriptor(let number) = operand {
                fileReference = .descriptor(number)
            } else if case .slot(let slot) = operand {
                fileReference = .fixed(slot)  // any slot: out-of-table ones on purpose
            } else {
                fileReference = try op.resolver.file(operand, at: op.instance)
            }
        }
        var keepAlive: [KernelMemory] = []
        var address: UInt64?
        switch overrides.address {
        case .addressField(let operand?, _)?:
            let region = try op.resolver.buffer(operand, length: nil)
            address = region.kernelAddress
            keepAlive = [region.buffer]
        case .addressField(nil, let number)?:
            address = number
        default:
            break
        }
        if let len = overrides.len, SQEOverrides.memoryLengthOps.contains(op.spec.operation),
           let queued = ring.lastQueuedSQE(), len > queued.len {
            throw .unsupported("'\(op.spec.operation)': the 'sqe' override 'len' \(len) is more than the \(queued.len) the op's memory holds; the kernel would go past it (give the op a bigger buffer, or a smaller 'len')")
        }
        do {
            try ring.amendLastQueuedSQE(keepAlive: keepAlive) { sqe in
                if let ioprio = overrides.ioprio { sqe.ioprio = ioprio }
                if let opFlags = overrides.opFlags { sqe.opFlags = opFlags }
                if let len = overrides.len { sqe.len = len }
                if let address { sqe.addr = address }
                if let bufIndex = overrides.bufIndex { sqe.bufIndex = bufIndex }
                if let personality = overrides.personality { sqe.personality = personality }
                if let spliceFDIn = overrides.spliceFDIn { sqe.spliceFDIn = spliceFDIn }
                if let addr3 = overrides.addr3 { sqe.addr3 = addr3 }
                if let fileReference { sqe.setFile(fileReference) }
                sqe.flags |= overrides.sqeFlags
            }
        } catch {
            throw .engine(error)
        }
    }
}

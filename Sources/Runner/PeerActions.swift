#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IoUring
import Scenario

extension RunResources {
    /// Performs a peer action from outside the ring and returns what happened, for the trace. A failure
    /// of the action itself (EPIPE writing to a closed pipe…) is reported in the summary, not thrown:
    /// provoking such states is what scenarios do. Nothing blocks past `deadline`.
    func peerAction(_ step: ControlStep, at instance: StepInstance, node: NodeID,
                    until deadline: ContinuousClock.Instant) throws(RunnerError) -> String {
        switch step.action {
        case .peerWrite(let operand, let bytes):
            let fd = try peerDescriptor(operand, at: instance)
            let (written, error) = System.peerWrite(fd, bytes, until: deadline)
            return "peer_write \(operand): \(written) of \(bytes.count) bytes" + describe(error)
        case .peerRead(let operand, let length):
            // What is there now, without waiting: a peer that blocks would stall the scenario until its
            // deadline. A scenario that needs data first waits for the request that sends it.
            let fd = try peerDescriptor(operand, at: instance)
            guard System.waitFor(fd, events: Int16(POLLIN), until: ContinuousClock.now) else {
                return "peer_read \(operand): nothing to read"
            }
            var buffer = [UInt8](repeating: 0, count: Int(min(length, 1 << 20)))
            var count: Int
            repeat {
                count = System.read(fd, into: &buffer)
            } while count < 0 && System.errno == .EINTR
            if count < 0 { return "peer_read \(operand): " + System.errno.name }
            return "peer_read \(operand): \(count) byte\(count == 1 ? "" : "s")"
        case .peerClose(let operand):
            if case .descriptor(let fd) = operand {
                throw .unsupported("peer_close of the bare descriptor \(fd) could close one of ringscript's own; name a resource or a capture")
            }
            let fd = try peerDescriptor(operand, at: instance)
            let result = close(fd)
            let error = result < 0 ? System.errno : nil
            markClosed(operand)
            return "peer_close \(operand)" + describe(error)
        case .peerShutdown(let operand, let how):
            let fd = try peerDescriptor(operand, at: instance)
            let result = shutdown(fd, Int32(truncatingIfNeeded: how.value))
            return "peer_shutdown \(operand) \(how)" + describe(result < 0 ? System.errno : nil)
        case .peerConnect(let listener, let count):
            guard let address = handles[listener.name]?.address else {
                throw .unsupported("'\(listener)' is not a listener with an address")
            }
            var last: Int32 = -1
            for _ in 0..<max(count, 0) {
                let fd = try System.socket(family: address.family, type: System.SOCK_STREAM, nonblocking: true)
                addPeerSocket(fd)
                try System.connect(fd, address, until: deadline)
                try System.setNonblocking(fd, false)
                last = fd
            }
            if step.capture != nil { captures[node] = Int64(last) }
            return "peer_connect \(count) client\(count == 1 ? "" : "s") to \(listener) (\(address))"
        case .peerSend(let target, let bytes):
            let address = try self.address(target, at: instance)
            let fd = try System.socket(family: address.family, type: System.SOCK_DGRAM)
            defer { close(fd) }
            let sent = try System.send(fd, bytes, to: address, flags: Int32(MSG_NOSIGNAL))
            let error = sent < 0 ? System.errno : nil
            return "peer_send \(max(sent, 0)) of \(bytes.count) bytes to \(address)" + describe(error)
        case .peerSignal(let operand, let value):
            let fd = try peerDescriptor(operand, at: instance)
            let (written, error) = System.peerWrite(fd, System.bytes(of: value), until: deadline)
            return "peer_signal \(operand) +\(value)" + describe(written == 8 ? nil : error ?? .EIO)
        case .submit, .wait, .sleep, .replenishBuffers, .ring, .replenishBuffersAs, .checkEventfd, .seek, .checkPosition:
            return ""
        }
    }

    /// The descriptor a peer action works on; registered slots are the ring's, not the peer's.
    private func peerDescriptor(_ operand: FileOperand, at instance: StepInstance) throws(RunnerError) -> Int32 {
        switch try file(operand, at: instance) {
        case .descriptor(let fd): return fd
        case .fixed(let slot): throw .unsupported("a peer acts on descriptors, not on registered slot \(slot)")
        }
    }

    private func describe(_ error: Errno?) -> String {
        error.map { ": \($0.name) (\($0.message))" } ?? ""
    }
}

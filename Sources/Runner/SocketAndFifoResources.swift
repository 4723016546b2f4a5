#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Scenario

extension RunResources {
    /// socket(2) of the scenario's domain, type and protocol, close-on-exec, neither bound nor connected.
    func openUnboundSocket(_ spec: UnboundSocketResource) throws(RunnerError) -> Int32 {
        let type = Int32(truncatingIfNeeded: spec.type.value) | System.SOCK_CLOEXEC | (spec.nonblocking ? System.SOCK_NONBLOCK : 0)
        let fd = socket(Int32(truncatingIfNeeded: spec.domain.value), type, Int32(truncatingIfNeeded: spec.proto.value))
        return try System.check(fd, "socket(\(spec.domain), \(spec.type), \(spec.proto))")
    }

    /// mkfifo(3) in the sandbox, then both ends, neither open waiting for the other: the read end first
    /// with O_NONBLOCK (a FIFO opened for reading so does not wait for a writer), then the write end (a
    /// reader exists now, so it does not wait or fail with ENXIO). O_NONBLOCK is then cleared on both
    /// unless the scenario asks to keep it.
    func makeFifo(_ spec: FifoResource) throws(RunnerError) -> (read: Int32, write: Int32) {
        let path = sandbox.resolve(spec.path)
        try System.makeParents(of: path)
        try System.check(mkfifo(path, mode_t(spec.mode)), "mkfifo(\(spec.path), 0o\(String(spec.mode, radix: 8)))")
        let read = try System.check(open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), "open(\(spec.path), O_RDONLY|O_NONBLOCK)")
        let write = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        guard write >= 0 else {
            let error = System.errno
            close(read)
            throw .system("open(\(spec.path), O_WRONLY|O_NONBLOCK)", error)
        }
        if !spec.nonblocking {
            do {
                try System.setNonblocking(read, false)
                try System.setNonblocking(write, false)
            } catch {
                close(read)
                close(write)
                throw error
            }
        }
        return (read, write)
    }
}

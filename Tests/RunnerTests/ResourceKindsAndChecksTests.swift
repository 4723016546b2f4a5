#if canImport(Glibc)
import Glibc
#endif
import Checker
import Scenario
import Testing
@testable import Runner

/// `unbound_socket` and `fifo` resources, and the `check_eventfd`, `lseek` and `check_position` steps,
/// on the real kernel.
@Suite struct UnboundSocketResourceTests {
    @Test func anUnboundSocketIsBoundListensAndAcceptsThroughTheRing() throws {
        let outcome = try reportedOutcome("""
            name: unbound
            requires: { ops: [bind, listen, accept, connect], kernel: "6.11" }
            resources:
              server: { unbound_socket: { domain: AF_INET, type: SOCK_STREAM } }
              client: { unbound_socket: { domain: AF_INET, type: SOCK_STREAM } }
            steps:
              - bind: { fd: server, address: "127.0.0.1:0" }
                id: bound
                link: true
              - listen: { fd: server, backlog: 2 }
                id: listening
              - wait: [listening]
              - accept: { fd: server }
                id: accepted
              - connect: { fd: client, address: server }
                id: connected
            expect: { bound: 0, listening: 0, accepted: ">= 0", connected: 0 }
            """)
        #expect(outcome.verdict == .pass, "\(outcome.mismatches) \(outcome.reason ?? "")")
    }

    @Test func anUnboundSocketIsNotBound() throws {
        // A socket the runner had bound would refuse a second bind with -EINVAL.
        let outcome = try reportedOutcome("""
            name: really unbound
            requires: { ops: [bind], kernel: "6.11" }
            resources:
              s: { unbound_socket: { domain: AF_INET, type: SOCK_DGRAM } }
            steps:
              - bind: { fd: s, address: "127.0.0.1:0" }
                id: first
              - wait: [first]
              - bind: { fd: s, address: "127.0.0.1:0" }
                id: again
            expect: { first: 0, again: -EINVAL }
            """)
        #expect(outcome.verdict == .pass, "\(outcome.mismatches) \(outcome.reason ?? "")")
    }

    @Test func aDomainBeyondLoopbackAndANonLoopbackBindAreRefusedWhereWritten() {
        let errors = loadErrors("""
            name: outside
            resources:
              s: { unbound_socket: { domain: AF_PACKET, type: SOCK_RAW } }
              t: { unbound_socket: { domain: AF_INET, type: SOCK_STREAM } }
            steps:
              - bind: { fd: t, address: "10.1.2.3:0" }
            """)
        #expect(errors.contains { $0.hasPrefix("3:34: socket domain 17 can reach beyond loopback") }, "\(errors)")
        #expect(errors.contains { $0.hasPrefix("6:29: address 10.1.2.3:0 is not loopback") }, "\(errors)")
    }

    @Test func domainAndTypeAreRequired() {
        let errors = loadErrors("""
            name: missing
            resources:
              s: { unbound_socket: { domain: AF_INET } }
            steps:
              - nop: {}
            """)
        #expect(errors.contains { $0.hasPrefix("3:24: unbound_socket 's' needs 'domain'") }, "\(errors)")
    }
}

@Suite struct FifoResourceTests {
    @Test func aReadOnTheBlockingReadEndWaitsForTheWriteThenSeesEOF() throws {
        let outcome = try reportedOutcome("""
            name: fifo
            requires: { ops: [read, write] }
            resources:
              f: { fifo: {} }
              buf: { buffer: { size: 5 } }
              rest: { buffer: { size: 5 } }
            steps:
              - read: { fd: f.read, buf: buf }
                id: waiting
              - sleep: 20ms
              - write: { fd: f.write, data: "hello" }
                id: w
              - wait: [w, waiting]
              - peer_close: f.write
              - read: { fd: f.read, buf: rest }
                id: eof
            expect:
              waiting: 5
              w: 5
              eof: 0
              order: [w, waiting]
              buffers: { buf: { equals: "hello" } }
            """)
        #expect(outcome.verdict == .pass, "\(outcome.mismatches) \(outcome.reason ?? "")")
    }

    @Test func theEndsAreAFifoOpenedReadAndWriteWithONonblockOnlyWhenAsked() throws {
        var checked = false
        let result = try execute("""
            name: fifo ends
            resources:
              f:  { fifo: {} }
              nb: { fifo: { path: sub/nb, mode: 0o640, nonblocking: true } }
              s:  { unbound_socket: { domain: AF_INET6, type: SOCK_DGRAM, protocol: IPPROTO_UDP } }
            steps:
              - nop: {}
                id: n
            expect: { n: 0 }
            """, observer: RecordingObserver()) { execution in
            execution.inspectResources = { resources in
                checked = true
                func fd(_ name: String, _ end: Endpoint? = nil) -> Int32 {
                    (try? resources.descriptor(of: ResourceReference(name: name, endpoint: end))) ?? -1
                }
                var status = stat()
                #expect(lstat(resources.sandbox.resolve("f"), &status) == 0 && status.st_mode & S_IFMT == S_IFIFO)
                #expect(lstat(resources.sandbox.resolve("sub/nb"), &status) == 0 && status.st_mode & 0o777 == 0o640)
                #expect(fcntl(fd("f", .read), F_GETFL) & O_ACCMODE == O_RDONLY)
                #expect(fcntl(fd("f", .write), F_GETFL) & O_ACCMODE == O_WRONLY)
                #expect(fcntl(fd("f", .read), F_GETFL) & O_NONBLOCK == 0)
                #expect(fcntl(fd("f", .write), F_GETFL) & O_NONBLOCK == 0)
                #expect(fcntl(fd("nb", .read), F_GETFL) & O_NONBLOCK != 0)
                #expect(fcntl(fd("nb", .write), F_GETFL) & O_NONBLOCK != 0)
                #expect(fcntl(fd("f", .read), F_GETFD) & FD_CLOEXEC != 0)
                // The socket: the declared domain, type and protocol, and no address yet (port 0).
                var value: Int32 = 0
                var length = socklen_t(4)
                getsockopt(fd("s"), SOL_SOCKET, SO_DOMAIN, &value, &length)
                #expect(value == AF_INET6)
                getsockopt(fd("s"), SOL_SOCKET, SO_PROTOCOL, &value, &length)
                #expect(value == Int32(IPPROTO_UDP))
                var address = sockaddr_in6()
                var size = socklen_t(MemoryLayout<sockaddr_in6>.size)
                _ = withUnsafeMutablePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd("s"), $0, &size) }
                }
                #expect(address.sin6_port == 0)
            }
        }
        #expect(checked)
        #expect(result.error == nil)
    }

    @Test func aFifoHasOnlyItsTwoEnds() {
        let errors = loadErrors("""
            name: fifo end
            resources:
              f: { fifo: { mode: 0o600 } }
              buf: { buffer: { size: 5 } }
            steps:
              - read: { fd: f, buf: buf }
            """)
        #expect(!errors.isEmpty)
        #expect(errors.contains { $0.contains("f.read") || $0.contains("'read'") }, "\(errors)")
    }
}

@Suite struct PositionAndCounterStepTests {
    @Test func aWrongEventfdCounterFailsAtTheStepWithBothValues() throws {
        let outcome = try reportedOutcome("""
            name: eventfd counter
            resources:
              efd: { eventfd: {} }
            steps:
              - register_eventfd: { eventfd: efd }
              - nop: {}
                id: n
              - wait: [n]
              - check_eventfd: { eventfd: efd, value: 3 }
            expect: { n: 0 }
            """)
        #expect(outcome.verdict == .fail)
        let mismatch = try #require(outcome.mismatches.first)
        #expect(mismatch.subject == "check_eventfd efd")
        #expect(mismatch.expected == "counter 3")
        #expect(mismatch.actual == "counter 1")
        #expect(mismatch.mark.line == 9)
    }

    @Test func anEventfdNobodySignalledReadsZero() throws {
        let outcome = try reportedOutcome("""
            name: eventfd zero
            resources:
              efd: { eventfd: { flags: EFD_SEMAPHORE } }
            steps:
              - check_eventfd: { eventfd: efd, value: 0 }
              - peer_signal: { eventfd: efd, value: 2 }
              - check_eventfd: { eventfd: efd, value: 1 }
              - check_eventfd: { eventfd: efd, value: 1 }
              - check_eventfd: { eventfd: efd, value: 0 }
            """)
        #expect(outcome.verdict == .pass, "\(outcome.mismatches) \(outcome.reason ?? "")")
    }

    @Test func aWrongPositionFailsAtTheStep() throws {
        let outcome = try reportedOutcome("""
            name: position
            requires: { ops: [read], features: [rw_cur_pos] }
            resources:
              f: { file: { content: "hello world" } }
              buf: { buffer: { size: 4 } }
            steps:
              - lseek: { fd: f, offset: 2 }
              - read: { fd: f, buf: buf, offset: -1 }
                id: r
              - wait: [r]
              - check_position: { fd: f, offset: 4 }
            expect: { r: 4, buffers: { buf: { equals: "llo " } } }
            """)
        #expect(outcome.verdict == .fail)
        let mismatch = try #require(outcome.mismatches.first)
        #expect(mismatch.subject == "check_position f")
        #expect(mismatch.expected == "position 4")
        #expect(mismatch.actual == "position 6")
        #expect(mismatch.mark.line == 11)
    }

    @Test func seekingAPipeIsAMismatchNamingTheErrno() throws {
        let outcome = try reportedOutcome("""
            name: seek a pipe
            resources:
              p: { pipe: {} }
            steps:
              - lseek: { fd: p.read, offset: 0, whence: SEEK_CUR }
              - nop: {}
                id: n
            expect: { n: 0 }
            """)
        #expect(outcome.verdict == .fail)
        let mismatch = try #require(outcome.mismatches.first)
        #expect(mismatch.subject == "lseek p.read")
        #expect(mismatch.actual.hasPrefix("ESPIPE"))
    }

    @Test func aCheckInARepeatBlockFailsOnceNamingTheIteration() throws {
        let outcome = try reportedOutcome("""
            name: position in a loop
            requires: { ops: [write], features: [rw_cur_pos] }
            resources:
              f: { file: {} }
            steps:
              - repeat: 3
                steps:
                  - write: { fd: f, data: "ab", offset: -1 }
                    id: w{i}
                  - wait: ["w{i}"]
                  - check_position: { fd: f, offset: 2 }
            """)
        #expect(outcome.verdict == .fail)
        #expect(outcome.mismatches.count == 1)
        #expect(outcome.mismatches.first?.actual == "position 4 (iteration 1)")
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Checker
import IoUring
import Planner
import Scenario

/// Fast paths: requests queued from SQE templates, and runs of dense requests (and whole repeat
/// iterations of them) queued in bulk, the checker told once per batch. What they buy (bench/run.sh,
/// stop 9): "scenario nops (repeat)" at 83.1 ns/op, batch 32, and 70.6 at batch 128 (1.12 and 1.05 of the
/// engine's nop loop); "randread scenario" at 1,048,605 IOPS (0.99 of liburing C). Off with
/// RINGSCRIPT_NO_FAST_PATHS=1 (`FastPaths`); FastPathEquivalenceTests runs the corpus both ways.
extension RunDriver {
    /// Ops whose SQE a template can stand for, when the step's operands allow it (no paths, no references
    /// to other requests) and the first SQE used no arena memory: they create nothing per request.
    static let templatableOperations: Set<String> = [
        "nop", "read", "write", "readv", "writev", "read_fixed", "write_fixed", "fsync", "sync_file_range",
        "fallocate", "fadvise", "ftruncate", "splice", "tee", "send", "recv", "shutdown", "read_multishot",
    ]

    /// Whether a template may stand for `spec`'s SQEs (see `templatableOperations`).
    static func templatable(_ spec: RequestSpec) -> Bool {
        guard templatableOperations.contains(spec.operation), !spec.isMultishot || spec.operation == "read_multishot" else {
            return false
        }
        for argument in spec.arguments {
            switch argument.value {
            case .request, .requests, .text, .process, .addressField: return false
            case .randomOffset:
                guard ["offset", "in_offset", "out_offset"].contains(argument.name) else { return false }
            default: break
            }
        }
        return true
    }

    /// Marks the dense requests (`NodeInfo.dense`) and the runs of them queued together (`runLength`).
    mutating func findRuns() {
        let graph = scenario.graph
        for node in info.indices where info[node].kind == .request {
            let facts = info[node]
            info[node].dense = core.isDense(node) && facts.uniqueUserData && !facts.rendersID && !facts.capturesValue
                && !facts.isPollUpdate && !facts.skipSuccess && facts.awaitMode == 1 && !producesDescriptor[node]
                && !followsMoreFlag[node] && !readsBufferData
            hasDense = hasDense || info[node].dense
        }
        guard hasDense else { return }
        for node in info.indices.reversed() {
            guard info[node].dense, info[node].templatable, plan.steps[node].chain == nil else { continue }
            var length: Int32 = 1
            let next = node + 1
            if next < graph.nodes.count, info[next].runLength > 0, graph.nodes[next].block == graph.nodes[node].block,
               info[next].userDataBase == info[node].userDataBase &+ 1 {
                length += info[next].runLength
            }
            // A run is queued with room for all of it in the SQ: no longer than the SQ.
            info[node].runLength = min(length, Int32(clamping: ring.sqEntries))
        }
        for block in graph.blocks where !block.body.isEmpty {
            let first = block.body.lowerBound
            let depth = Int(info[first].depth)
            guard Int(info[first].runLength) == block.body.count, depth > 0,
                  strides[Int(info[first].strideStart) + depth - 1] == UInt64(block.body.count) else { continue }
            info[first].runIsBody = true
            info[first].blockCount = block.count
            info[first].bodyEnd = block.body.upperBound
        }
    }

    /// Queues the run of dense requests that starts at `first` (`NodeInfo.runLength`) from their templates
    /// and, when the run is the whole body of the innermost block, the block's remaining iterations too:
    /// what `queue` does for each instance, as many at a time as the SQ has room for, the checker told once
    /// per batch (`CheckerCore.queuedDense`). The SQ is submitted when full, between whole iterations.
    /// Returns false, having queued nothing, when a template is missing or out of date or a value the run
    /// uses is still to be captured: the caller then queues `first` on its own (which remakes its template).
    mutating func queueRun(_ first: NodeID, _ cursor: inout StepInstances.Iterator) throws(RunnerError) -> Bool {
        let length = Int(info[first].runLength)
        var userData = userData(of: first, cursor.iterations)
        guard runIsReady(first, length) else { return false }
        let wholeBody = info[first].runIsBody
        let level = cursor.iterations.count - 1
        var iteration = wholeBody ? cursor.iterations[level] : 0
        let end = wholeBody ? info[first].blockCount : 1
        var queued = 0
        while iteration < end {
            if ring.sqSpaceLeft < UInt32(length) {
                try makeRoom(UInt32(length))
                if expired || !runIsReady(first, length) { break }
            }
            if queued > 0 && untilDeadlineCheck <= 0 {
                untilDeadlineCheck = RunDriver.deadlineStride
                if ContinuousClock.now >= deadline {
                    expired = true
                    break
                }
            }
            var rounds = min(end - iteration, Int(ring.sqSpaceLeft) / length)
            if inspect != nil {
                let untilInspection = Int(inspectionInterval - statistics.instances % inspectionInterval)
                rounds = min(rounds, max(1, untilInspection / length))
            }
            let firstUserData = userData
            let count = rounds * length
            if length == 1 && info[first].randomOffset == nil && info[first].randomAddress == nil {
                do {
                    try templates.queue(first, on: &ring, firstUserData: userData, count: count)
                } catch {
                    throw .engine(error)
                }
                userData &+= UInt64(count)
            } else {
                let info = self.info
                do {
                    try templates.queue(first, length: length, rounds: rounds, on: &ring, firstUserData: userData) {
                        index, userData, offset, address in
                        if let random = info[first + index].randomOffset { offset = random.value(userData) }
                        if let random = info[first + index].randomAddress { address = random.value(userData) }
                    }
                } catch {
                    throw .engine(error)
                }
                userData &+= UInt64(count)
            }
            iteration += rounds
            queued += count
            if wholeBody {
                cursor.setInnermost(iteration: iteration - 1, through: info[first].bodyEnd)
            } else {
                cursor.skip(to: first + length)
            }
            if core.queuedDense(firstUserData: firstUserData, count: count, firstNode: first, length: length,
                                lastIterations: cursor.iterations) {
                denseOutstanding += count
                statistics.denseRequests += UInt64(count)
                statistics.bulkRequests += UInt64(count)
            } else {
                // The checker's window cannot take them (their user_data do not come after its last): they
                // are reported one by one, as `queue` does for requests that are not dense.
                var iterations = cursor.iterations
                var instanceUserData = firstUserData
                for round in 0..<rounds {
                    if wholeBody { iterations[level] = iteration - rounds + round }
                    for node in first..<first + length {
                        core.queued(node: node, iterations: iterations, id: nil, userData: instanceUserData,
                                    sqeFlags: templates[node].flags, sqeAddress: templates[node].address)
                        track(instanceUserData, node: node, awaited: true)
                        instanceUserData &+= 1
                    }
                }
            }
            for node in first..<first + length where info[node].referenced {
                resources.lastUserData[node] = userData &- UInt64(first + length - node)
            }
            let before = statistics.instances
            statistics.requests += UInt64(count)
            statistics.instances += UInt64(count)
            untilDeadlineCheck -= count
            notePeakOutstanding()
            if let inspect, before / inspectionInterval != statistics.instances / inspectionInterval {
                inspect(ring, statistics)
            }
        }
        return queued > 0 || expired
    }

    /// Whether every request of the run from `first` can be queued from its template now: templates made
    /// in this generation, captured values in.
    mutating func runIsReady(_ first: NodeID, _ length: Int) -> Bool {
        // Found ready before, and nothing it depends on changed since.
        if info[first].readyGeneration == generation && info[first].readyCaptureEpoch == captureEpoch { return true }
        for node in first..<first + length {
            guard templateGenerations[node] == generation else { return false }
            if info[node].awaitsCaptures {
                let start = Int(info[node].producerStart)
                for position in start..<start + Int(info[node].producerCount) where capturePending[producers[position]] {
                    return false
                }
            }
        }
        info[first].readyGeneration = generation
        info[first].readyCaptureEpoch = captureEpoch
        return true
    }
}

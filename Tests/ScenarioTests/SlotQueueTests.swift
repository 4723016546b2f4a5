import Scenario
import Testing

struct SlotQueueTests {
    /// The next pair of slots is queued before the last pair ends, as a repeat of silent
    /// IOSQE_CQE_SKIP_SUCCESS chains does (the silent member ends when its visible successor's CQE comes):
    /// the queue never empties, yet its storage stays bounded over 100,000 pairs.
    @Test func aQueueThatNeverEmptiesStaysBounded() {
        var queue = SlotQueue()
        queue.append(0)
        queue.append(1)
        var largest = 0
        for pair in Int32(1)..<100_000 {
            queue.append(2 * pair)
            queue.append(2 * pair + 1)
            for ending in [2 * pair - 1, 2 * pair - 2] {
                let found = queue.position(within: 16, where: { $0 == ending }).found
                #expect(found != nil)
                if let found { queue.end(at: found) }
            }
            largest = max(largest, queue.storedCount)
        }
        #expect(largest <= 2 * SlotQueue.compactionStart + 4)
        #expect(queue.live == 2)
        #expect(queue.liveSlots == [199_998, 199_999])
    }

    /// Slots come out in queue order, ended ones skipped; the window stops a search early and says so.
    @Test func theWindowSearchesTheOldestSlotsFirst() {
        var queue = SlotQueue()
        for slot in Int32(0)..<40 { queue.append(slot) }
        queue.end(at: 0)
        queue.end(at: 2)
        #expect(queue.position(within: 4, where: { $0 % 2 == 1 }).found == 1)
        let far = queue.position(within: 4, where: { $0 == 30 })
        #expect(far.found == nil && far.more)
        #expect(queue.position(within: nil, where: { $0 == 30 }).found == 30)
        var moved: [Int32] = []
        moved = queue.liveSlots
        queue.removeAll()
        #expect(moved.count == 38 && moved.first == 1 && moved[1] == 3)
        #expect(queue.isEmpty && queue.live == 0)
    }
}

/// A growable array of plain values (no references inside) with reference semantics: elements are
/// read and written in place through a pointer, with no copy-on-write uniqueness check and no runtime
/// exclusivity check, as the per-request tables of the runner and the checker need. Copies of what
/// holds it share it; one thread uses it. Indices are checked in debug builds only.
public final class FlatArray<Element: BitwiseCopyable>: @unchecked Sendable {
    @usableFromInline
    struct Header {
        @usableFromInline var base: UnsafeMutablePointer<Element>
        @usableFromInline var count: Int
        @usableFromInline var capacity: Int
    }

    /// Never reassigned: the class has no `var` property.
    @usableFromInline let header: UnsafeMutablePointer<Header>

    /// An empty array with room for `capacity` elements before it grows.
    public init(capacity: Int = 16) {
        let room = max(capacity, 4)
        header = .allocate(capacity: 1)
        header.initialize(to: Header(base: .allocate(capacity: room), count: 0, capacity: room))
    }

    /// An array of `count` copies of `value`.
    public convenience init(repeating value: Element, count: Int) {
        self.init(capacity: count)
        header.pointee.base.initialize(repeating: value, count: count)
        header.pointee.count = count
    }

    deinit {
        header.pointee.base.deallocate()
        header.deallocate()
    }

    @inlinable
    public var count: Int { header.pointee.count }

    @inlinable
    public var isEmpty: Bool { header.pointee.count == 0 }

    @inlinable
    public subscript(index: Int) -> Element {
        unsafeAddress {
            assert(index >= 0 && index < header.pointee.count, "FlatArray index \(index) out of range")
            return UnsafePointer(header.pointee.base + index)
        }
        unsafeMutableAddress {
            assert(index >= 0 && index < header.pointee.count, "FlatArray index \(index) out of range")
            return header.pointee.base + index
        }
    }

    @inlinable
    public func append(_ element: Element) {
        if header.pointee.count == header.pointee.capacity { grow() }
        (header.pointee.base + header.pointee.count).initialize(to: element)
        header.pointee.count += 1
    }

    /// Removes and returns the last element, if any.
    @inlinable
    public func popLast() -> Element? {
        guard header.pointee.count > 0 else { return nil }
        header.pointee.count -= 1
        return header.pointee.base[header.pointee.count]
    }

    @usableFromInline
    func grow() {
        let capacity = header.pointee.capacity * 2
        let base = UnsafeMutablePointer<Element>.allocate(capacity: capacity)
        base.moveInitialize(from: header.pointee.base, count: header.pointee.count)
        header.pointee.base.deallocate()
        header.pointee.base = base
        header.pointee.capacity = capacity
    }

    /// Removes every element, keeping the storage.
    @inlinable
    public func removeAll() {
        header.pointee.count = 0
    }

    /// The elements, copied into an array.
    public var elements: [Element] { Array(UnsafeBufferPointer(start: header.pointee.base, count: header.pointee.count)) }
}

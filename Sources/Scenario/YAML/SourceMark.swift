import Synchronization

/// A 1-based position in a scenario file. Every YAML node and everything built from one keeps its mark,
/// so a problem found late (planner, checker) still points at the line that caused it.
///
/// A plain value of three 32-bit numbers: the file is an index into a process-wide table of file names,
/// so the million marks of a big scenario cost no reference counting when they are copied.
public struct SourceMark: Hashable, Sendable, Comparable, CustomStringConvertible {
    @usableFromInline let fileID: UInt32
    @usableFromInline let storedLine: UInt32
    @usableFromInline let storedColumn: UInt32

    public init(file: String, line: Int, column: Int) {
        self.init(fileID: SourceFiles.id(of: file), line: line, column: column)
    }

    /// A mark in the file `SourceFiles.id(of:)` gave `fileID` for.
    @inlinable
    public init(fileID: UInt32, line: Int, column: Int) {
        self.fileID = fileID
        storedLine = UInt32(clamping: line)
        storedColumn = UInt32(clamping: column)
    }

    public var file: String { SourceFiles.name(of: fileID) }
    @inlinable public var line: Int { Int(storedLine) }
    @inlinable public var column: Int { Int(storedColumn) }

    /// `file:line:col`, as compilers print it.
    public var description: String { "\(file):\(line):\(column)" }

    public static func < (lhs: SourceMark, rhs: SourceMark) -> Bool {
        if lhs.fileID != rhs.fileID { return lhs.file < rhs.file }
        return (lhs.storedLine, lhs.storedColumn) < (rhs.storedLine, rhs.storedColumn)
    }
}

/// The names of the files marks point into, each with a number for the life of the process.
public enum SourceFiles {
    private static let table = Mutex<(names: [String], ids: [String: UInt32])>(([], [:]))

    /// The number of `name`, given the first time it is asked for.
    public static func id(of name: String) -> UInt32 {
        table.withLock { table in
            if let id = table.ids[name] { return id }
            let id = UInt32(table.names.count)
            table.names.append(name)
            table.ids[name] = id
            return id
        }
    }

    public static func name(of id: UInt32) -> String {
        table.withLock { $0.names[Int(id)] }
    }
}

import BertTensors
import Foundation

/// A file of per-input results written row by row, in input order, that appears only when
/// complete (an `AtomicFileWriter` underneath): `commit()` puts it in place; `commitPartial()`
/// keeps what was written under `PartialName` instead (an interrupted run's `--keep-partial`);
/// dropping the writer leaves nothing.
public protocol RowWriter: AnyObject {
    var destination: String { get }
    /// Rows written so far.
    var rows: Int { get }
    func commit() throws
    /// Commits the rows written so far as `PartialName.make(destination, rows:)`; returns that path.
    func commitPartial() throws -> String
}

/// The name a partial output is kept under: `out.npy` with 1200 rows done is `out.partial-1200.npy`.
public enum PartialName {
    public static func make(_ destination: String, rows: Int) -> String {
        let url = URL(fileURLWithPath: destination)
        let ext = url.pathExtension
        let base = ext.isEmpty ? url.lastPathComponent : String(url.lastPathComponent.dropLast(ext.count + 1))
        let name = base + ".partial-\(rows)" + (ext.isEmpty ? "" : "." + ext)
        let dir = (destination as NSString).deletingLastPathComponent
        return dir.isEmpty ? name : dir + "/" + name
    }
}

/// One line of text per row (JSON Lines), buffered and written atomically.
public final class LinesFileWriter: RowWriter {
    public let destination: String
    public private(set) var rows = 0
    private let file: AtomicFileWriter
    private var buffer: [UInt8] = []

    public init(destination: String) throws {
        self.destination = destination
        file = try AtomicFileWriter(destination: destination)
    }

    /// Appends `line` and a newline.
    public func append(_ line: String) throws {
        buffer += line.utf8
        buffer.append(0x0A)
        rows += 1
        if buffer.count >= 1 << 20 { try flush() }
    }

    private func flush() throws {
        try file.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    public func commit() throws {
        try flush()
        try file.commit()
    }

    public func commitPartial() throws -> String {
        let path = PartialName.make(destination, rows: rows)
        try flush()
        try file.commit(to: path)
        return path
    }
}

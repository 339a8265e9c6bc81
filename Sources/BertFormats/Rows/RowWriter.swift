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

/// The file under every `RowWriter`: rows buffered into 1 MiB writes to an `AtomicFileWriter`;
/// committing flushes, rewrites the format's header in place (when it has one, as it learns the
/// row count only then) and puts the file at its destination or its partial name.
final class BufferedRowFile {
    let destination: String
    private(set) var rows = 0
    private let file: AtomicFileWriter
    private var buffer: [UInt8] = []

    init(destination: String, header: [UInt8] = []) throws {
        self.destination = destination
        file = try AtomicFileWriter(destination: destination)
        if !header.isEmpty { try file.write(header) }
    }

    /// Appends one row's bytes, which `body` adds to the buffer.
    func appendRow(_ body: (inout [UInt8]) -> Void) throws {
        body(&buffer)
        rows += 1
        if buffer.count >= 1 << 20 { try flush() }
    }

    private func flush() throws {
        try file.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Commits to the destination, or with `partial` to `PartialName` (returned); `header(rows)`
    /// is written over the start of the file first.
    @discardableResult
    func commit(partial: Bool = false, header: ((Int) -> [UInt8])? = nil) throws -> String {
        try flush()
        if let h = header { try file.overwrite(h(rows), at: 0) }
        guard partial else {
            try file.commit()
            return destination
        }
        let path = PartialName.make(destination, rows: rows)
        try file.commit(to: path)
        return path
    }
}

/// One line of text per row (JSON Lines), buffered and written atomically.
public final class LinesFileWriter: RowWriter {
    private let out: BufferedRowFile
    public var destination: String { out.destination }
    public var rows: Int { out.rows }

    public init(destination: String) throws {
        out = try BufferedRowFile(destination: destination)
    }

    /// Appends `line` and a newline.
    public func append(_ line: String) throws {
        try out.appendRow { b in
            b += line.utf8
            b.append(0x0A)
        }
    }

    public func commit() throws { try out.commit() }

    public func commitPartial() throws -> String { try out.commit(partial: true) }
}

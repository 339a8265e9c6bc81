import BertTensors
import Foundation

/// Writes a NumPy `.npy` file (format version 1.0, formats/npy.md) of float32 rows, `[rows,
/// columns]` in C order, as the rows come: the count is unknown until the end, so the header is
/// written padded to fit any count (as NumPy pads for a growing axis) and rewritten in place by
/// `commit`. The file appears only when complete.
public final class NpyWriter: RowWriter {
    public let destination: String
    public let columns: Int
    public private(set) var rows = 0
    private let file: AtomicFileWriter
    private var buffer: [UInt8] = []
    /// The header's size, magic and length included: the largest count fits.
    let headerSize: Int

    public init(destination: String, columns: Int) throws {
        precondition(columns >= 1)
        self.destination = destination
        self.columns = columns
        headerSize = Self.header(rows: Int.max, columns: columns, size: nil).count
        file = try AtomicFileWriter(destination: destination)
        try file.write(Self.header(rows: 0, columns: columns, size: headerSize))
    }

    /// The header (formats/npy.md rules 1–5): magic, version 1.0, the little-endian length of the
    /// dictionary, the dictionary padded with spaces and ended by a newline so that the data starts
    /// at a multiple of 64 bytes. `size` pads to that total (nil: the smallest multiple of 64).
    static func header(rows: Int, columns: Int, size: Int?) -> [UInt8] {
        let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
        let unpadded = 10 + dict.utf8.count + 1
        let total = size ?? (unpadded + 63) / 64 * 64
        precondition(total >= unpadded && total - 10 <= 0xFFFF)
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let length = UInt16(total - 10)
        out += [UInt8(length & 0xFF), UInt8(length >> 8)]
        out += dict.utf8
        out += [UInt8](repeating: 0x20, count: total - unpadded)
        out.append(0x0A)
        return out
    }

    /// Appends one row of `columns` values.
    public func append(_ row: [Float]) throws {
        precondition(row.count == columns, "a row of \(row.count) values in a file of \(columns) columns")
        for v in row { withUnsafeBytes(of: v.bitPattern.littleEndian) { buffer += $0 } }
        rows += 1
        if buffer.count >= 1 << 20 { try flush() }
    }

    private func flush() throws {
        try file.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    public func commit() throws {
        try finish()
        try file.commit()
    }

    public func commitPartial() throws -> String {
        let path = PartialName.make(destination, rows: rows)
        try finish()
        try file.commit(to: path)
        return path
    }

    private func finish() throws {
        try flush()
        try file.overwrite(Self.header(rows: rows, columns: columns, size: headerSize), at: 0)
    }
}

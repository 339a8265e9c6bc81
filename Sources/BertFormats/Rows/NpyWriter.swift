import BertTensors
import Foundation

/// Writes a NumPy `.npy` file (format version 1.0, formats/npy.md) of float32 rows, `[rows,
/// columns]` in C order, as the rows come: the count is unknown until the end, so the header is
/// written padded to fit any count (as NumPy pads for a growing axis) and rewritten in place by
/// `commit`. The file appears only when complete.
public final class NpyWriter: RowWriter {
    public let columns: Int
    private let out: BufferedRowFile
    public var destination: String { out.destination }
    public var rows: Int { out.rows }
    /// The header's size, magic and length included: the largest count fits.
    let headerSize: Int

    public init(destination: String, columns: Int) throws {
        precondition(columns >= 1)
        self.columns = columns
        let size = Self.header(rows: Int.max, columns: columns, size: nil).count
        headerSize = size
        out = try BufferedRowFile(destination: destination, header: Self.header(rows: 0, columns: columns, size: size))
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
        try out.appendRow { b in for v in row { withUnsafeBytes(of: v.bitPattern.littleEndian) { b += $0 } } }
    }

    public func commit() throws { try out.commit(header: finalHeader) }

    public func commitPartial() throws -> String { try out.commit(partial: true, header: finalHeader) }

    private func finalHeader(rows: Int) -> [UInt8] { Self.header(rows: rows, columns: columns, size: headerSize) }
}

import BertTensors
import Foundation

/// Writes a safetensors file (formats/safetensors.md) holding one F32 tensor `[rows, columns]`
/// named `name`, as the rows come. The header is reserved at the start, padded with spaces (which
/// the format allows) to fit any row count, and rewritten in place by `commit`; the data starts
/// 8-byte aligned. The file appears only when complete.
public final class SafeTensorsRowWriter: RowWriter {
    public let name: String
    public let columns: Int
    public let metadata: [(key: String, value: String)]
    private let out: BufferedRowFile
    public var destination: String { out.destination }
    public var rows: Int { out.rows }
    private let headerSize: Int

    public init(destination: String, name: String, columns: Int, metadata: [(key: String, value: String)] = []) throws {
        precondition(columns >= 1)
        self.name = name
        self.columns = columns
        self.metadata = metadata
        // The largest count a file can hold: 20 digits in the shape and in the end offset.
        let json = Self.json(rows: Int.max / (4 * columns), name: name, columns: columns, metadata: metadata)
        let size = 8 + (json.count + 7) / 8 * 8
        headerSize = size
        out = try BufferedRowFile(destination: destination,
                                  header: Self.header(rows: 0, name: name, columns: columns, metadata: metadata, size: size))
    }

    static func json(rows: Int, name: String, columns: Int, metadata: [(key: String, value: String)]) -> [UInt8] {
        var o = JSONObject()
        if !metadata.isEmpty { o["__metadata__"] = .object(JSONObject(metadata.map { ($0.key, .string($0.value)) })) }
        o[name] = .object(JSONObject([
            ("dtype", .string("F32")), ("shape", .array([.int(rows), .int(columns)])),
            ("data_offsets", .array([.int(0), .int(rows * columns * 4)])),
        ]))
        return Array(JSONValue.object(o).serialized(indent: 0).utf8)
    }

    /// The length prefix and the JSON padded with spaces to `headerSize`.
    private static func header(rows: Int, name: String, columns: Int, metadata: [(key: String, value: String)], size: Int) -> [UInt8] {
        var json = json(rows: rows, name: name, columns: columns, metadata: metadata)
        json += [UInt8](repeating: 0x20, count: size - 8 - json.count)
        return withUnsafeBytes(of: UInt64(json.count).littleEndian) { [UInt8]($0) } + json
    }

    public func append(_ row: [Float]) throws {
        precondition(row.count == columns, "a row of \(row.count) values in a tensor of \(columns) columns")
        try out.appendRow { b in for v in row { withUnsafeBytes(of: v.bitPattern.littleEndian) { b += $0 } } }
    }

    public func commit() throws { try out.commit(header: finalHeader) }

    public func commitPartial() throws -> String { try out.commit(partial: true, header: finalHeader) }

    private func finalHeader(rows: Int) -> [UInt8] {
        Self.header(rows: rows, name: name, columns: columns, metadata: metadata, size: headerSize)
    }
}

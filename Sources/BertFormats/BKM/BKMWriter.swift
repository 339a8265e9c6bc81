import BertTensors
import Foundation

/// Writes a Checkpoint as a .bkm file (`formats/bkm.md`), atomically: a temporary file in the same
/// folder, fsynced, then renamed (B22). Tensors are streamed from where they live.
public enum BKMWriter {
    /// `progress` gets (bytes written, bytes total).
    public static func write(_ c: Checkpoint, to path: String, progress: ((Int, Int) -> Void)? = nil) throws {
        for (name, t) in c.parameters where !DType.storable.contains(t.dtype) {
            throw BKMError.notAStorableDType(file: path, tensor: name, dtype: t.dtype)
        }
        let (prefix, dataStart, layout) = try encode(c)
        let dataBytes = layout.last.map { $0.offset + $0.tensor.byteCount } ?? 0
        let total = dataStart + dataBytes
        let w = try AtomicFileWriter(destination: path)
        try w.write(prefix)
        try w.writeZeros(dataStart - prefix.count)
        for e in layout {
            try w.writeZeros(dataStart + e.offset - w.position)
            try w.write(e.tensor.bytes)
            progress?(w.position, total)
        }
        try w.commit()
    }

    struct Placed {
        let name: String
        let tensor: RawTensor
        let offset: Int
    }

    /// The preamble and header bytes, where the data starts, and each tensor's place.
    static func encode(_ c: Checkpoint) throws -> (prefix: [UInt8], dataStart: Int, layout: [Placed]) {
        var end = 0
        let layout = c.parameters.map { p -> Placed in
            let off = BKMLayout.aligned(end)!
            end = off + p.tensor.byteCount
            return Placed(name: p.name, tensor: p.tensor, offset: off)
        }
        let header = Array(JSONValue.object(headerJSON(c, layout: layout, dataBytes: end)).serialized(indent: 0).utf8)
        var prefix = BKMLayout.magic
        prefix += withUnsafeBytes(of: BKMLayout.version.littleEndian) { [UInt8]($0) }
        prefix += withUnsafeBytes(of: UInt64(header.count).littleEndian) { [UInt8]($0) }
        let crc = header.withUnsafeBytes { h in prefix.withUnsafeBytes { FileDigest.crc32c(h, seed: FileDigest.crc32c($0)) } }
        prefix += withUnsafeBytes(of: crc.littleEndian) { [UInt8]($0) }
        prefix += [0, 0, 0, 0]
        prefix += header
        return (prefix, BKMLayout.aligned(prefix.count)!, layout)
    }

    static func headerJSON(_ c: Checkpoint, layout: [Placed], dataBytes: Int) -> JSONObject {
        let p = c.provenance
        let sources: [JSONValue] = p.sources.map {
            .object(JSONObject([("file", .string($0.file)), ("sha256", .string($0.sha256)), ("bytes", .int($0.bytes))]))
        }
        let strings = { (a: [String]) in JSONValue.array(a.map { .string($0) }) }
        let tensors: [JSONValue] = layout.map { e in
            .object(JSONObject([
                ("name", .string(e.name)),
                ("dtype", .string(e.tensor.dtype.rawValue)),
                ("shape", .array(e.tensor.shape.map { .int($0) })),
                ("offset", .int(e.offset)),
                ("bytes", .int(e.tensor.byteCount)),
                ("crc32c", .int(Int(FileDigest.crc32c(e.tensor.bytes)))),
                ("source_name", .string(c.sourceNames[e.name] ?? e.name)),
            ]))
        }
        return JSONObject([
            ("format", .string(BKMLayout.formatName)),
            ("config", .object(c.config.json)),
            ("labels", strings(c.config.id2label)),
            ("tokenizer", c.tokenizer.map { .object($0.json) } ?? .null),
            ("vocabulary", c.vocabulary.map { strings($0.tokens) } ?? .null),
            ("pooling", c.pooling.map { .object(JSONObject([("mode", .string($0.mode.rawValue)), ("normalize", .bool($0.normalize))])) } ?? .null),
            ("provenance", .object(JSONObject([
                ("sources", .array(sources)), ("tool", .string(p.tool)), ("created", .string(p.created)),
                ("source_format", .string(p.sourceFormat)),
            ]))),
            ("load_report", .object(JSONObject([
                ("unused", strings(c.report.unused)), ("unexpected", strings(c.report.unexpected)), ("ignored", strings(c.report.ignored)),
            ]))),
            ("tensors", .array(tensors)),
            ("data_bytes", .int(dataBytes)),
        ])
    }
}

import BertTensors
import Foundation

/// Writes a Checkpoint as a .bkm file (`formats/bkm.md`), atomically: a temporary file in the same
/// folder, fsynced, then renamed (B22).
///
/// One pass over the tensor data: each 1 MiB chunk is checksummed and written while it is in cache.
/// The header, which holds the checksums, is reserved first (sized for the widest checksums and
/// 64-digit SHA-256s) and written last, padded with spaces to its reserved length. So the source's
/// SHA-256 can be computed on another core while the data is written (`provenance`).
public enum BKMWriter {
    /// `progress` gets (bytes written, bytes total). `provenance`, when given, is called after the
    /// data is written and its result goes in the header instead of `c.provenance`; it must list the
    /// same sources (its SHA-256s may be filled in by then).
    public static func write(_ c: Checkpoint, to path: String, progress: ((Int, Int) -> Void)? = nil,
                             provenance: (() throws -> Provenance)? = nil) throws {
        for (name, t) in c.parameters + c.moduleTensors where !DType.storable.contains(t.dtype) {
            throw BKMError.notAStorableDType(file: path, tensor: name, dtype: t.dtype)
        }
        for (name, bytes) in c.tokenizerFiles where !TokenizerFiles.isBinary(name) && String(validating: bytes, as: UTF8.self) == nil {
            throw BKMError.badField(file: path, field: "tokenizer_files.\(name)", problem: "not UTF-8 text; the header stores tokenizer files as JSON strings")
        }
        let layout = place(c)
        let dataBytes = layout.last.map { $0.offset + $0.tensor.byteCount } ?? 0
        var widest = c.provenance
        widest.sources = widest.sources.map { .init(file: $0.file, sha256: String(repeating: "f", count: 64), bytes: $0.bytes) }
        let reserved = headerBytes(c, layout: layout, crcs: layout.map { _ in UInt32.max }, provenance: widest, dataBytes: dataBytes).count
        let dataStart = BKMLayout.aligned(BKMLayout.preambleSize + reserved)!
        let total = dataStart + dataBytes

        let w = try AtomicFileWriter(destination: path)
        try w.writeZeros(dataStart)
        var crcs: [UInt32] = []
        for e in layout {
            try w.writeZeros(dataStart + e.offset - w.position)
            let bytes = e.tensor.bytes
            var crc: UInt32 = 0, done = 0
            while done < bytes.count {
                let chunk = UnsafeRawBufferPointer(rebasing: bytes[done..<min(done + (1 << 20), bytes.count)])
                crc = FileDigest.crc32c(chunk, seed: crc)
                try w.write(chunk)
                done += chunk.count
            }
            crcs.append(crc)
            progress?(w.position, total)
        }
        w.startWriteback()  // the data's tail goes to disk while the header waits for the hashes
        let final = try provenance?() ?? c.provenance
        var header = headerBytes(c, layout: layout, crcs: crcs, provenance: final, dataBytes: dataBytes)
        guard header.count <= reserved else {
            w.abandon()
            throw IOError.cannotWrite(path: path, reason: "the provenance grew after the header was reserved")
        }
        header += [UInt8](repeating: UInt8(ascii: " "), count: reserved - header.count)
        try w.overwrite(preamble(header, version: BKMLayout.version(tokenizerFiles: c.tokenizerFiles.keys)) + header, at: 0)
        try w.commit()
    }

    struct Placed {
        let name: String
        let tensor: RawTensor
        let offset: Int
    }

    /// §3: tensors in order (the parameters, then the sentence-transformers modules'), each at the
    /// previous end rounded up to 64.
    static func place(_ c: Checkpoint) -> [Placed] {
        var end = 0
        return (c.parameters + c.moduleTensors).map { p in
            let off = BKMLayout.aligned(end)!
            end = off + p.tensor.byteCount
            return Placed(name: p.name, tensor: p.tensor, offset: off)
        }
    }

    /// §1: magic, version, header length, header CRC-32C, reserved.
    static func preamble(_ header: [UInt8], version: UInt32) -> [UInt8] {
        var p = BKMLayout.magic
        p += withUnsafeBytes(of: version.littleEndian) { [UInt8]($0) }
        p += withUnsafeBytes(of: UInt64(header.count).littleEndian) { [UInt8]($0) }
        let crc = header.withUnsafeBytes { h in p.withUnsafeBytes { FileDigest.crc32c(h, seed: FileDigest.crc32c($0)) } }
        p += withUnsafeBytes(of: crc.littleEndian) { [UInt8]($0) }
        return p + [0, 0, 0, 0]
    }

    static func headerBytes(_ c: Checkpoint, layout: [Placed], crcs: [UInt32], provenance p: Provenance, dataBytes: Int) -> [UInt8] {
        let sources: [JSONValue] = p.sources.map {
            .object(JSONObject([("file", .string($0.file)), ("sha256", .string($0.sha256)), ("bytes", .int($0.bytes))]))
        }
        let strings = { (a: [String]) in JSONValue.array(a.map { .string($0) }) }
        let tensors: [JSONValue] = zip(layout, crcs).map { e, crc in
            .object(JSONObject([
                ("name", .string(e.name)),
                ("dtype", .string(e.tensor.dtype.rawValue)),
                ("shape", .array(e.tensor.shape.map { .int($0) })),
                ("offset", .int(e.offset)),
                ("bytes", .int(e.tensor.byteCount)),
                ("crc32c", .int(Int(crc))),
                ("source_name", .string(c.sourceNames[e.name] ?? e.name)),
            ]))
        }
        let header = JSONObject([
            ("format", .string(BKMLayout.formatName)),
            ("config", .object(c.config.json)),
            ("architecture", .object(JSONObject([
                ("model_type", .string(c.architecture.modelType)), ("class", .string(c.architecture.className)),
                ("head", .string(c.head.rawValue)), ("pooler", .bool(c.architecture.pooler)),
                ("tied", .array(c.architecture.ties.map {
                    .object(JSONObject([("tensor", .string($0.tensor.name)), ("to", .string($0.to.name))]))
                })),
                ("carried", strings(c.architecture.carried.map(\.name))),
            ]))),
            ("labels", strings(c.config.id2label)),
            ("tokenizer", c.tokenizer.map { .object($0.json) } ?? .null),
            ("vocabulary", c.vocabulary.map { strings($0.tokens) } ?? .null),
            // Sorted, so the header does not depend on dictionary order; text checked to be UTF-8
            // above, SentencePiece models in base64 (§2.3).
            ("tokenizer_files", .object(JSONObject(c.tokenizerFiles.sorted { $0.key < $1.key }.map {
                ($0.key, .string(TokenizerFiles.isBinary($0.key) ? Data($0.value).base64EncodedString() : String(decoding: $0.value, as: UTF8.self)))
            }))),
            ("sentence_transformers", c.sentenceTransformers.map(\.json) ?? .null),
            ("provenance", .object(JSONObject([
                ("sources", .array(sources)), ("tool", .string(p.tool)), ("created", .string(p.created)),
                ("source_format", .string(p.sourceFormat)),
            ]))),
            ("load_report", .object(JSONObject([
                ("unused", strings(c.report.unused)), ("unexpected", strings(c.report.unexpected)), ("ignored", strings(c.report.ignored)),
                ("tied", strings(c.report.tied)),
            ]))),
            ("tensors", .array(tensors)),
            ("data_bytes", .int(dataBytes)),
        ])
        return Array(JSONValue.object(header).serialized(indent: 0).utf8)
    }
}

import BertTensors
import Foundation

/// Writes safetensors files that huggingface/safetensors loads: an 8-byte little-endian header
/// length, a compact JSON header padded with spaces to a multiple of 8 (as `safetensors.torch`
/// pads it), then the tensor bytes back to back. The file appears only when complete.
public enum SafeTensorsWriter {
    /// Writes `tensors` to `path` atomically. Tensors are streamed from wherever they live (a memory
    /// map stays a memory map). `progress` gets (bytes written, bytes total).
    public static func write(
        _ tensors: [(name: String, tensor: RawTensor)], metadata: [(key: String, value: String)] = [],
        to path: String, progress: ((Int, Int) -> Void)? = nil
    ) throws {
        let layout = try plan(tensors, file: path)
        let header = headerBytes(layout, metadata: metadata)
        let total = header.count + (layout.last?.end ?? 0)
        let w = try AtomicFileWriter(destination: path)
        try w.write(header)
        var done = header.count
        for e in layout {
            try w.write(e.tensor.bytes)
            done += e.tensor.byteCount
            progress?(done, total)
        }
        try w.commit()
    }

    /// The header plus its length prefix, as it will appear at the start of the file.
    static func headerBytes(_ layout: [Planned], metadata: [(key: String, value: String)]) -> [UInt8] {
        var o = JSONObject()
        if !metadata.isEmpty { o["__metadata__"] = .object(JSONObject(metadata.map { ($0.key, .string($0.value)) })) }
        for e in layout {
            o[e.name] = .object(JSONObject([
                ("dtype", .string(e.tensor.dtype.rawValue)),
                ("shape", .array(e.tensor.shape.map { .int($0) })),
                ("data_offsets", .array([.int(e.begin), .int(e.end)])),
            ]))
        }
        var json = Array(JSONValue.object(o).serialized(indent: 0).utf8)
        // Pad so the data starts 8-byte aligned, as safetensors does.
        while (8 + json.count) % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var out = withUnsafeBytes(of: UInt64(json.count).littleEndian) { [UInt8]($0) }
        out += json
        return out
    }

    struct Planned {
        let name: String
        let tensor: RawTensor
        let begin: Int
        let end: Int
    }

    /// Data order: wider dtypes first (stable), so every tensor stays aligned to its element size —
    /// the order safetensors itself uses.
    static func plan(_ tensors: [(name: String, tensor: RawTensor)], file: String) throws -> [Planned] {
        var seen = Set<String>()
        for t in tensors where !seen.insert(t.name).inserted { throw SafeTensorsError.duplicateTensor(file: file, name: t.name) }
        let ordered = tensors.enumerated().sorted {
            ($0.element.tensor.dtype.byteSize, -$0.offset) > ($1.element.tensor.dtype.byteSize, -$1.offset)
        }.map(\.element)
        var position = 0
        return ordered.map { t in
            defer { position += t.tensor.byteCount }
            return Planned(name: t.name, tensor: t.tensor, begin: position, end: position + t.tensor.byteCount)
        }
    }
}

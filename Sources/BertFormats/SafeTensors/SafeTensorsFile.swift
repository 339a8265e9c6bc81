import BertTensors
import Foundation

/// A safetensors file, memory-mapped: tensors are views into the map (zero-copy).
/// Mirrors the checks of huggingface/safetensors `src/tensor.rs` (`SafeTensors::read_metadata`,
/// `Metadata::validate`); every rule is numbered in `formats/safetensors.md`.
public struct SafeTensorsFile: Sendable {
    /// safetensors' own cap on the header length (`MAX_HEADER_SIZE`).
    public static let maxHeaderLength = 100_000_000

    public let path: String
    public let storage: ByteStorage
    /// `__metadata__`, in file order.
    public let metadata: [(key: String, value: String)]
    /// Tensors in the header's order.
    public let tensors: [(name: String, tensor: RawTensor)]

    public static func read(path: String) throws -> SafeTensorsFile {
        try SafeTensorsFile(storage: ByteStorage.map(path: path), path: path)
    }

    public subscript(name: String) -> RawTensor? { tensors.first { $0.name == name }?.tensor }

    public var metadataDictionary: [String: String] {
        Dictionary(metadata.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
    }

    /// The tensors as the checkpoint binder takes them.
    public var named: NamedTensors {
        NamedTensors(file: path, naming: .huggingFace, entries: tensors, metadata: metadataDictionary)
    }

    /// Parses and validates `storage` as safetensors; `path` names the file in errors.
    public init(storage: ByteStorage, path: String) throws {
        self.path = path
        self.storage = storage
        let size = storage.count
        guard size >= 8 else { throw SafeTensorsError.truncated(file: path, size: size) }                 // S1
        let n = storage.base.loadUnaligned(as: UInt64.self).littleEndian
        guard n <= UInt64(Self.maxHeaderLength) else { throw SafeTensorsError.headerTooLarge(file: path, length: n) }  // S2
        guard n <= UInt64(size - 8) else { throw SafeTensorsError.headerPastEnd(file: path, length: n, available: size - 8) }  // S3
        let headerBytes = [UInt8](storage.slice(offset: 8, length: Int(n))!)
        let root = try Self.parseHeader(headerBytes, file: path)
        let dataStart = 8 + Int(n)
        let dataSize = size - dataStart

        var meta: [(key: String, value: String)] = []
        var entries: [(name: String, info: Entry)] = []
        for (key, value) in root {
            if key == "__metadata__" {
                guard let o = value.objectValue else { throw SafeTensorsError.badMetadata(file: path, key: "(itself)", found: value.kind) }
                for (k, v) in o {                                                                        // S7
                    guard let s = v.stringValue else { throw SafeTensorsError.badMetadata(file: path, key: k, found: v.kind) }
                    meta.append((k, s))
                }
                continue
            }
            entries.append((key, try Entry(key, value, file: path)))
        }

        // S12, S13: in offset order, each tensor begins where the previous one ended.
        let order = entries.indices.sorted { (entries[$0].info.begin, entries[$0].info.end) < (entries[$1].info.begin, entries[$1].info.end) }
        var position = 0
        for i in order {
            let e = entries[i]
            guard e.info.begin == position else {
                throw SafeTensorsError.notContiguous(file: path, tensor: e.name, begin: e.info.begin, expected: position)
            }
            position = e.info.end
        }
        guard position == dataSize else { throw SafeTensorsError.dataSizeMismatch(file: path, needed: position, available: dataSize) }

        self.metadata = meta
        self.tensors = try entries.map { e in
            (e.name, try RawTensor(dtype: e.info.dtype, shape: e.info.shape, storage: storage,
                                   offset: dataStart + e.info.begin, byteCount: e.info.end - e.info.begin))
        }
    }

    /// S4, S5, S6: UTF-8, a JSON object, unique names.
    private static func parseHeader(_ bytes: [UInt8], file: String) throws -> JSONObject {
        guard String(validating: bytes, as: UTF8.self) != nil else { throw SafeTensorsError.headerNotUTF8(file: file) }
        guard bytes.first == UInt8(ascii: "{") else {
            throw SafeTensorsError.headerNotJSON(file: file, reason: "it must start with '{'")
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes, file: file + " (header)")
        } catch let e as JSONError {
            if e.path.isEmpty, e.reason.hasPrefix("duplicate key \""), let q = e.reason.firstIndex(of: "\"") {
                throw SafeTensorsError.duplicateTensor(file: file, name: String(e.reason[e.reason.index(after: q)...].dropLast()))
            }
            throw SafeTensorsError.headerNotJSON(file: file, reason: e.localizedDescription)
        }
        guard let o = value.objectValue else { throw SafeTensorsError.headerNotJSON(file: file, reason: "found \(value.kind)") }
        return o
    }

    /// One header entry, checked on its own (S8–S11).
    private struct Entry {
        let dtype: DType
        let shape: [Int]
        let begin: Int
        let end: Int

        init(_ name: String, _ v: JSONValue, file: String) throws {
            func bad(_ field: String, _ problem: String) -> SafeTensorsError {
                .badEntry(file: file, tensor: name, field: field, problem: problem)
            }
            guard let o = v.objectValue else { throw bad("(entry)", "expected an object with dtype, shape and data_offsets, found \(v.kind)") }
            guard let d = o["dtype"] else { throw bad("dtype", "missing") }
            guard let ds = d.stringValue else { throw bad("dtype", "expected a string, found \(d.kind)") }
            guard let dtype = DType(rawValue: ds) else { throw SafeTensorsError.unknownDType(file: file, tensor: name, dtype: ds) }
            guard let s = o["shape"] else { throw bad("shape", "missing") }
            guard let sa = s.arrayValue else { throw bad("shape", "expected an array of integers, found \(s.kind)") }
            var shape: [Int] = []
            for (k, x) in sa.enumerated() {
                guard let d = Self.count(x) else { throw bad("shape[\(k)]", Self.notACount(x)) }
                shape.append(d)
            }
            guard let off = o["data_offsets"] else { throw bad("data_offsets", "missing") }
            guard let oa = off.arrayValue, oa.count == 2 else { throw bad("data_offsets", "expected [begin, end], found \(off.kind)") }
            guard let b = Self.count(oa[0]) else { throw bad("data_offsets[0]", Self.notACount(oa[0])) }
            guard let e = Self.count(oa[1]) else { throw bad("data_offsets[1]", Self.notACount(oa[1])) }
            guard b <= e else { throw bad("data_offsets", "begin \(b) is after end \(e)") }
            guard let n = checkedElementCount(shape), case let (bytes, o) = n.multipliedReportingOverflow(by: dtype.byteSize), !o else {
                throw SafeTensorsError.shapeOverflow(file: file, tensor: name, shape: shape)                 // S10
            }
            guard bytes == e - b else {                                                                      // S11
                throw SafeTensorsError.spanMismatch(file: file, tensor: name, shape: shape, dtype: dtype, expected: bytes, found: e - b)
            }
            (self.dtype, self.shape, self.begin, self.end) = (dtype, shape, b, e)
        }

        /// An exact non-negative integer that fits `Int` (never through Double).
        static func count(_ v: JSONValue) -> Int? {
            guard let i = v.intValue, i >= 0 else { return nil }
            return i
        }

        static func notACount(_ v: JSONValue) -> String {
            if case .number(let t) = v, !t.contains(where: { ".eE".contains($0) }) {
                return t.hasPrefix("-") ? "expected a non-negative integer, found \(t)" : "\(t) is larger than 2^63-1"
            }
            return "expected a non-negative integer, found \(v.kind)"
        }
    }
}

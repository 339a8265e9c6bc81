import BertTensors
import Foundation

/// `pytorch_model.bin` as torch.save (torch ≥ 1.6) writes a state dict: a zip holding
/// `<archive>/data.pkl` (the dict, pickled) and one `<archive>/data/<key>` entry per storage.
/// Read without running any code: see `ZipArchive`, `PickleDecoder` and formats/pytorch-bin.md.
/// Contiguous tensors point straight into the memory-mapped file; tensors that share a storage
/// (tied weights) share those bytes.
public enum PyTorchBinReader {
    /// A state dict's pickle is a few hundred bytes per tensor (BERT-large's is ~100 kB); 16 MiB
    /// holds ~50,000 tensors, past what the unpickler's container limit allows anyway.
    public static let maxPickleBytes = 16 << 20

    public static func read(path: String) throws -> NamedTensors {
        try read(storage: ByteStorage.map(path: path), path: path)
    }

    /// Reads a .bin already in memory (or mapped); `path` names it in errors.
    public static func read(storage file: ByteStorage, path: String) throws -> NamedTensors {
        try refuseLegacy(file.buffer, path: path)
        let zip = try ZipArchive(path: path, storage: file)

        let pickles = zip.entries.filter { $0.name.hasSuffix("/data.pkl") && $0.name.dropLast(9).firstIndex(of: "/") == nil }
        guard pickles.count == 1, let pkl = pickles.first else {
            throw PyTorchBinError.notAStateDictArchive(path: path, found: pickles.map(\.name))
        }
        let prefix = String(pkl.name.dropLast("data.pkl".count))
        if let b = zip.entry(named: prefix + "byteorder") {
            let order = String(decoding: try zip.verifiedBytes(b), as: UTF8.self)
            guard order == "little" else { throw PyTorchBinError.byteOrder(path: path, found: order) }
        }
        guard pkl.size <= maxPickleBytes else {
            throw ZipError.entryTooLarge(path: path, entry: pkl.name, size: UInt64(pkl.size), available: maxPickleBytes)
        }
        let refs = try stateDict(try zip.verifiedBytes(pkl), source: "\(path) (\(pkl.name))", path: path)
        var storages = StorageTable(archive: zip, prefix: prefix)
        return NamedTensors(file: path, naming: .huggingFace, entries: try refs.map { ($0.name, try storages.tensor($0.ref, name: $0.name)) })
    }

    /// Decodes a `data.pkl` on its own, without its archive, with every check `read` makes on
    /// it: each tensor's name, storage key, dtype and shape. Nothing is run. (For tools that look
    /// inside a pickle, and for the fuzz target Fuzz/Targets/fuzz-pickle.)
    public static func describeStateDict(pickle: UnsafeRawBufferPointer, source: String) throws
        -> [(name: String, storage: String, dtype: DType, shape: [Int])] {
        try stateDict(pickle, source: source, path: source).map { ($0.name, $0.ref.storage.key, $0.ref.storage.dtype, $0.ref.shape) }
    }

    /// The state dict's entries: string keys, tensor values, unique names.
    static func stateDict(_ pickle: UnsafeRawBufferPointer, source: String, path: String) throws -> [(name: String, ref: TensorRef)] {
        let doc = try PickleDecoder.decode(pickle, source: source)
        guard let items = doc.arena.dict(doc.root) else { throw PyTorchBinError.notADict(path: path, found: doc.root.kind) }
        var out: [(name: String, ref: TensorRef)] = []
        var seen = Set<String>()
        for (k, v) in items {
            guard case .string(let name) = k else { throw PyTorchBinError.nonStringKey(path: path, found: k.kind) }
            guard case .tensor(let t) = v else { throw PyTorchBinError.notATensor(path: path, name: name, found: v.kind) }
            guard seen.insert(name).inserted else { throw PyTorchBinError.duplicateName(path: path, name: name) }
            out.append((name, t))
        }
        return out
    }

    /// torch.save before 1.6 wrote a bare pickle stream (or, earlier still, a tar archive).
    private static func refuseLegacy(_ b: UnsafeRawBufferPointer, path: String) throws {
        if b.count >= 2, b[0] == 0x80, (2...5).contains(b[1]) { throw PyTorchBinError.legacyFormat(path: path, kind: "a bare pickle stream") }
        if b.count >= 262, Array(b[257..<262]) == Array("ustar".utf8) { throw PyTorchBinError.legacyFormat(path: path, kind: "a tar archive") }
    }
}

/// The storages of one archive, each CRC-checked once and shared by every tensor that views it.
private struct StorageTable {
    let archive: ZipArchive
    let prefix: String
    var checked: [String: (entry: ZipArchive.Entry, ref: StorageRef)] = [:]

    init(archive: ZipArchive, prefix: String) {
        self.archive = archive
        self.prefix = prefix
    }

    mutating func entry(for s: StorageRef, name: String) throws -> ZipArchive.Entry {
        let path = archive.path
        if let c = checked[s.key] {
            // A second persistent id for the same storage must describe it the same way.
            guard c.ref == s else { throw PyTorchBinError.inconsistentStorage(path: path, entry: c.entry.name, name: name) }
            return c.entry
        }
        guard let e = archive.entry(named: prefix + "data/" + s.key) else {
            throw PyTorchBinError.missingStorage(path: path, name: name, entry: prefix + "data/" + s.key)
        }
        let (need, overflow) = s.elementCount.multipliedReportingOverflow(by: s.dtype.byteSize)
        guard !overflow, need == e.size else {
            throw PyTorchBinError.storageSize(path: path, entry: e.name, elements: s.elementCount, dtype: s.dtype, bytes: e.size)
        }
        _ = try archive.verifiedBytes(e)
        checked[s.key] = (e, s)
        return e
    }

    /// The tensor a `_rebuild_tensor_v2` call describes, after checking that every element it can
    /// reach lies inside its storage. Row-major views alias the file; other strides are copied.
    mutating func tensor(_ t: TensorRef, name: String) throws -> RawTensor {
        let path = archive.path
        let e = try entry(for: t.storage, name: name)
        let dtype = t.storage.dtype, w = dtype.byteSize
        guard t.shape.count == t.strides.count else {
            throw PyTorchBinError.badView(path: path, name: name, why: "size \(t.shape) and stride \(t.strides) differ in rank")
        }
        guard let count = checkedElementCount(t.shape) else {
            throw PyTorchBinError.badView(path: path, name: name, why: "size \(t.shape) overflows or has a negative dimension")
        }
        guard t.storageOffset >= 0, t.strides.allSatisfy({ $0 >= 0 }) else {
            throw PyTorchBinError.badView(path: path, name: name, why: "negative storage offset \(t.storageOffset) or stride \(t.strides)")
        }
        // The furthest element: offset + Σ (size_i − 1)·stride_i, which must be < numel.
        if count > 0 {
            var last = t.storageOffset
            for (n, s) in Swift.zip(t.shape, t.strides) {
                let (m, o1) = (n - 1).multipliedReportingOverflow(by: s)
                let (sum, o2) = last.addingReportingOverflow(m)
                guard !o1, !o2 else { throw PyTorchBinError.viewOutOfBounds(path: path, name: name, offset: t.storageOffset, shape: t.shape, strides: t.strides, storageElements: t.storage.elementCount) }
                last = sum
            }
            guard last < t.storage.elementCount else {
                throw PyTorchBinError.viewOutOfBounds(path: path, name: name, offset: t.storageOffset, shape: t.shape, strides: t.strides, storageElements: t.storage.elementCount)
            }
        }
        let start = e.dataOffset + t.storageOffset * w
        if Self.isRowMajor(t.shape, t.strides), start % w == 0 {
            return try RawTensor(dtype: dtype, shape: t.shape, storage: archive.storage, offset: start, byteCount: count * w)
        }
        // A strided view (a transpose, an expand, a column slice): gather into row-major order.
        let (s, out) = ByteStorage.allocate(count: count * w, origin: "\(path):\(name)")
        let src = archive.storage.base + e.dataOffset
        var index = [Int](repeating: 0, count: t.shape.count)
        for i in 0..<count {
            var at = t.storageOffset
            for d in 0..<index.count { at += index[d] * t.strides[d] }
            (out + i * w).copyMemory(from: src + at * w, byteCount: w)
            var d = index.count - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < t.shape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        return try RawTensor(dtype: dtype, shape: t.shape, storage: s, offset: 0, byteCount: count * w)
    }

    /// True when the strides are the row-major ones (dimensions of size 1 may have any stride).
    static func isRowMajor(_ shape: [Int], _ strides: [Int]) -> Bool {
        var expected = 1
        for (n, s) in Swift.zip(shape, strides).reversed() {
            if n == 0 { return true }
            if n != 1, s != expected { return false }
            expected *= n
        }
        return true
    }
}

/// A PyTorch checkpoint bertkit will not read, naming the file and the tensor or entry.
public enum PyTorchBinError: LocalizedError, Equatable {
    case legacyFormat(path: String, kind: String)
    case notAStateDictArchive(path: String, found: [String])
    case byteOrder(path: String, found: String)
    case notADict(path: String, found: String)
    case nonStringKey(path: String, found: String)
    case notATensor(path: String, name: String, found: String)
    case duplicateName(path: String, name: String)
    case missingStorage(path: String, name: String, entry: String)
    case storageSize(path: String, entry: String, elements: Int, dtype: DType, bytes: Int)
    case inconsistentStorage(path: String, entry: String, name: String)
    case badView(path: String, name: String, why: String)
    case viewOutOfBounds(path: String, name: String, offset: Int, shape: [Int], strides: [Int], storageElements: Int)

    public var errorDescription: String? {
        switch self {
        case .legacyFormat(let p, let k):
            return "\(p): this is the legacy torch.save format (\(k), written by torch < 1.6), which bertkit does not read"
                + "\n---> HINT: re-save it with a current torch: torch.save(torch.load(f, weights_only=True), 'pytorch_model.bin'),"
                + " or convert it to model.safetensors"
        case .notAStateDictArchive(let p, let f):
            let found = f.isEmpty ? "none" : f.joined(separator: ", ")
            return "\(p): expected exactly one <archive>/data.pkl entry as torch.save writes, found \(found)"
        case .byteOrder(let p, let f):
            return "\(p): storages are stored \(f)-endian; bertkit reads only little-endian checkpoints"
        case .notADict(let p, let f):
            return "\(p): the pickle holds a \(f), not a state dict"
                + "\n---> HINT: save model.state_dict(), not the model object"
        case .nonStringKey(let p, let f):
            return "\(p): the state dict has a \(f) key; state dict keys are strings"
        case .notATensor(let p, let n, let f):
            return "\(p): state dict entry \(n) is a \(f), not a tensor"
                + "\n---> HINT: a training checkpoint wraps the weights; save checkpoint['model'] or model.state_dict() on its own"
        case .duplicateName(let p, let n):
            return "\(p): duplicate tensor name \(n)"
        case .missingStorage(let p, let n, let e):
            return "\(p): tensor \(n) views storage \(e), which is not in the archive"
        case .storageSize(let p, let e, let n, let d, let b):
            return "\(p): storage \(e) should hold \(n) \(d.rawValue) elements but has \(b) bytes"
        case .inconsistentStorage(let p, let e, let n):
            return "\(p): tensor \(n) describes storage \(e) with another type or element count than an earlier tensor did"
        case .badView(let p, let n, let w):
            return "\(p): tensor \(n): \(w)"
        case .viewOutOfBounds(let p, let n, let o, let s, let st, let e):
            return "\(p): tensor \(n) (offset \(o), size \(s), stride \(st)) reaches past the end of its storage of \(e) elements"
        }
    }
}

import BertTensors
import Foundation

/// A .bkm file, memory-mapped (`formats/bkm.md`). Opening checks the preamble, the header checksum,
/// the header and the tensor table against the file's size; tensor checksums are checked when a
/// tensor is read (`tensor(_:)`), or all at once by `checkpoint()`, so that `inspect` touches only
/// the tensors it prints.
public struct BKMFile: Sendable {
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let dtype: DType
        public let shape: [Int]
        /// Offset from the start of the file.
        public let fileOffset: Int
        public let byteCount: Int
        public let crc32c: UInt32
        public let sourceName: String
        public var elementCount: Int { byteCount / dtype.byteSize }
    }

    public let path: String
    public let storage: ByteStorage
    public let version: UInt32
    public let headerLength: Int
    /// Where the tensor data section starts (`D`).
    public let dataStart: Int
    public let config: BertConfig
    public let labels: [String]
    public let tokenizer: TokenizerSettings?
    public let vocabulary: Vocabulary?
    /// The source's tokenizer files byte for byte (empty in version 1 files).
    public let tokenizerFiles: [String: [UInt8]]
    public let sentenceTransformers: SentenceTransformersSettings?
    /// The architecture the header records (version 2); nil in version 1 files, where it is inferred.
    public let architecture: Architecture?
    public let provenance: Provenance
    /// What the source held that the model does not carry (pre-training heads, buffers).
    public let loadReport: LoadReport
    public let entries: [Entry]

    public static func open(path: String) throws -> BKMFile {
        try BKMFile(storage: ByteStorage.map(path: path), path: path)
    }

    public init(storage: ByteStorage, path: String) throws {
        self.path = path
        self.storage = storage
        let size = storage.count
        guard size >= BKMLayout.preambleSize else { throw BKMError.truncated(file: path, size: size) }            // B1
        let b = storage.base
        let magic = [UInt8](storage.slice(offset: 0, length: 4)!)
        guard magic == BKMLayout.magic else { throw BKMError.badMagic(file: path, found: magic) }                  // B2
        version = b.loadUnaligned(fromByteOffset: 4, as: UInt32.self).littleEndian
        guard BKMLayout.readable.contains(version) else { throw BKMError.unsupportedVersion(file: path, version: version) }  // B3
        let h = b.loadUnaligned(fromByteOffset: 8, as: UInt64.self).littleEndian
        guard h <= UInt64(BKMLayout.maxHeaderLength) else { throw BKMError.headerTooLarge(file: path, length: h) }   // B4
        let available = size - BKMLayout.preambleSize
        guard h <= UInt64(available) else { throw BKMError.headerPastEnd(file: path, length: h, available: available) }  // B5
        headerLength = Int(h)
        let header = storage.slice(offset: BKMLayout.preambleSize, length: headerLength)!
        let stored = b.loadUnaligned(fromByteOffset: 16, as: UInt32.self).littleEndian
        let computed = FileDigest.crc32c(header, seed: FileDigest.crc32c(storage.slice(offset: 0, length: 16)!))
        guard stored == computed else { throw BKMError.headerChecksum(file: path, stored: stored, computed: computed) }  // B6
        let reserved = b.loadUnaligned(fromByteOffset: 20, as: UInt32.self).littleEndian
        guard reserved == 0 else { throw BKMError.reservedNotZero(file: path, value: reserved) }                    // B7
        dataStart = BKMLayout.aligned(BKMLayout.preambleSize + headerLength)!

        let r = BKMHeaderReader(file: path, version: version)
        let root = try r.parse([UInt8](header))                                                                    // B8
        try r.requireExactKeys(root, version == 1 ? BKMLayout.headerKeysV1 : BKMLayout.headerKeys, at: "")       // B9
        guard root["format"]?.stringValue == BKMLayout.formatName else {
            throw BKMError.badField(file: path, field: "format", problem: "expected \"\(BKMLayout.formatName)\", found \(root["format"]!.kind)")
        }
        config = try BertConfig(json: r.object(root, "config"), file: "\(path): header.config")                    // B10
        labels = try r.strings(root["labels"]!, field: "labels")
        guard labels == config.id2label else { throw BKMError.labelsDisagree(file: path, labels: labels, config: config.id2label) }  // B11
        if let t = try r.optionalObject(root, "tokenizer") {
            var s = TokenizerSettings()
            try s.apply(t, file: "\(path): header.tokenizer")
            s.raw = t
            tokenizer = s
        } else {
            tokenizer = nil
        }
        if let v = root["vocabulary"], !v.isNull {
            vocabulary = try Vocabulary(tokens: r.strings(v, field: "vocabulary"), source: "\(path): header.vocabulary")  // B12
        } else {
            vocabulary = nil
        }
        architecture = version == 1 ? nil : try r.architecture(root, config: config)                                              // B27
        if version == 1 {
            tokenizerFiles = [:]
            sentenceTransformers = try r.poolingV1(root)                                                           // B13
        } else {
            tokenizerFiles = try r.tokenizerFiles(root)                                                            // B24
            sentenceTransformers = try r.sentenceTransformers(root, hiddenSize: config.hiddenSize)                 // B13, B25
        }
        provenance = try r.provenance(r.object(root, "provenance"))
        loadReport = try r.loadReport(r.object(root, "load_report"))

        guard let table = root["tensors"]!.arrayValue else {
            throw BKMError.badField(file: path, field: "tensors", problem: "expected an array, found \(root["tensors"]!.kind)")
        }
        let dataBytes = try r.count(root["data_bytes"]!, field: "data_bytes")
        var entries: [Entry] = []
        var seen = Set<String>()
        var end = 0
        for (k, e) in table.enumerated() {
            let t = try r.tensorEntry(e, index: k)                                                                 // B14, B16, B17
            guard seen.insert(t.name).inserted else { throw BKMError.duplicateTensor(file: path, name: t.name) }   // B15
            let expected = BKMLayout.aligned(end)!
            guard t.offset == expected else { throw BKMError.misplaced(file: path, tensor: t.name, offset: t.offset, expected: expected) }  // B18
            guard case let (e2, o) = t.offset.addingReportingOverflow(t.bytes), !o, e2 <= Int.max - dataStart else {
                throw BKMError.misplaced(file: path, tensor: t.name, offset: t.offset, expected: expected)
            }
            end = e2
            entries.append(Entry(name: t.name, dtype: t.dtype, shape: t.shape, fileOffset: dataStart + t.offset,
                                 byteCount: t.bytes, crc32c: t.crc, sourceName: t.sourceName))
        }
        guard dataBytes == end else { throw BKMError.dataSizeMismatch(file: path, field: "header.data_bytes", expected: end, found: dataBytes) }  // B19
        guard dataBytes <= Int.max - dataStart, dataStart + dataBytes == size else {
            throw BKMError.dataSizeMismatch(file: path, field: "file size", expected: dataStart &+ dataBytes, found: size)
        }
        self.entries = entries
    }

    public func entry(_ name: String) -> Entry? { entries.first { $0.name == name } }

    /// The tensor's bytes in place (no copy); with `verify`, its checksum is checked first (B20).
    public func tensor(_ e: Entry, verify: Bool = true) throws -> RawTensor {
        let t = try RawTensor(dtype: e.dtype, shape: e.shape, storage: storage, offset: e.fileOffset, byteCount: e.byteCount)
        if verify {
            let c = FileDigest.crc32c(t.bytes)
            guard c == e.crc32c else { throw BKMError.tensorChecksum(file: path, tensor: e.name, stored: e.crc32c, computed: c) }
        }
        return t
    }

    public func tensor(_ name: String, verify: Bool = true) throws -> RawTensor? {
        try entry(name).map { try tensor($0, verify: verify) }
    }

    /// Every tensor under its canonical name.
    public func named(verify: Bool) throws -> NamedTensors {
        NamedTensors(file: path, naming: .canonical, entries: try entries.map { ($0.name, try tensor($0, verify: verify)) })
    }

    /// The BERT parameters, and apart from them the sentence-transformers modules' tensors
    /// (names starting `sentence_transformers.`).
    public func split(verify: Bool) throws -> (parameters: NamedTensors, modules: [(name: String, tensor: RawTensor)]) {
        var all = try named(verify: verify)
        let isModule = { (n: String) in n.hasPrefix(SentenceTransformersSettings.tensorPrefix) }
        let modules = all.entries.filter { isModule($0.name) }
        all.entries.removeAll { isModule($0.name) }
        return (all, modules)
    }

    /// The model, every checksum verified unless `verify` is false; bound strictly to the config (B21).
    public func checkpoint(verify: Bool = true) throws -> Checkpoint {
        let (parameters, modules) = try split(verify: verify)
        var c = try Checkpoint.bind(config: config, tensors: parameters, vocabulary: vocabulary, tokenizer: tokenizer,
                                    sentenceTransformers: sentenceTransformers, moduleTensors: modules, provenance: provenance)
        c.tokenizerFiles = tokenizerFiles
        let stray = c.report.unexpected + c.report.unused + c.report.ignored + c.report.tied
        guard stray.isEmpty else { throw BKMError.unexpectedTensors(file: path, names: stray) }
        // The header says what the file is; the tensors and config must make exactly that (B27).
        if let a = architecture, a != c.architecture {
            throw BKMError.badField(file: path, field: "architecture", problem: "records \(a.className) (pooler \(a.pooler), "
                + "carried \(a.carried.map(\.name))), but the config and tensors make \(c.architecture.className) "
                + "(pooler \(c.architecture.pooler), carried \(c.architecture.carried.map(\.name)))")
        }
        (c.report.unused, c.report.unexpected, c.report.ignored, c.report.tied) =
            (loadReport.unused, loadReport.unexpected, loadReport.ignored, loadReport.tied)
        c.sourceNames = Dictionary(entries.map { ($0.name, $0.sourceName) }, uniquingKeysWith: { a, _ in a })
        return c
    }
}

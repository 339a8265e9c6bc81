import BertTensors
import Foundation

/// Typed reads of the .bkm header JSON; every error names the file and the header field.
struct BKMHeaderReader {
    let file: String
    let version: UInt32

    struct TensorEntry {
        let name: String
        let dtype: DType
        let shape: [Int]
        let offset: Int
        let bytes: Int
        let crc: UInt32
        let sourceName: String
    }

    func bad(_ field: String, _ problem: String) -> BKMError { .badField(file: file, field: field, problem: problem) }

    func parse(_ bytes: [UInt8]) throws -> JSONObject {
        guard String(validating: bytes, as: UTF8.self) != nil else { throw BKMError.headerNotJSON(file: file, reason: "not valid UTF-8") }
        let v: JSONValue
        do { v = try JSONParser.parse(bytes, file: file + " (header)") } catch let e as JSONError {
            throw BKMError.headerNotJSON(file: file, reason: e.localizedDescription)
        }
        guard let o = v.objectValue else { throw BKMError.headerNotJSON(file: file, reason: "found \(v.kind)") }
        return o
    }

    func requireExactKeys(_ o: JSONObject, _ keys: [String], at prefix: String) throws {
        for k in keys where o[k] == nil { throw bad(prefix + k, "missing") }
        for k in o.keys where !keys.contains(k) { throw bad(prefix + k, "unknown key (a version \(version) header has no such key)") }
    }

    func object(_ o: JSONObject, _ key: String) throws -> JSONObject {
        guard let v = o[key]?.objectValue else { throw bad(key, "expected an object, found \(o[key]?.kind ?? "nothing")") }
        return v
    }

    func optionalObject(_ o: JSONObject, _ key: String) throws -> JSONObject? {
        guard let v = o[key], !v.isNull else { return nil }
        guard let obj = v.objectValue else { throw bad(key, "expected an object or null, found \(v.kind)") }
        return obj
    }

    func string(_ v: JSONValue?, field: String) throws -> String {
        guard let s = v?.stringValue else { throw bad(field, "expected a string, found \(v?.kind ?? "nothing")") }
        return s
    }

    func strings(_ v: JSONValue, field: String) throws -> [String] {
        guard let a = v.arrayValue else { throw bad(field, "expected an array of strings, found \(v.kind)") }
        return try a.enumerated().map { k, e in try string(e, field: "\(field)[\(k)]") }
    }

    /// An exact non-negative integer that fits Int (never through Double).
    func count(_ v: JSONValue, field: String) throws -> Int {
        guard let i = v.intValue, i >= 0 else { throw bad(field, "expected a non-negative integer, found \(v.kind)") }
        return i
    }

    func bool(_ v: JSONValue?, field: String) throws -> Bool {
        guard let b = v?.boolValue else { throw bad(field, "expected true or false, found \(v?.kind ?? "nothing")") }
        return b
    }

    func poolingMode(_ v: JSONValue?, field: String) throws -> SentencePooling.Mode {
        let m = try string(v, field: field)
        guard let mode = SentencePooling.Mode(rawValue: m) else {
            throw bad(field, "expected mean, cls, max or mean_sqrt_len, found \"\(m)\"")
        }
        return mode
    }

    /// Version 1's `pooling` ({mode, normalize}): the Pooling module, then Normalize when set.
    func poolingV1(_ root: JSONObject) throws -> SentenceTransformersSettings? {
        guard let p = try optionalObject(root, "pooling") else { return nil }
        try requireExactKeys(p, BKMLayout.poolingKeysV1, at: "pooling.")
        return SentenceTransformersSettings(pooling: try poolingMode(p["mode"], field: "pooling.mode"),
                                            normalize: try bool(p["normalize"], field: "pooling.normalize"))
    }

    /// `tokenizer_files`: file name → contents, for the names the version allows (§2.3, B24, B28, B29).
    func tokenizerFiles(_ root: JSONObject) throws -> [String: [UInt8]] {
        let o = try object(root, "tokenizer_files")
        let names = BKMLayout.tokenizerFileNames(version: version)
        var out: [String: [UInt8]] = [:]
        for (name, v) in o {
            guard names.contains(name) else {
                throw bad("tokenizer_files.\(name)", "not a tokenizer file name of a version \(version) file; expected one of \(names.joined(separator: ", "))")
            }
            let text = try string(v, field: "tokenizer_files.\(name)")
            if TokenizerFiles.isBinary(name) {
                // Foundation's decoder refuses anything but the alphabet and padding, as §2.3 asks.
                guard let d = Data(base64Encoded: text) else {
                    throw bad("tokenizer_files.\(name)", "expected the file's bytes in base64 (RFC 4648, padded, no line breaks)")
                }
                out[name] = [UInt8](d)
            } else {
                out[name] = Array(text.utf8)
            }
        }
        if (out["vocab.json"] == nil) != (out["merges.txt"] == nil) {
            throw bad("tokenizer_files.\(out["vocab.json"] == nil ? "merges.txt" : "vocab.json")",
                      "vocab.json and merges.txt come together (RoBERTa's tokenizer needs both)")
        }
        return out
    }

    func provenance(_ o: JSONObject) throws -> Provenance {
        try requireExactKeys(o, BKMLayout.provenanceKeys, at: "provenance.")
        var p = Provenance()
        guard let sources = o["sources"]?.arrayValue else { throw bad("provenance.sources", "expected an array") }
        p.sources = try sources.enumerated().map { k, s in
            let f = "provenance.sources[\(k)]"
            guard let so = s.objectValue else { throw bad(f, "expected an object, found \(s.kind)") }
            try requireExactKeys(so, BKMLayout.sourceKeys, at: f + ".")
            return Provenance.Source(file: try string(so["file"], field: f + ".file"), sha256: try string(so["sha256"], field: f + ".sha256"),
                                     bytes: try count(so["bytes"]!, field: f + ".bytes"))
        }
        p.tool = try string(o["tool"], field: "provenance.tool")
        p.created = try string(o["created"], field: "provenance.created")
        p.sourceFormat = try string(o["source_format"], field: "provenance.source_format")
        return p
    }

    func loadReport(_ o: JSONObject) throws -> LoadReport {
        try requireExactKeys(o, version == 1 ? BKMLayout.reportKeysV1 : BKMLayout.reportKeys, at: "load_report.")
        var r = LoadReport()
        r.unused = try strings(o["unused"]!, field: "load_report.unused")
        r.unexpected = try strings(o["unexpected"]!, field: "load_report.unexpected")
        r.ignored = try strings(o["ignored"]!, field: "load_report.ignored")
        if version > 1 { r.tied = try strings(o["tied"]!, field: "load_report.tied") }
        return r
    }

    /// `architecture` (B27): what the file is, as recorded; the caller checks it against what the
    /// config and tensors make.
    func architecture(_ root: JSONObject, config: BertConfig) throws -> Architecture {
        let o = try object(root, "architecture")
        try requireExactKeys(o, BKMLayout.architectureKeys, at: "architecture.")
        let type = try string(o["model_type"], field: "architecture.model_type")
        guard type == config.modelType else {
            throw bad("architecture.model_type", "\"\(type)\" disagrees with the config's model_type \"\(config.modelType)\"")
        }
        let family = config.family
        let cls = try string(o["class"], field: "architecture.class")
        guard let head = family.head(forClass: cls) else {
            throw bad("architecture.class", "\"\(cls)\" is not a \(family) class bertkit knows (\(family.classNames.joined(separator: ", ")))")
        }
        let headName = try string(o["head"], field: "architecture.head")
        guard headName == head.rawValue else { throw bad("architecture.head", "\"\(headName)\" is not \(cls)'s head (\(head.rawValue))") }
        guard let ties = o["tied"]?.arrayValue else { throw bad("architecture.tied", "expected an array") }
        var tied: [(String, String)] = []
        for (k, t) in ties.enumerated() {
            guard let to = t.objectValue else { throw bad("architecture.tied[\(k)]", "expected an object, found \(t.kind)") }
            try requireExactKeys(to, BKMLayout.tieKeys, at: "architecture.tied[\(k)].")
            tied.append((try string(to["tensor"], field: "architecture.tied[\(k)].tensor"), try string(to["to"], field: "architecture.tied[\(k)].to")))
        }
        let carried = try strings(o["carried"]!, field: "architecture.carried").enumerated().map { k, n in
            guard let p = BertParameter(name: n) else { throw bad("architecture.carried[\(k)]", "\"\(n)\" is not a \(family) parameter") }
            return p
        }
        let a = Architecture(modelType: type, head: head, pooler: try bool(o["pooler"], field: "architecture.pooler"),
                             tiedDecoder: config.tieWordEmbeddings, carried: carried)
        guard tied.map({ [$0.0, $0.1] }) == a.ties.map({ [$0.tensor.name, $0.to.name] }) else {
            throw bad("architecture.tied", "expected \(a.ties.map { "\($0.tensor.name) → \($0.to.name)" }) for \(cls), found \(tied.map { "\($0.0) → \($0.1)" })")
        }
        return a
    }

    func tensorEntry(_ v: JSONValue, index k: Int) throws -> TensorEntry {
        guard let o = v.objectValue else { throw bad("tensors[\(k)]", "expected an object, found \(v.kind)") }
        guard let name = o["name"]?.stringValue else { throw bad("tensors[\(k)].name", "expected a string, found \(o["name"]?.kind ?? "nothing")") }
        func badT(_ field: String, _ p: String) -> BKMError { .badTensor(file: file, tensor: name, field: field, problem: p) }
        for key in BKMLayout.tensorKeys where o[key] == nil { throw badT(key, "missing") }
        for key in o.keys where !BKMLayout.tensorKeys.contains(key) { throw badT(key, "unknown key") }
        func int(_ key: String) throws -> Int {
            guard let i = o[key]!.intValue, i >= 0 else { throw badT(key, "expected a non-negative integer, found \(o[key]!.kind)") }
            return i
        }
        guard let ds = o["dtype"]!.stringValue else { throw badT("dtype", "expected a string, found \(o["dtype"]!.kind)") }
        guard let dtype = DType(rawValue: ds), DType.storable.contains(dtype) else {
            throw BKMError.unsupportedDType(file: file, tensor: name, dtype: ds)
        }
        guard let sa = o["shape"]!.arrayValue else { throw badT("shape", "expected an array of integers, found \(o["shape"]!.kind)") }
        let shape = try sa.enumerated().map { i, d in
            guard let n = d.intValue, n >= 0 else { throw badT("shape[\(i)]", "expected a non-negative integer, found \(d.kind)") }
            return n
        }
        let offset = try int("offset"), bytes = try int("bytes")
        let crc = try int("crc32c")
        guard crc <= Int(UInt32.max) else { throw badT("crc32c", "\(crc) does not fit 32 bits") }
        guard let sourceName = o["source_name"]!.stringValue else { throw badT("source_name", "expected a string, found \(o["source_name"]!.kind)") }
        guard let n = checkedElementCount(shape), case let (need, of) = n.multipliedReportingOverflow(by: dtype.byteSize), !of else {
            throw BKMError.shapeOverflow(file: file, tensor: name, shape: shape)
        }
        guard need == bytes else { throw BKMError.sizeMismatch(file: file, tensor: name, expected: need, found: bytes) }
        return TensorEntry(name: name, dtype: dtype, shape: shape, offset: offset, bytes: bytes, crc: UInt32(crc), sourceName: sourceName)
    }
}

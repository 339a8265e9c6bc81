import BertFormats
import Foundation

/// Each target's seed corpus, made from the committed fixtures (golden/): the files as they are,
/// plus what a target needs derived from them (.bkm conversions, the `data.pkl` inside each
/// .bin, a protocol-4 framed pickle). .ci/fuzz writes them with `write(to:)`; the regression
/// tests replay them. Files over `maxBytes` are left out: libFuzzer mutates small inputs faster.
extension FuzzTarget {
    public static let maxSeedBytes = 256 << 10

    /// Globs under the repository root.
    var seedPatterns: [String] {
        switch self {
        case .safetensors: ["golden/fixtures/*/*.safetensors", "golden/fixtures/*.safetensors", "golden/expected/*.safetensors"]
        case .safetensorsIndex: ["golden/fixtures/tiny-bert-sharded/model.safetensors.index.json"]
        case .bkm: []
        case .zip: ["golden/fixtures/formats/*/pytorch_model.bin", "golden/fixtures/formats/broken/*.bin"]
        case .pickle: []
        case .json: ["golden/fixtures/*/*.json", "golden/fixtures/formats/*/*.json", "golden/expected/*.json"]
        case .config: ["golden/fixtures/*/config.json", "golden/fixtures/formats/*/config.json"]
        case .vocab: ["golden/fixtures/*/vocab.txt", "golden/fixtures/tiny-vocab.txt"]
        case .tokenizerJSON: ["golden/fixtures/*/tokenizer.json"]
        case .tokenizerConfig: ["golden/fixtures/*/tokenizer_config.json", "golden/fixtures/*/special_tokens_map.json"]
        case .vocabMerges, .charsmap: []
        case .sentencePiece: ["golden/fixtures/tokenizers/*/*.model"]
        case .csv: ["golden/data/*.csv", "golden/data/*/*.csv"]
        case .jsonl: ["golden/corpus/*.jsonl", "golden/expected/tokenizer/offsets.jsonl"]
        case .golden: ["golden/expected/tiny-*.safetensors"]
        case .hdf5: ["golden/fixtures/formats/*/*.h5"]
        }
    }

    /// Every `precompiled_charsmap` string in a tokenizer.json.
    static func charsmaps(in v: JSONValue) -> [String] {
        if let o = v.objectValue {
            return o.flatMap { k, x in k == "precompiled_charsmap" ? (x.stringValue.map { [$0] } ?? []) : charsmaps(in: x) }
        }
        return v.arrayValue?.flatMap(charsmaps(in:)) ?? []
    }

    /// Every seed: (a name for the file, its bytes).
    public func seeds() throws -> [(name: String, bytes: [UInt8])] {
        var out: [(name: String, bytes: [UInt8])] = []
        for pattern in seedPatterns {
            for path in Self.glob(Fixtures.root + "/" + pattern) {
                guard let d = FileManager.default.contents(atPath: path), d.count <= Self.maxSeedBytes else { continue }
                out.append((String(path.dropFirst(Fixtures.root.count + 1)).replacingOccurrences(of: "/", with: "_"), [UInt8](d)))
            }
        }
        switch self {
        case .bkm:
            for fixture in ["tiny-bert", "tiny-cls", "tiny-cls-tokjson"] {
                let c = try CheckpointLoader.load(path: Fixtures.root + "/golden/fixtures/" + fixture)
                for (suffix, model) in [("", c), ("-f16", c.converted(to: .f16))] {
                    let path = Scratch.shared.root + "/seed.bkm"
                    try BKMWriter.write(model, to: path)
                    out.append((fixture + suffix + ".bkm", [UInt8](FileManager.default.contents(atPath: path)!)))
                }
            }
        case .vocabMerges:
            // vocab.json, a NUL, merges.txt (Targets.vocabMerges splits them there).
            let dir = Fixtures.root + "/golden/fixtures/tokenizers/roberta-bpe/"
            if let v = FileManager.default.contents(atPath: dir + "vocab.json"), let m = FileManager.default.contents(atPath: dir + "merges.txt") {
                out.append(("roberta-bpe.vocab-merges", [UInt8](v) + [0] + [UInt8](m)))
            }
        case .charsmap:
            // Each fixture's normalization table, as the bytes its tokenizer.json holds in base64.
            for path in Self.glob(Fixtures.root + "/golden/fixtures/tokenizers/*/tokenizer.json") {
                guard let j = try? JSONParser.parse(contentsOf: path) else { continue }
                let name = (path as NSString).deletingLastPathComponent.split(separator: "/").last.map(String.init) ?? "fixture"
                for (k, b64) in Self.charsmaps(in: j).enumerated() {
                    if let d = Data(base64Encoded: b64) { out.append(("\(name)-\(k).charsmap", [UInt8](d))) }
                }
            }
        case .pickle:
            for (name, bin) in try FuzzTarget.zip.seeds() {
                guard let pkl = Self.storedEntry(endingWith: "/data.pkl", in: bin) else { continue }
                out.append((name + ".data.pkl", pkl))
                // The same state dict as pickle.dumps(protocol=4) frames it.
                if pkl.starts(with: [0x80, 0x02]) {
                    let body = Array(pkl.dropFirst(2))
                    out.append((name + ".proto4.pkl", [0x80, 0x04, 0x95] + withUnsafeBytes(of: UInt64(body.count).littleEndian, Array.init) + body))
                }
            }
        default: break
        }
        return out
    }

    /// Writes the seeds into `dir` (created if needed).
    public func writeSeeds(to dir: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, bytes) in try seeds() { try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + name)) }
    }

    static func glob(_ pattern: String) -> [String] {
        var g = glob_t()
        defer { globfree(&g) }
        guard Glibc.glob(pattern, 0, nil, &g) == 0 else { return [] }
        return (0..<Int(g.gl_pathc)).compactMap { g.gl_pathv[$0].map { String(cString: $0) } }.sorted()
    }

    /// A stored entry's bytes, found through the central directory (torch leaves the local
    /// headers' sizes zero). Only for making seeds from trusted fixtures.
    static func storedEntry(endingWith suffix: String, in zip: [UInt8]) -> [UInt8]? {
        func u16(_ o: Int) -> Int { Int(zip[o]) | Int(zip[o + 1]) << 8 }
        func u32(_ o: Int) -> Int { u16(o) | u16(o + 2) << 16 }
        guard zip.count >= 22, let eocd = stride(from: zip.count - 22, through: 0, by: -1).first(where: { u32($0) == 0x0605_4B50 }) else { return nil }
        var p = u32(eocd + 16)
        for _ in 0..<u16(eocd + 10) {
            guard p + 46 <= zip.count, u32(p) == 0x0201_4B50 else { return nil }
            let size = u32(p + 24), n = u16(p + 28), local = u32(p + 42)
            let name = String(decoding: zip[(p + 46)..<(p + 46 + n)], as: UTF8.self)
            if name.hasSuffix(suffix) {
                let data = local + 30 + u16(local + 26) + u16(local + 28)
                return Array(zip[data..<(data + size)])
            }
            p += 46 + n + u16(p + 30) + u16(p + 32)
        }
        return nil
    }
}

extension FuzzTarget {
    /// With `BERTKIT_FUZZ_SEEDS=<dir>` set, writes the seeds there and exits (for .ci/fuzz).
    public func writeSeedsIfAsked() {
        guard let dir = ProcessInfo.processInfo.environment["BERTKIT_FUZZ_SEEDS"] else { return }
        do {
            try writeSeeds(to: dir)
            exit(0)
        } catch {
            FileHandle.standardError.write(Data("cannot write the \(rawValue) seeds: \(error)\n".utf8))
            exit(1)
        }
    }
}

import BertFormats
import BertTensors
import BertTokenizer
import BertVerify
import Foundation

/// The body of each target: read, then check what was accepted.
enum Targets {
    static func storage(_ bytes: UnsafeRawBufferPointer, _ file: String) -> ByteStorage { ByteStorage(copying: bytes, origin: file) }

    static func safetensors(_ bytes: UnsafeRawBufferPointer, file: String) throws {
        let st = try SafeTensorsFile(storage: storage(bytes, file), path: file)
        for (_, t) in st.tensors { _ = TensorStats(of: t) }
        // Names and shapes from a stranger then meet the binder, as `inspect` and `convert` would.
        _ = try? Checkpoint.bind(config: Fixtures.config, tensors: st.named)
    }

    static func safetensorsIndex(_ bytes: UnsafeRawBufferPointer, file: String) throws {
        Scratch.shared.write(bytes, to: file)
        let s = try ShardedSafeTensors.read(indexPath: file)
        let folder = URL(fileURLWithPath: Scratch.shared.root).resolvingSymlinksInPath().path + "/"
        for p in s.shardPaths where !URL(fileURLWithPath: p).resolvingSymlinksInPath().path.hasPrefix(folder) {
            throw InvariantViolation("the index was read with a shard outside its folder: \(p)")
        }
    }

    static func bkm(_ bytes: UnsafeRawBufferPointer, file: String) throws {
        // As given (the header checksum then refuses nearly every mutation), then with the
        // checksum made right, so mutations reach the header's JSON and the tensor table.
        if let patched = BKMPatch.withHeaderChecksum(bytes) {
            if let f = try? patched.withUnsafeBytes({ try BKMFile(storage: storage($0, file), path: file) }) {
                try roundTrip(f, file: file)
            }
        }
        let f = try BKMFile(storage: storage(bytes, file), path: file)
        try roundTrip(f, file: file)
    }

    /// What a .bkm holds, written again, reads back the same.
    static func roundTrip(_ f: BKMFile, file: String) throws {
        guard let c = try? f.checkpoint(verify: true) else { return }
        let again = Scratch.shared.root + "/again.bkm"
        try BKMWriter.write(c, to: again)
        let g = try BKMFile.open(path: again)
        // The config and tokenizer settings as written (typed fields over the file's keys), not
        // their raw keys: a key the file left out is written with its value.
        let differs = [("config", g.config.json == f.config.json), ("tensor names", g.entries.map(\.name) == f.entries.map(\.name)),
                       ("vocabulary", g.vocabulary == f.vocabulary), ("tokenizer", g.tokenizer?.json == f.tokenizer?.json),
                       ("sentence-transformers settings", g.sentenceTransformers == f.sentenceTransformers),
                       ("tokenizer files", g.tokenizerFiles == f.tokenizerFiles)].filter { !$0.1 }.map(\.0)
        guard differs.isEmpty else {
            throw InvariantViolation("a .bkm written from \(file) reads back with another \(differs.joined(separator: ", "))")
        }
    }

    static func zip(_ bytes: UnsafeRawBufferPointer, file: String) throws {
        let t = try PyTorchBinReader.read(storage: storage(bytes, file), path: file)
        for (_, x) in t.entries { _ = TensorStats(of: x) }
        _ = try? Checkpoint.bind(config: Fixtures.config, tensors: t)
    }

    static func pickle(_ bytes: UnsafeRawBufferPointer, file: String) throws {
        _ = try PyTorchBinReader.describeStateDict(pickle: bytes, source: file)
    }

    static func json(_ bytes: UnsafeRawBufferPointer, file: String) throws {
        let v = try JSONParser.parse([UInt8](bytes), file: file)
        // What bertkit writes (config.json, .bkm headers) it reads back as the same value.
        let text = v.serialized(indent: 2)
        let again: JSONValue
        do { again = try JSONParser.parse(Array(text.utf8), file: file) } catch {
            throw InvariantViolation("the serialization does not parse: \(error)\n\(text.prefix(500))")
        }
        guard again == v else { throw InvariantViolation("the serialization reads back as another value: \(text.prefix(500))") }
    }

    static func config(_ bytes: UnsafeRawBufferPointer, file: String) throws {
        guard case .object(let o) = try JSONParser.parse([UInt8](bytes), file: file) else {
            throw ConfigError(file: file, key: "(top level)", "expected an object")
        }
        let c = try BertConfig(json: o, file: file)
        // The config.json an export writes reads back as the same model.
        let again: BertConfig
        do { again = try BertConfig(json: c.json, file: file) } catch {
            throw InvariantViolation("the config bertkit writes is refused: \(error)")
        }
        var a = again, b = c
        (a.raw, b.raw) = (JSONObject(), JSONObject())
        guard a == b, again.json == c.json else { throw InvariantViolation("the config reads back differently") }
    }

    static func vocab(_ bytes: UnsafeRawBufferPointer, file: String) throws {
        Scratch.shared.write(bytes, to: file)
        let v = try Vocabulary(contentsOf: file)
        let again = Scratch.shared.root + "/again-vocab.txt"
        try v.fileContents.write(to: URL(fileURLWithPath: again))
        guard try Vocabulary(contentsOf: again) == v else { throw InvariantViolation("vocab.txt written from \(file) reads back differently") }
        try encode(vocabulary: v, settings: Fixtures.settings, file: file)
    }

    static func tokenizerJSON(_ bytes: UnsafeRawBufferPointer, file: String) throws {
        Scratch.shared.write(bytes, to: file)
        let (v, s) = try TokenizerJSON.read(path: file)
        try encode(vocabulary: v, settings: s, file: file)
    }

    /// RoBERTa's slow files: the input is vocab.json, a NUL byte, then merges.txt (no NUL: all of it
    /// is merges.txt beside an empty vocabulary).
    static func vocabMerges(_ bytes: UnsafeRawBufferPointer, file: String) throws {
        let all = [UInt8](bytes)
        let cut = all.firstIndex(of: 0)
        let vocab = cut.map { Array(all[..<$0]) } ?? Array("{}".utf8), merges = cut.map { Array(all[($0 + 1)...]) } ?? all
        let t = try PipelineTokenizer(vocabJSON: vocab, merges: merges, files: (file + " (vocab.json)", file + " (merges.txt)"))
        try encode(t, file: file)
    }

    /// A SentencePiece model protobuf, converted as each family's converter does.
    static func sentencePiece(_ bytes: UnsafeRawBufferPointer, file: String) throws {
        let data = [UInt8](bytes)
        var accepted = false, refusal: Error?
        for family: PipelineTokenizer.SentencePieceFamily in [.xlmRoberta, .albert(lowercase: true, keepAccents: false)] {
            do {
                try encode(try PipelineTokenizer(sentencePieceModel: data, file: file, family: family), file: file)
                accepted = true
            } catch let e as InvariantViolation {
                throw e
            } catch {
                refusal = error
            }
        }
        if !accepted, let refusal { throw refusal }
    }

    /// A Precompiled normalizer's charsmap (the SentencePiece trie and its strings), read through a
    /// tokenizer.json that holds it, then applied to hostile text.
    static func charsmap(_ bytes: UnsafeRawBufferPointer, file: String) throws {
        let json = #"{"normalizer": {"type": "Precompiled", "precompiled_charsmap": "\#(Data(bytes).base64EncodedString())"}, "#
            + #""pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true}, "#
            + #""model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0], ["▁", -1.0], ["a", -2.0]]}}"#
        let t = try PipelineTokenizer(json: try JSONParser.parse(Array(json.utf8), file: file), file: file)
        try encode(t, file: file)
    }

    /// A pipeline tokenizer that loads encodes hostile text (pairs; truncated and padded as the
    /// model paths do) to ids it has.
    static func encode(_ p: PipelineTokenizer, file: String) throws {
        let limit = p.vocabularySize
        for (text, pair) in [("Hello, wörld! 你好 <mask> ｶﾀｶﾅ ﬁ\u{0}\t\u{200B}x\u{301}", "a pair?"), ("", nil),
                             (String(repeating: "ab ", count: 100), "</s><s>")] {
            let e = try p.encode(text, pair: pair)
            guard e.ids.allSatisfy({ $0 >= 0 && $0 < limit }) else {
                throw InvariantViolation("encoded an id outside the vocabulary of \(limit): \(e.ids)")
            }
            _ = p.decode(e.ids)
            // A tokenizer without the special tokens the model paths need is refused there, by name.
            guard let m = try? ModelTokenizer(p, settings: TokenizerSettings.defaults(modelType: "roberta", tokenizerClass: nil), source: file)
            else { continue }
            let x = try m.encode([TextInput(text, pair: pair)], options: EncodingOptions(maxLength: 16, truncation: .longestFirst, padding: .maxLength))[0]
            guard x.count == 16, x.inputIds.allSatisfy({ $0 >= 0 && $0 < limit }) else {
                throw InvariantViolation("truncating and padding to 16 gave \(x.inputIds)")
            }
        }
    }

    static func tokenizerConfig(_ bytes: UnsafeRawBufferPointer, file: String) throws {
        Scratch.shared.write(bytes, to: file)
        let s = try TokenizerSettings(tokenizerConfig: file)
        try encode(vocabulary: Fixtures.vocabulary, settings: s, file: file)
    }

    /// A tokenizer that loads encodes hostile text to ids its vocabulary (or added tokens) has.
    static func encode(vocabulary: Vocabulary, settings: TokenizerSettings, file: String) throws {
        let t = try BertTokenizer(vocabulary: vocabulary, settings: settings, source: file)
        let limit = max(vocabulary.count, (settings.addedTokens.map(\.id).max() ?? -1) + 1)
        for (text, pair) in [("Hello, wörld! 你好 [MASK] un##aff\u{301}able \u{0}\t\u{200B}x", "a pair?"), ("", nil),
                             (String(repeating: "ab", count: 200), "[SEP][CLS]")] {
            let e = try t.encode(text, pair: pair, options: EncodingOptions(maxLength: 64, truncation: .longestFirst, padding: .maxLength))
            guard e.inputIds.allSatisfy({ $0 >= 0 && $0 < limit }) else {
                throw InvariantViolation("encoded an id outside the vocabulary of \(limit): \(e.inputIds)")
            }
            guard e.inputIds.count == 64, e.attentionMask.count == 64, e.tokenTypeIds.count == 64 else {
                throw InvariantViolation("padding to 64 gave \(e.inputIds.count) ids")
            }
        }
    }

    static func csv(_ bytes: UnsafeRawBufferPointer, file: String) throws {
        _ = try CSVReader(bytes: [UInt8](bytes), file: file).records()
        Scratch.shared.write(bytes, to: file)
        for problem in [ProblemType.singleLabel, .multiLabel, .regression] {
            do {
                let labels = problem == .regression
                    ? (0..<(try LabelledDataset.regressionTargetCount(in: file))).map { "t\($0)" }
                    : try LabelledDataset.labelNames(in: file, problem: problem)
                _ = try LabelledDataset(contentsOf: file, labels: labels, problem: problem)
                _ = try LabelledDataset(contentsOf: file, labels: labels, problem: problem, skipBadRows: true)
            } catch let e as BertKitError {
                // Each problem type refuses in its own way; every refusal must still be typed.
                guard e.errorDescription?.contains(file) == true else { throw e }
            }
        }
    }

    static func jsonl(_ bytes: UnsafeRawBufferPointer, file: String) throws {
        Scratch.shared.write(bytes, to: file)
        _ = try? TextLines.read(file)
        _ = try TextLines.readJSONL(file)
    }

    static func golden(_ bytes: UnsafeRawBufferPointer, file: String) throws {
        let st = try SafeTensorsFile(storage: storage(bytes, file), path: file)
        let g = try GoldenFile(file: st, layers: Fixtures.config.numHiddenLayers)
        _ = try g.input(config: Fixtures.config)
    }

    static func hdf5(_ bytes: UnsafeRawBufferPointer, file: String) throws {
        Scratch.shared.write(bytes, to: file)
        let t = try HDF5Reader.read(path: file)
        for (_, x) in t.entries { _ = TensorStats(of: x) }
        _ = try? Checkpoint.bind(config: Fixtures.config, tensors: t)
    }
}

/// Fixes a .bkm's header checksum (formats/bkm.md §1) so that mutations get past it.
enum BKMPatch {
    static func withHeaderChecksum(_ bytes: UnsafeRawBufferPointer) -> [UInt8]? {
        guard bytes.count >= 24 else { return nil }
        let h = bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self).littleEndian
        guard h <= UInt64(bytes.count - 24) else { return nil }
        var b = [UInt8](bytes)
        let crc = b.withUnsafeBytes { all in
            FileDigest.crc32c(UnsafeRawBufferPointer(rebasing: all[24..<24 + Int(h)]),
                              seed: FileDigest.crc32c(UnsafeRawBufferPointer(rebasing: all[0..<16])))
        }
        withUnsafeBytes(of: crc.littleEndian) { b.replaceSubrange(16..<20, with: $0) }
        return b
    }
}

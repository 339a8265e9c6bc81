import BertFormats
import BertTensors
import Foundation
import TestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// One test per rule of formats/bkm.md, each on a file broken by hand.
final class BKMTests: XCTestCase {
    /// A valid tiny .bkm in a fresh folder (of `checkpoint`, by default a tiny model with mean pooling + normalize).
    func validFile(labels: Int = 0, checkpoint: Checkpoint? = nil, function: String = #function) throws -> String {
        let p = Repo.temporaryDirectory(function) + "/tiny.bkm"
        try BKMWriter.write(checkpoint ?? TinyModel.checkpoint(labels: labels, sentenceTransformers: SentenceTransformersSettings(pooling: .mean, normalize: true)), to: p)
        return p
    }

    /// Breaks the file with `edit`, writes it back and returns the message `open` + `checkpoint` throws.
    func brokenMessage(_ edit: (inout BKMBytes) -> Void, headerText: [UInt8]? = nil, checkpoint: Checkpoint? = nil,
                               function: String = #function) throws -> String {
        let p = try validFile(checkpoint: checkpoint, function: function)
        var b = BKMBytes(path: p)
        edit(&b)
        b.write(to: p, headerText: headerText)
        let m = thrownMessage { _ = try BKMFile.open(path: p).checkpoint() }
        XCTAssertTrue(m.contains(p), "message does not name the file: \(m)")
        return m
    }

    func testB1TruncatedPreamble() throws {
        let p = try validFile()
        FileManager.default.createFile(atPath: p, contents: Data([0x42, 0x4B, 0x4D, 0, 1]))
        assertThrows(BKMError.truncated(file: p, size: 5), mentions: [p]) { _ = try BKMFile.open(path: p) }
    }

    func testB2BadMagic() throws {
        let m = try brokenMessage { $0.magic = [0x50, 0x4B, 3, 4] }
        XCTAssertTrue(m.contains("magic") && m.contains("50 4B 03 04"), m)
    }

    func testB3UnsupportedVersion() throws {
        let m = try brokenMessage { $0.version = 4 }
        XCTAssertTrue(m.contains("version: 4") && m.contains("reads versions 1 to 3") && m.contains("HINT"), m)
    }

    func testB4HeaderOverTheCap() throws {
        let m = try brokenMessage { $0.lengthOverride = 268_435_457 }
        XCTAssertTrue(m.contains("header_length") && m.contains("268,435,456"), m)
    }

    func testB5HeaderPastTheEnd() throws {
        let m = try brokenMessage { $0.lengthOverride = 10_000_000 }
        XCTAssertTrue(m.contains("header_length") && m.contains("truncated"), m)
    }

    func testB6HeaderChecksum() throws {
        XCTAssertTrue(try brokenMessage { $0.crcOverride = 0xDEAD_BEEF }.contains("header_crc32c: stored 0xDEADBEEF"))
        // One flipped byte inside the header on disk.
        let p = try validFile()
        var bytes = [UInt8](FileManager.default.contents(atPath: p)!)
        bytes[40] ^= 0x01
        FileManager.default.createFile(atPath: p, contents: Data(bytes))
        XCTAssertTrue(thrownMessage { _ = try BKMFile.open(path: p) }.contains("header_crc32c"))
    }

    func testB7ReservedNotZero() throws {
        XCTAssertTrue(try brokenMessage { $0.reserved = 1 }.contains("reserved: expected 0, found 1"))
    }

    func testB8HeaderNotJSON() throws {
        for text in ["[]", #"{"format": NaN}"#, "{\"a\":\"\u{1}\"}", #"{"a":1,"a":2}"#] {
            let m = try brokenMessage({ _ in }, headerText: Array(text.utf8))
            XCTAssertTrue(m.contains("header: not a JSON object"), m)
        }
        XCTAssertTrue(try brokenMessage({ _ in }, headerText: [0x7B, 0xFF, 0x7D]).contains("UTF-8"))
    }

    func testB9HeaderFields() throws {
        XCTAssertTrue(try brokenMessage { $0.header["provenance"] = nil }.contains("header.provenance: missing"))
        XCTAssertTrue(try brokenMessage { $0.header["shiny"] = .bool(true) }.contains("header.shiny: unknown key"))
        XCTAssertTrue(try brokenMessage { $0.header["format"] = .string("gguf") }.contains("header.format: expected \"bertkit-model\""))
        XCTAssertTrue(try brokenMessage { $0.header["config"] = .array([]) }.contains("header.config: expected an object"))
        XCTAssertTrue(try brokenMessage { $0.header["tensors"] = .object(JSONObject()) }.contains("header.tensors: expected an array"))
        XCTAssertTrue(try brokenMessage { $0.header["data_bytes"] = .number("-1") }.contains("header.data_bytes"))
        XCTAssertTrue(try brokenMessage { $0.header["provenance"] = .object(JSONObject([("tool", .string("x"))])) }
            .contains("header.provenance.sources: missing"))
        XCTAssertTrue(try brokenMessage {
            var r = $0.header["load_report"]!.objectValue!
            r["unused"] = .array([.int(3)])
            $0.header["load_report"] = .object(r)
        }.contains("header.load_report.unused[0]: expected a string"))
    }

    func testB10InvalidConfig() throws {
        let m = try brokenMessage {
            var c = $0.header["config"]!.objectValue!
            c["hidden_size"] = .int(5)
            $0.header["config"] = .object(c)
        }
        XCTAssertTrue(m.contains("header.config") && m.contains("\"hidden_size\"") && m.contains("not a multiple"), m)
        let m2 = try brokenMessage {
            var c = $0.header["config"]!.objectValue!
            c["layer_norm_eps"] = .string("small")
            $0.header["config"] = .object(c)
        }
        XCTAssertTrue(m2.contains("\"layer_norm_eps\"") && m2.contains("expected a number"), m2)
    }

    func testB11LabelsMustMatchConfig() throws {
        let m = try brokenMessage { $0.header["labels"] = .array([.string("spam")]) }
        XCTAssertTrue(m.contains("header.labels") && m.contains("spam"), m)
    }

    func testB12DuplicateVocabularyTokens() throws {
        let m = try brokenMessage {
            var v = $0.header["vocabulary"]!.arrayValue!
            v[6] = .string("hello")
            $0.header["vocabulary"] = .array(v)
        }
        XCTAssertTrue(m.contains("header.vocabulary") && m.contains("duplicate token \"hello\""), m)
    }

    /// Limits (formats/bkm.md §7): a crc32c of 2^32 − 1 is a valid field (the tensor then fails its
    /// checksum when read); 2^32 is refused when the header is read.
    func testB14Crc32cUpTo2To32Minus1() throws {
        let at = try brokenMessage { b in var t = b.tensors; t[1]["crc32c"] = .int(Int(UInt32.max)); b.tensors = t }
        XCTAssertTrue(at.contains("embeddings.position_embeddings.weight") && at.contains("stored 0xFFFFFFFF"), at)
        let past = try brokenMessage { b in var t = b.tensors; t[1]["crc32c"] = .int(Int(UInt32.max) + 1); b.tensors = t }
        XCTAssertTrue(past.contains("crc32c: 4294967296 does not fit 32 bits"), past)
    }

    func testB13BadPooling() throws {
        func pooling(_ key: String, _ v: JSONValue) throws -> String {
            try brokenMessage { b in b.edit("sentence_transformers") { st in st.editModule(0) { $0[key] = v } } }
        }
        XCTAssertTrue(try pooling("mode", .string("sum"))
            .contains("header.sentence_transformers.modules[0].mode: expected mean, cls, max or mean_sqrt_len, found \"sum\""))
        XCTAssertTrue(try pooling("include_prompt", .int(1)).contains("header.sentence_transformers.modules[0].include_prompt: expected true or false"))
    }

    func testB14TensorFields() throws {
        func edit(_ key: String, _ value: JSONValue?) throws -> String {
            try brokenMessage { b in var t = b.tensors; t[1][key] = value; b.tensors = t }
        }
        let name = "tensor \"embeddings.position_embeddings.weight\""
        XCTAssertTrue(try edit("crc32c", nil).contains("\(name): crc32c: missing"))
        XCTAssertTrue(try edit("offset", .number("-64")).contains("\(name): offset: expected a non-negative integer"))
        XCTAssertTrue(try edit("offset", .number("128.0")).contains("\(name): offset: expected a non-negative integer, found a fractional"))
        XCTAssertTrue(try edit("bytes", .number("99999999999999999999999")).contains("\(name): bytes"))
        XCTAssertTrue(try edit("shape", .string("6x4")).contains("\(name): shape: expected an array"))
        XCTAssertTrue(try edit("crc32c", .int(1 << 33)).contains("does not fit 32 bits"))
        XCTAssertTrue(try edit("colour", .string("red")).contains("\(name): colour: unknown key"))
        XCTAssertTrue(try brokenMessage { b in var t = b.tensors; t[0]["name"] = .int(3); b.tensors = t }.contains("header.tensors[0].name"))
    }

    func testB15DuplicateTensorNames() throws {
        let m = try brokenMessage { b in var t = b.tensors; t[2]["name"] = t[0]["name"]; b.tensors = t }
        XCTAssertTrue(m.contains("\"embeddings.word_embeddings.weight\": the name appears twice"), m)
    }

    func testB16UnsupportedDType() throws {
        for d in ["F64", "I64", "Q4"] {
            let m = try brokenMessage { b in var t = b.tensors; t[0]["dtype"] = .string(d); b.tensors = t }
            XCTAssertTrue(m.contains("dtype: \"\(d)\" is not stored in .bkm files"), m)
        }
    }

    func testB17ShapeAndBytes() throws {
        XCTAssertTrue(try brokenMessage { b in var t = b.tensors; t[0]["shape"] = .array([.int(1 << 62), .int(4)]); b.tensors = t }
            .contains("overflows"))
        XCTAssertTrue(try brokenMessage { b in var t = b.tensors; t[0]["bytes"] = .int(132); b.tensors = t }
            .contains("bytes: the shape and dtype need 128, found 132"))
    }

    func testB18OffsetsFollowTheLayout() throws {
        // Tensor 1 (6×4 f32 = 96 bytes) follows tensor 0 (128 bytes) at 128; tensor 2 at 256.
        for (k, off, expected) in [(1, 132, 128), (1, 192, 128), (2, 224, 256), (1, 0, 128)] {
            let m = try brokenMessage { b in var t = b.tensors; t[k]["offset"] = .int(off); b.tensors = t }
            XCTAssertTrue(m.contains("offset: expected \(expected)") && m.contains("found \(off)"), m)
        }
    }

    func testB19DataSizeMustMatchTheFile() throws {
        XCTAssertTrue(try brokenMessage { $0.header["data_bytes"] = .int(7) }.contains("header.data_bytes"))
        XCTAssertTrue(try brokenMessage { $0.data.append(0) }.contains("file size") )
        XCTAssertTrue(try brokenMessage { $0.data.removeLast() }.contains("truncated"))
    }

    func testB20TensorChecksumOnLoad() throws {
        let p = try validFile()
        let f = try BKMFile.open(path: p)
        let e = f.entry("encoder.layer.0.intermediate.dense.weight")!
        var bytes = [UInt8](FileManager.default.contents(atPath: p)!)
        bytes[e.fileOffset + 5] ^= 0x40
        FileManager.default.createFile(atPath: p, contents: Data(bytes))
        let m = thrownMessage { _ = try CheckpointLoader.load(path: p) }
        XCTAssertTrue(m.contains(p) && m.contains("\"encoder.layer.0.intermediate.dense.weight\": crc32c"), m)
    }

    func testB20LazyVerificationReadsOnlyWhatIsAsked() throws {
        let p = try validFile()
        let e = try BKMFile.open(path: p).entry("encoder.layer.0.output.dense.weight")!
        var bytes = [UInt8](FileManager.default.contents(atPath: p)!)
        bytes[e.fileOffset] ^= 0x01
        FileManager.default.createFile(atPath: p, contents: Data(bytes))
        let f = try BKMFile.open(path: p)  // the header is fine
        XCTAssertNoThrow(try f.tensor("embeddings.LayerNorm.bias"))
        XCTAssertThrowsError(try f.tensor("encoder.layer.0.output.dense.weight"))
        XCTAssertNoThrow(try f.tensor("encoder.layer.0.output.dense.weight", verify: false))
    }

    func testB21TensorsMustMatchTheConfig() throws {
        let shape = try brokenMessage { b in var t = b.tensors; t[3]["shape"] = .array([.int(2), .int(2)]); b.tensors = t }
        XCTAssertTrue(shape.contains("embeddings.LayerNorm.weight: expected [4] from the config (hidden_size), found [2, 2]"), shape)
        let missing = try brokenMessage { b in var t = b.tensors; t[4]["name"] = .string("pooler.extra.bias"); b.tensors = t }
        XCTAssertTrue(missing.contains("missing") && missing.contains("embeddings.LayerNorm.bias [4]"), missing)
        // A parameter the config has no room for (layer 1 of a 1-layer model), added as an empty tensor.
        let unexpected = try brokenMessage { b in
            var t = b.tensors
            let end = t.map { $0["offset"]!.intValue! + $0["bytes"]!.intValue! }.max()!
            let off = (end + 63) / 64 * 64
            t.append(JSONObject([("name", .string("encoder.layer.1.output.dense.bias")), ("dtype", .string("F32")),
                                 ("shape", .array([.int(0)])), ("offset", .int(off)), ("bytes", .int(0)), ("crc32c", .int(0)),
                                 ("source_name", .string("x"))]))
            b.tensors = t
            b.header["data_bytes"] = .int(off)
            b.data += [UInt8](repeating: 0, count: off - end)
        }
        XCTAssertTrue(unexpected.contains("not parameters of this model: encoder.layer.1.output.dense.bias"), unexpected)
    }

    func testB22WriterLeavesNoPartialFile() throws {
        let dir = Repo.temporaryDirectory()
        // A dtype .bkm does not store: refused before anything is written.
        var c = TinyModel.checkpoint()
        c.parameters[0].tensor = tensor([Double](repeating: 1, count: 32), dtype: .f64, shape: [8, 4])
        XCTAssertThrowsError(try BKMWriter.write(c, to: dir + "/x.bkm"))
        XCTAssertEqual(folderListing(dir), [])
        // The disk fills up mid-write (a 4 KiB file-size limit): the temporary file is removed.
        signal(SIGXFSZ, SIG_IGN)
        var old = rlimit()
        getrlimit(Int32(RLIMIT_FSIZE.rawValue), &old)
        var small = old
        small.rlim_cur = 4096
        setrlimit(Int32(RLIMIT_FSIZE.rawValue), &small)
        let big = TinyModel.checkpoint(labels: 3)
        var bigger = big
        bigger.parameters[0].tensor = RawTensor(floats: [Float](repeating: 1, count: 8 * 4 * 64), shape: [8, 4 * 64])
        let m = thrownMessage { try BKMWriter.write(bigger, to: dir + "/y.bkm") }
        setrlimit(Int32(RLIMIT_FSIZE.rawValue), &old)
        XCTAssertTrue(m.contains(dir + "/y.bkm") && m.contains("cannot write"), m)
        XCTAssertEqual(folderListing(dir), [])
        // An existing file is replaced only as a whole.
        try BKMWriter.write(big, to: dir + "/z.bkm")
        XCTAssertEqual(folderListing(dir), ["z.bkm"])
    }

    func testB23RoundTripIsExact() throws {
        for dtype in DType.storable {
            let c = TinyModel.checkpoint(labels: 3, dtype: dtype, sentenceTransformers: SentenceTransformersSettings(pooling: .meanSqrtLen, normalize: false))
            let p = Repo.temporaryDirectory() + "/m.bkm"
            try BKMWriter.write(c, to: p)
            let f = try BKMFile.open(path: p)
            let r = try f.checkpoint()
            XCTAssertEqual(r.parameters.map(\.name), c.parameters.map(\.name))
            for (a, b) in zip(r.parameters, c.parameters) { XCTAssertTrue(a.tensor.bitIdentical(to: b.tensor), "\(dtype) \(a.name)") }
            XCTAssertEqual(r.config.json, c.config.json)
            XCTAssertEqual(r.config.raw["custom_key"], c.config.raw["custom_key"])
            XCTAssertEqual(f.labels, ["L0", "L1", "L2"])
            XCTAssertEqual(r.vocabulary, c.vocabulary)
            XCTAssertEqual(r.tokenizer?.json, c.tokenizer?.json)
            XCTAssertEqual(r.tokenizer?.modelMaxLength, 6)
            XCTAssertEqual(r.sentenceTransformers, c.sentenceTransformers)
            XCTAssertEqual(r.provenance, c.provenance)
            XCTAssertEqual(r.report.unused, ["cls.predictions.bias"])
            XCTAssertEqual(r.report.ignored, ["embeddings.position_ids"])
            XCTAssertEqual(r.sourceNames["classifier.weight"], "bert.classifier.weight")
            // Every tensor is 64-aligned in the file, so it can be used in place.
            for e in f.entries { XCTAssertEqual(e.fileOffset % 64, 0) }
            XCTAssertTrue(r["classifier.weight"]!.storage === f.storage)
        }
    }

    func testB23MiniLMRoundTrip() throws {
        let dir = try Repo.requireMiniLM()
        let source = try SafeTensorsFile.read(path: dir + "/model.safetensors")
        let c = try CheckpointLoader.load(path: dir, options: LoadOptions(hashSources: true))
        let p = Repo.temporaryDirectory() + "/minilm.bkm"
        try BKMWriter.write(c, to: p)
        let r = try CheckpointLoader.load(path: p)
        // Every parameter of the source comes back bit for bit; only the position_ids buffer is dropped.
        var compared = 0
        for (name, t) in source.tensors {
            guard case .parameter(let canonical, _) = WeightNames.map(huggingFace: name) else { XCTAssertEqual(name, "embeddings.position_ids"); continue }
            XCTAssertTrue(r[canonical.name]!.bitIdentical(to: t), name)
            compared += 1
        }
        XCTAssertEqual(compared, r.parameters.count)
        XCTAssertEqual(r.report.ignored, ["embeddings.position_ids"])
        XCTAssertEqual(r.provenance.sources.first { $0.file == "model.safetensors" }?.sha256,
                       try FileDigest.sha256(path: dir + "/model.safetensors"))
        XCTAssertEqual(r.pooling, SentencePooling(mode: .mean))
        XCTAssertEqual(r.sentenceTransformers, c.sentenceTransformers)
        XCTAssertEqual(r.sentenceTransformers?.maxSeqLength, 256)
        XCTAssertEqual(r.vocabulary, c.vocabulary)
    }

    func testCRC32CCheckValue() {
        // The standard check value of CRC-32C (formats/bkm.md preamble).
        XCTAssertEqual(Array("123456789".utf8).withUnsafeBytes { FileDigest.crc32c($0) }, 0xE306_9283)
    }
}

extension BKMTests {
    /// §1: the header is padded with spaces to its reserved length, which readers accept.
    func testB8HeaderPaddingWithSpacesIsAccepted() throws {
        let p = try validFile()
        let bytes = [UInt8](FileManager.default.contents(atPath: p)!)
        let h = Int(bytes[8..<16].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        XCTAssertEqual(bytes[24 + h - 1], UInt8(ascii: " "), "the reserved header of a tiny model is padded")
        let b = BKMBytes(path: p)
        let text = Array(JSONValue.object(b.header).serialized(indent: 0).utf8) + [UInt8](repeating: 0x20, count: 200)
        b.write(to: p, headerText: text)
        XCTAssertNoThrow(try BKMFile.open(path: p).checkpoint())
    }
}

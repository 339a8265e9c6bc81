import BertFormats
import BertTensors
import Foundation
import TestSupport
import XCTest

/// formats/bkm.md rules B21 (module tensors), B23–B26: tokenizer files, sentence-transformers
/// settings and version 1 files.
extension BKMTests {
    private var rich: Checkpoint { TinyModel.sentenceCheckpoint() }

    func testB23SentenceTransformersRoundTrip() throws {
        for dtype in DType.storable {
            let c = TinyModel.sentenceCheckpoint(dtype: dtype)
            let p = try validFile(checkpoint: c)
            let f = try BKMFile.open(path: p)
            XCTAssertEqual(f.version, 2)
            let r = try f.checkpoint()
            XCTAssertEqual(r.sentenceTransformers, TinyModel.sentenceTransformers)
            XCTAssertEqual(r.moduleTensors.map(\.name), ["sentence_transformers.2_Dense.linear.weight", "sentence_transformers.2_Dense.linear.bias",
                                                         "sentence_transformers.4_Dense.linear.weight"])
            for (a, b) in zip(r.moduleTensors, c.moduleTensors) { XCTAssertTrue(a.tensor.bitIdentical(to: b.tensor), "\(dtype) \(a.name)") }
            // Compared as bytes: String == would call canonically equivalent texts equal.
            XCTAssertEqual(r.tokenizerFiles, TinyModel.tokenizerFiles)
            // The module tensors follow the parameters in the table.
            XCTAssertEqual(f.entries.suffix(3).map(\.name), r.moduleTensors.map(\.name))
            XCTAssertEqual(r.parameters.count, c.parameters.count)
        }
    }

    func testB21ModuleTensorsMustMatchTheModules() throws {
        let k = rich.parameters.count  // index of the first module tensor in the table
        let missing = try brokenMessage({ b in var t = b.tensors; t[k + 1]["name"] = .string("sentence_transformers.2_Dense.linear.b"); b.tensors = t },
                                        checkpoint: rich)
        XCTAssertTrue(missing.contains("missing") && missing.contains("sentence_transformers.2_Dense.linear.bias [3]"), missing)
        let shape = try brokenMessage({ b in var t = b.tensors; t[k]["shape"] = .array([.int(4), .int(3)]); b.tensors = t }, checkpoint: rich)
        XCTAssertTrue(shape.contains("sentence_transformers.2_Dense.linear.weight: expected [3, 4] from the config, found [4, 3]"), shape)
        // A stray module tensor: a bias for the Dense that has none.
        let stray = try brokenMessage({ b in
            var t = b.tensors
            let end = t.map { $0["offset"]!.intValue! + $0["bytes"]!.intValue! }.max()!
            let off = (end + 63) / 64 * 64
            t.append(JSONObject([("name", .string("sentence_transformers.4_Dense.linear.bias")), ("dtype", .string("F32")),
                                 ("shape", .array([.int(0)])), ("offset", .int(off)), ("bytes", .int(0)), ("crc32c", .int(0)),
                                 ("source_name", .string("x"))]))
            b.tensors = t
            b.header["data_bytes"] = .int(off)
            b.data += [UInt8](repeating: 0, count: off - end)
        }, checkpoint: rich)
        XCTAssertTrue(stray.contains("not parameters of this model: sentence_transformers.4_Dense.linear.bias"), stray)
    }

    func testB24TokenizerFiles() throws {
        func files(_ v: JSONValue) throws -> String { try brokenMessage({ $0.header["tokenizer_files"] = v }, checkpoint: rich) }
        XCTAssertTrue(try files(.null).contains("header.tokenizer_files: expected an object"))
        XCTAssertTrue(try files(.object(JSONObject([("../../etc/passwd", .string("x"))])))
            .contains("header.tokenizer_files.../../etc/passwd: not a tokenizer file name"))
        XCTAssertTrue(try files(.object(JSONObject([("tokenizer.json", .int(1))]))).contains("header.tokenizer_files.tokenizer.json: expected a string"))
        // The writer refuses bytes it cannot store as a JSON string, before writing anything.
        var c = rich
        c.tokenizerFiles["tokenizer.json"] = [0x7B, 0xFF, 0x7D]
        let dir = Repo.temporaryDirectory()
        XCTAssertTrue(thrownMessage { try BKMWriter.write(c, to: dir + "/x.bkm") }.contains("tokenizer_files.tokenizer.json: not UTF-8"))
        XCTAssertEqual(folderListing(dir), [])
    }

    func testB25SentenceTransformersFields() throws {
        func st(_ change: @escaping (inout JSONObject) -> Void) throws -> String {
            try brokenMessage({ $0.edit("sentence_transformers", change) }, checkpoint: rich)
        }
        let f = "header.sentence_transformers."
        let cases: [(String, (inout JSONObject) -> Void)] = [
            (f + "truncate_dim: missing", { $0["truncate_dim"] = nil }),
            (f + "colour: unknown key", { $0["colour"] = .string("red") }),
            (f + "modules: expected an array", { $0["modules"] = .null }),
            (f + "do_lower_case: expected true or false", { $0["do_lower_case"] = .string("yes") }),
            (f + "prompts.query: expected a string", { $0["prompts"] = .object(JSONObject([("query", .int(1))])) }),
            (f + "default_prompt_name: \"passage\" is not one of the prompts (query, doc)", { $0["default_prompt_name"] = .string("passage") }),
            (f + "similarity_fn_name: expected one of cosine, dot, euclidean, manhattan, found \"maxsim\"", { $0["similarity_fn_name"] = .string("maxsim") }),
            (f + "max_seq_length: expected a positive integer, found 0", { $0["max_seq_length"] = .int(0) }),
            (f + "truncate_dim: expected a non-negative integer", { $0["truncate_dim"] = .number("1.5") }),
            (f + "modules[2].type: expected Pooling, Dense or Normalize, found \"LayerNorm\"", { $0.editModule(2) { $0["type"] = .string("LayerNorm") } }),
            (f + "modules[2].mode: unknown key", { $0.editModule(2) { $0["mode"] = .string("mean") } }),
            (f + "modules[1].activation_function: expected \"torch.nn.modules.activation.Tanh\" or \"torch.nn.modules.linear.Identity\", found \"torch.nn.ReLU\"",
             { $0.editModule(1) { $0["activation_function"] = .string("torch.nn.ReLU") } }),
            (f + "modules[1].bias: missing", { $0.editModule(1) { $0["bias"] = nil } }),
            (f + "modules[3].in_features: expected 3 (the width before it), found 4", { $0.editModule(3) { $0["in_features"] = .int(4) } }),
            (f + "modules[1].in_features: expected 4 (the width before it), found 3", { $0.editModule(1) { $0["in_features"] = .int(3) } }),
            (f + "modules[1].out_features: expected a positive width, found 0", { $0.editModule(1) { $0["out_features"] = .int(0) } }),
            (f + "modules[2].path: \"../x\" is not a folder inside the model folder", { $0.editModule(2) { $0["path"] = .string("../x") } }),
            (f + "modules[2].path: \"2_Dense\" is the folder of another module too", { $0.editModule(2) { $0["path"] = .string("2_Dense") } }),
            (f + "modules[0].type: the first module after the Transformer must be Pooling, found Normalize", { o in
                var m = o["modules"]!.arrayValue!
                m.swapAt(0, 2)
                o["modules"] = .array(m)
            }),
        ]
        for (expected, change) in cases {
            let m = try st(change)
            XCTAssertTrue(m.contains(expected), "expected \(expected) in: \(m)")
        }
    }

    /// §6: a file bertkit wrote before version 2 (built here from a version 2 file: the same bytes
    /// but for the version and the header keys).
    func testB26VersionOneFilesAreRead() throws {
        func v1(_ pooling: JSONValue, extra: (String, JSONValue)? = nil) throws -> String {
            let p = try validFile()
            var b = BKMBytes(path: p)
            b.version = 1
            var h = JSONObject()
            for (k, v) in b.header {
                if k == "tokenizer_files" || k == "architecture" { continue }
                if k == "load_report", case .object(var r) = v { r["tied"] = nil; h[k] = .object(r); continue }
                if k == "sentence_transformers" { h["pooling"] = pooling; continue }
                h[k] = v
            }
            if let (k, v) = extra { h[k] = v }
            b.header = h
            b.write(to: p)
            return p
        }
        let p = try v1(.object(JSONObject([("mode", .string("cls")), ("normalize", .bool(true))])))
        let f = try BKMFile.open(path: p)
        XCTAssertEqual(f.version, 1)
        XCTAssertEqual(f.tokenizerFiles, [:])
        XCTAssertEqual(f.sentenceTransformers, SentenceTransformersSettings(pooling: .cls, normalize: true))
        let c = try f.checkpoint()
        XCTAssertEqual(c.parameters.count, TinyModel.checkpoint().parameters.count)
        XCTAssertNil(try BKMFile.open(path: v1(.null)).sentenceTransformers)
        // Rewriting it gives version 2.
        let out = Repo.temporaryDirectory() + "/v2.bkm"
        try CheckpointConverter.convert(source: p, output: out)
        XCTAssertEqual(try BKMFile.open(path: out).version, 2)
        XCTAssertEqual(try BKMFile.open(path: out).sentenceTransformers, f.sentenceTransformers)

        func message(_ p: String) -> String { thrownMessage { _ = try BKMFile.open(path: p) } }
        XCTAssertTrue(message(try v1(.object(JSONObject([("mode", .string("sum")), ("normalize", .bool(true))]))))
            .contains("header.pooling.mode: expected mean, cls, max or mean_sqrt_len, found \"sum\""))
        XCTAssertTrue(message(try v1(.object(JSONObject([("mode", .string("cls")), ("normalize", .int(1))])))).contains("header.pooling.normalize"))
        XCTAssertTrue(message(try v1(.null, extra: ("tokenizer_files", .object(JSONObject()))))
            .contains("header.tokenizer_files: unknown key (a version 1 header has no such key)"))
        // And version 2 has no `pooling`.
        let m = try brokenMessage { $0.header["pooling"] = .null }
        XCTAssertTrue(m.contains("header.pooling: unknown key (a version 2 header has no such key)"), m)
    }
}

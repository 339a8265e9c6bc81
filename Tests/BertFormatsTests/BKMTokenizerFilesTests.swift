import BertFormats
import BertTensors
import Foundation
import TestSupport
import XCTest

/// formats/bkm.md §2.3, rules B24 (by version), B28–B30: every family's tokenizer files in a .bkm,
/// on the tokenizer fixtures of golden/generate_tokenizer_pipelines.py.
extension BKMTests {
    /// The tiny model with no WordPiece vocabulary and `names` of a tokenizer fixture as its files.
    func pipelineCheckpoint(_ fixture: String, _ names: [String]) throws -> Checkpoint {
        var c = TinyModel.checkpoint()
        c.vocabulary = nil
        c.tokenizerFiles = try Dictionary(uniqueKeysWithValues: names.map { n in
            (n, [UInt8](try Data(contentsOf: URL(fileURLWithPath: Repo.fixture("tokenizers/\(fixture)/\(n)")))))
        })
        return c
    }

    var kinds: [(fixture: String, names: [String], version: UInt32)] {
        [("roberta-bpe", ["tokenizer.json"], 2), ("roberta-bpe", ["vocab.json", "merges.txt"], 3),
         ("xlmr-unigram", ["sentencepiece.bpe.model"], 3), ("albert-unigram", ["spiece.model"], 3)]
    }

    func testB30VersionThreeOnlyForTheNewFiles() throws {
        XCTAssertEqual(try BKMFile.open(path: try validFile(checkpoint: TinyModel.sentenceCheckpoint())).version, 2, "BERT's files: version 2")
        for k in kinds {
            let p = try validFile(checkpoint: try pipelineCheckpoint(k.fixture, k.names))
            XCTAssertEqual(try BKMFile.open(path: p).version, k.version, "\(k.names)")
        }
    }

    func testB30EveryTokenizerKindRoundTrips() throws {
        for k in kinds {
            let c = try pipelineCheckpoint(k.fixture, k.names)
            let p = try validFile(checkpoint: c)
            let f = try BKMFile.open(path: p)
            XCTAssertNil(f.vocabulary)
            XCTAssertEqual(f.tokenizerFiles, c.tokenizerFiles, "\(k.names) byte for byte")
            let back = try f.checkpoint()
            XCTAssertEqual(back.tokenizerFiles, c.tokenizerFiles)
            // A folder export writes the files back as they were, and no BertTokenizer config beside them.
            let out = Repo.temporaryDirectory() + "/folder"
            try CheckpointExporter.write(back, to: out, replace: false)
            for n in k.names {
                XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: out + "/" + n))), c.tokenizerFiles[n], n)
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/tokenizer_config.json"), "\(k.names)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/vocab.txt"), "\(k.names)")
        }
    }

    func testB24VersionTwoHasOnlyTheFourNames() throws {
        let c = try pipelineCheckpoint("roberta-bpe", ["vocab.json", "merges.txt"])
        let m = try brokenMessage({ $0.version = 2 }, checkpoint: c)
        XCTAssertTrue(m.contains("header.tokenizer_files.") && m.contains("not a tokenizer file name of a version 2 file"), m)
        // Version 3 takes the new names but no others.
        let other = try brokenMessage({ b in b.edit("tokenizer_files") { $0["vocab.txt"] = .string("a\n") } }, checkpoint: c)
        XCTAssertTrue(other.contains("header.tokenizer_files.vocab.txt: not a tokenizer file name of a version 3 file"), other)
    }

    func testB28SentencePieceModelsAreBase64() throws {
        let c = try pipelineCheckpoint("xlmr-unigram", ["sentencepiece.bpe.model"])
        let b = BKMBytes(path: try validFile(checkpoint: c))
        let stored = try XCTUnwrap(b.header["tokenizer_files"]?.objectValue?["sentencepiece.bpe.model"]?.stringValue)
        XCTAssertEqual(stored, Data(c.tokenizerFiles["sentencepiece.bpe.model"]!).base64EncodedString())
        for bad in ["not base64!", String(stored.dropLast()), stored.prefix(40) + "\n" + stored.dropFirst(40)] {
            let m = try brokenMessage({ b in b.edit("tokenizer_files") { $0["sentencepiece.bpe.model"] = .string(bad) } }, checkpoint: c)
            XCTAssertTrue(m.contains("header.tokenizer_files.sentencepiece.bpe.model: expected the file's bytes in base64"), m)
        }
    }

    func testB29VocabJSONNeedsMerges() throws {
        let c = try pipelineCheckpoint("roberta-bpe", ["vocab.json", "merges.txt"])
        let m = try brokenMessage({ b in b.edit("tokenizer_files") { $0["merges.txt"] = nil } }, checkpoint: c)
        XCTAssertTrue(m.contains("header.tokenizer_files.vocab.json: vocab.json and merges.txt come together"), m)
    }
}

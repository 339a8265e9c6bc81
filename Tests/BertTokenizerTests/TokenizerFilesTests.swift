import BertFormats
import BertTokenizer
import Foundation
import TestSupport
import XCTest

/// tokenizer.json (the fast tokenizer's file) read for folders without vocab.txt.
final class TokenizerFilesTests: XCTestCase {
    /// MiniLM's tokenizer.json alone gives the same vocabulary, settings and ids as its vocab.txt
    /// and tokenizer_config.json.
    func testTokenizerJSONEqualsVocabTxt() throws {
        let folder = try Repo.requireMiniLM()
        let dir = Repo.temporaryDirectory()
        try FileManager.default.copyItem(atPath: folder + "/tokenizer.json", toPath: dir + "/tokenizer.json")
        let (jv, js) = try TokenizerFiles.read(folder: dir)
        let (vv, vs) = try TokenizerFiles.read(folder: folder)
        XCTAssertEqual(jv, vv)
        XCTAssertEqual([js.doLowerCase, js.tokenizeChineseChars, js.doBasicTokenize], [vs.doLowerCase, vs.tokenizeChineseChars, vs.doBasicTokenize])
        XCTAssertEqual(js.stripAccents, vs.stripAccents)
        XCTAssertEqual(js.specialTokens, vs.specialTokens)
        let fromJSON = try BertTokenizer(folder: dir), fromVocab = try BertTokenizer(folder: folder)
        for line in try goldenLines("tokenizer/uncased.jsonl").prefix(500) {
            let text = line["text"]!.stringValue!
            XCTAssertEqual(try fromJSON.encode(text).inputIds, try fromVocab.encode(text).inputIds, visible(text))
        }
    }

    /// The fixture saved by transformers' Rust-backed tokenizer (no vocab.txt) tokenizes like
    /// the one saved with vocab.txt.
    func testFixtureWithOnlyTokenizerJSON() throws {
        let json = try BertTokenizer(folder: Repo.fixture("tiny-cls-tokjson"))
        let vocab = try BertTokenizer(folder: Repo.fixture("tiny-cls"))
        XCTAssertEqual(json.vocabulary, vocab.vocabulary)
        for text in ["The team will win today.", "Café prices up, naïve?", "中 is [MASK].", ""] {
            XCTAssertEqual(try json.encode(text), try vocab.encode(text), text)
        }
    }

    func testTokenizerJSONRefusesWhatBertTokenizerCannotDo() throws {
        let cases: [(String, String)] = [
            (#"{"model": {"type": "BPE", "vocab": {}, "merges": []}}"#, "\"model.type\": bertkit reads WordPiece models (BERT); this file has a BPE model"),
            (#"{"normalizer": {"type": "Lowercase"}, "model": {"type": "WordPiece", "vocab": {"a": 0}}}"#, "\"normalizer.type\": expected BertNormalizer, found Lowercase"),
            (#"{"normalizer": null, "model": {"type": "WordPiece", "vocab": {"a": 0}}}"#, "\"normalizer\": expected a BertNormalizer"),
            (#"{"model": {"type": "WordPiece", "vocab": {"a": 0, "b": 0}}}"#, "\"model.vocab.b\": id 0 is also the id of \"a\""),
            (#"{"model": {"type": "WordPiece", "vocab": {"a": 0, "b": 5}}}"#, "\"model.vocab.b\": expected an id in 0..<2"),
            (#"{"model": {"type": "WordPiece", "continuing_subword_prefix": "@@", "vocab": {"a": 0}}}"#, "\"model.continuing_subword_prefix\": expected \"##\""),
        ]
        for (text, message) in cases {
            let dir = Repo.temporaryDirectory()
            try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/tokenizer.json"))
            XCTAssertThrowsError(try TokenizerFiles.read(folder: dir), text) {
                XCTAssert($0.localizedDescription.contains(message), "\($0.localizedDescription)\n  should contain: \(message)")
            }
        }
    }

    func testFolderWithoutVocabulary() throws {
        XCTAssertThrowsError(try BertTokenizer(folder: Repo.temporaryDirectory())) {
            XCTAssert($0.localizedDescription.contains("no vocab.txt or tokenizer.json"), $0.localizedDescription)
        }
    }

    /// Settings survive TokenizerSettings.json (what a .bkm stores) unchanged.
    func testSettingsRoundTripThroughJSON() throws {
        var s = TokenizerSettings()
        s.doLowerCase = false
        s.stripAccents = true
        s.neverSplit = ["[X]"]
        s.paddingSide = "left"
        s.splitSpecialTokens = true
        s.additionalSpecialTokens = ["<e>"]
        var t = AddedToken(content: "<e>", id: 9)
        t.rstrip = true
        s.addedTokens = [t]
        var back = TokenizerSettings()
        try back.apply(s.json, file: "settings")
        back.raw = s.raw
        XCTAssertEqual(back.doLowerCase, false)
        XCTAssertEqual(back.stripAccents, true)
        XCTAssertEqual(back.neverSplit, ["[X]"])
        XCTAssertEqual(back.paddingSide, "left")
        XCTAssertEqual(back.splitSpecialTokens, true)
        XCTAssertEqual(back.additionalSpecialTokens, ["<e>"])
        XCTAssertEqual(back.addedTokens, [t])
    }
}

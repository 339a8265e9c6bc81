import BertFormats
import BertTokenizer
import Foundation
import TestSupport
import XCTest

/// Settings, encoding options and refusals. Expected ids come from transformers 5.23's Python
/// BertTokenizer (BertTokenizerLegacy.from_pretrained(MiniLM, **overrides)), run once by hand.
final class TokenizerTests: XCTestCase {
    func testSeedSentence() throws {
        let e = try miniLMTokenizer().encode("PyTorch is a great framework for NLP")
        XCTAssertEqual(e.inputIds, [101, 1052, 22123, 2953, 2818, 2003, 1037, 2307, 7705, 2005, 17953, 2361, 102])
        XCTAssertEqual(e.tokens, ["[CLS]", "p", "##yt", "##or", "##ch", "is", "a", "great", "framework", "for", "nl", "##p", "[SEP]"])
        XCTAssertEqual(e.tokenTypeIds, Array(repeating: 0, count: 13))
        XCTAssertEqual(e.attentionMask, Array(repeating: 1, count: 13))
    }

    func testEmptyAndBlankTextGiveCLSAndSEP() throws {
        let t = try miniLMTokenizer()
        for text in ["", " ", "\t\n", "\u{200B}", "\u{0}"] {
            XCTAssertEqual(try t.encode(text).inputIds, [101, 102], "\"\(visible(text))\"")
        }
    }

    func testOffsetsPointIntoTheOriginalText() throws {
        let text = "Héllo, WORLD! 中文"
        let e = try miniLMTokenizer().encode(text)
        let scalars = Array(text.unicodeScalars)
        let spans = e.offsets.map { String(String.UnicodeScalarView(scalars[$0])) }
        XCTAssertEqual(e.tokens, ["[CLS]", "hello", ",", "world", "!", "中", "文", "[SEP]"])
        XCTAssertEqual(spans, ["", "Héllo", ",", "WORLD", "!", "中", "文", ""])
    }

    func testHundredCodePointRule() throws {
        let t = try miniLMTokenizer()
        XCTAssertEqual(t.tokens(String(repeating: "a", count: 100)).count, 50)
        XCTAssertEqual(t.tokens(String(repeating: "a", count: 101)), ["[UNK]"])
        XCTAssertEqual(try t.encode(String(repeating: "x", count: 200)).inputIds, [101, 100, 102])
    }

    func testStripAccentsWithoutLowercasing() throws {
        let t = try miniLMTokenizer { $0.doLowerCase = false; $0.stripAccents = true }
        XCTAssertEqual(try t.encode("Café Ünïcode naïve").inputIds, [101, 100, 100, 15743, 102])
    }

    func testNeverSplit() throws {
        let t = try miniLMTokenizer { $0.neverSplit = ["hello!", "foo"] }
        // Kept whole (and unknown); a piece split off by punctuation is looked up directly; the
        // check runs again after lowercasing.
        XCTAssertEqual(try t.encode("say hello! now").inputIds, [101, 2360, 100, 2085, 102])
        XCTAssertEqual(try t.encode("foo! Foo").inputIds, [101, 29379, 999, 29379, 102])
        XCTAssertEqual(try t.encode("HELLO! x").inputIds, [101, 100, 1060, 102])
    }

    func testSplitSpecialTokens() throws {
        let t = try miniLMTokenizer { $0.splitSpecialTokens = true }
        // A word that is exactly a special token still stays whole (BasicTokenizer's never_split).
        XCTAssertEqual(try t.encode("[CLS] hello [SEP]").inputIds, [101, 101, 7592, 102, 102])
        XCTAssertEqual(try t.encode("x[MASK]y").inputIds, [101, 1060, 1031, 7308, 1033, 1061, 102])
        XCTAssertEqual(try t.encode("a [MASK].").inputIds, [101, 1037, 1031, 7308, 1033, 1012, 102])
    }

    func testNoBasicTokenization() throws {
        let t = try miniLMTokenizer { $0.doBasicTokenize = false }
        XCTAssertEqual(try t.encode("Hello, world! naïve  tab\there").inputIds, [101, 100, 2088, 29612, 100, 21628, 2182, 102])
    }

    func testLeftPaddingAndLeftTruncation() throws {
        let t = try miniLMTokenizer { $0.paddingSide = "left"; $0.truncationSide = "left" }
        let e = try t.encode([TextInput("PyTorch is a great framework for NLP"), TextInput("Hi")],
                             options: EncodingOptions(maxLength: 8, padding: .maxLength))
        XCTAssertEqual(e.map(\.inputIds), [[101, 1037, 2307, 7705, 2005, 17953, 2361, 102], [0, 0, 0, 0, 0, 101, 7632, 102]])
        XCTAssertEqual(e.map(\.attentionMask), [[1, 1, 1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 1, 1, 1]])
        XCTAssertEqual(e[1].tokens.prefix(2), ["[PAD]", "[PAD]"])
        XCTAssertEqual(e[1].offsets[0], 0..<0)
    }

    func testPaddingToTheLongestAndPairs() throws {
        let t = try miniLMTokenizer()
        let batch = try t.encode([TextInput("a b"), TextInput("The longer text here")], options: EncodingOptions(padding: .longest))
        XCTAssertEqual(batch.map(\.inputIds), [[101, 1037, 1038, 102, 0, 0], [101, 1996, 2936, 3793, 2182, 102]])
        XCTAssertEqual(batch.map(\.attentionMask), [[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]])
        let pair = try t.encode("What is it?", pair: "A pair of texts.", options: EncodingOptions(maxLength: 14, padding: .maxLength))
        XCTAssertEqual(pair.inputIds, [101, 2054, 2003, 2009, 1029, 102, 1037, 3940, 1997, 6981, 1012, 102, 0, 0])
        XCTAssertEqual(pair.tokenTypeIds, [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0])
        XCTAssertEqual(pair.attentionMask, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0])
        // Offsets of the pair's tokens point into the pair's own text.
        XCTAssertEqual(pair.offsets[6], 0..<1)
    }

    /// A batch (encoded on every core) equals the texts encoded one at a time.
    func testBatchEqualsOneAtATime() throws {
        let t = try miniLMTokenizer()
        let texts = try goldenLines("tokenizer/uncased.jsonl").prefix(600).map { $0["text"]!.stringValue! }
        let inputs = texts.enumerated().map { TextInput($1, pair: $0 % 3 == 0 ? texts[($0 + 1) % texts.count] : nil) }
        let batch = try t.encode(inputs)
        XCTAssertEqual(batch.count, inputs.count)
        for (i, input) in inputs.enumerated() {
            XCTAssertEqual(batch[i], try t.encode(input.text, pair: input.pair), "input \(i)")
        }
    }

    func testImpossibleTruncationIsRefused() throws {
        let t = try miniLMTokenizer()
        let long = "one two three four five six seven eight nine ten"
        XCTAssertThrowsError(try t.encode("short", pair: long, options: EncodingOptions(maxLength: 8, truncation: .onlyFirst))) {
            XCTAssertEqual($0.localizedDescription,
                           "input 1: cannot truncate to 8 tokens with only_first: 6 tokens must go to fit, and the first text has only 1"
                           + "\n---> HINT: use longest_first truncation or a larger max length")
        }
        XCTAssertThrowsError(try t.encode(long, options: EncodingOptions(maxLength: 8, truncation: .onlySecond)))
        XCTAssertThrowsError(try t.encode(long, options: EncodingOptions(maxLength: 0)))
        XCTAssertThrowsError(try t.encode("a", pair: "b", options: EncodingOptions(maxLength: 2)))  // 3 special tokens
        // longest_first shares the cut: 10 + 1 tokens into 8 - 3 → 4 + 1.
        let e = try t.encode(long, pair: "short", options: EncodingOptions(maxLength: 8))
        XCTAssertEqual(e.tokens, ["[CLS]", "one", "two", "three", "four", "[SEP]", "short", "[SEP]"])
    }

    func testVocabularyWithoutSpecialTokensIsRefusedNamingThem() throws {
        let v = try Vocabulary(tokens: ["[CLS]", "[SEP]", "hello"])
        XCTAssertThrowsError(try BertTokenizer(vocabulary: v, source: "vocab.txt")) {
            let m = $0.localizedDescription
            XCTAssert(m.hasPrefix("vocab.txt: the vocabulary has no [UNK] (unk_token), [PAD] (pad_token);"), m)
            XCTAssertFalse(m.contains("[CLS] ("), m)
        }
    }

    func testSingleWordAddedTokensAreRefused() throws {
        let v = try Vocabulary(tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "x"])
        var s = TokenizerSettings()
        var token = AddedToken(content: "<x>", id: 6)
        token.singleWord = true
        s.addedTokens = [token]
        XCTAssertThrowsError(try BertTokenizer(vocabulary: v, settings: s, source: "tokenizer_config.json")) {
            XCTAssert($0.localizedDescription.contains("single_word"), $0.localizedDescription)
        }
    }

    /// lstrip / rstrip take the neighbouring spaces with the token; added tokens beyond the
    /// vocabulary get their own ids and names.
    func testAddedTokens() throws {
        let v = try Vocabulary(tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b"])
        var s = TokenizerSettings()
        var mask = AddedToken(content: "[MASK]", id: 4)
        mask.lstrip = true
        mask.rstrip = true
        s.addedTokens = [mask, AddedToken(content: "<new>", id: 7, special: false)]
        let t = try BertTokenizer(vocabulary: v, settings: s)
        let e = try t.encode("a  [MASK]  b<new>a")
        XCTAssertEqual(e.inputIds, [2, 5, 4, 6, 7, 5, 3])
        XCTAssertEqual(e.tokens, ["[CLS]", "a", "[MASK]", "b", "<new>", "a", "[SEP]"])
        XCTAssertEqual(e.offsets, [0..<0, 0..<1, 3..<9, 11..<12, 12..<17, 17..<18, 0..<0])
    }
}

import BertFormats
import BertModel
import Foundation
import TestSupport
import XCTest

/// golden/expected/pipelines/decode.json (golden/generate_fill_mask.py): transformers' `decode` of
/// MiniLM's tokenizer on the ids of the fill-mask texts, the corpus's 320 hand-written texts and
/// hand-made id lists, with skip_special_tokens and clean_up_tokenization_spaces each on and off.
final class TokenDecoderTests: XCTestCase {
    struct Golden: Decodable {
        struct Case: Decodable {
            var ids: [Int]
            var decoded: [String: String]
        }
        var cases: [Case]
    }

    func testDecodeEqualsTransformers() throws {
        let (vocabulary, settings) = try TokenizerFiles.read(folder: try Repo.requireMiniLM())
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: URL(fileURLWithPath: Repo.expected("pipelines/decode.json"))))
        XCTAssertGreaterThan(golden.cases.count, 300)
        var cleaning = settings
        cleaning.raw["clean_up_tokenization_spaces"] = .bool(true)
        let plain = TokenDecoder(vocabulary: vocabulary, settings: settings)
        let cleaned = TokenDecoder(vocabulary: vocabulary, settings: cleaning)
        XCTAssertFalse(plain.cleanUpTokenizationSpaces)  // MiniLM's tokenizer_config.json does not set it: transformers 5's default
        XCTAssertTrue(cleaned.cleanUpTokenizationSpaces)
        var failures = 0
        for c in golden.cases {
            for skip in [false, true] {
                for (clean, decoder) in [(false, plain), (true, cleaned)] {
                    let key = "skip=\(skip ? "True" : "False") clean_up=\(clean ? "True" : "False")"
                    let got = decoder.decode(c.ids, skipSpecialTokens: skip)
                    if !sameScalars(got, c.decoded[key]!), failures < 10 {
                        failures += 1
                        XCTFail("\(key) ids \(c.ids.prefix(30)): \(got.debugDescription) != \(c.decoded[key]!.debugDescription)")
                    }
                }
            }
        }
    }
}

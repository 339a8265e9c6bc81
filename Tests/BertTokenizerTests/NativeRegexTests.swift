import TestSupport
import XCTest
@testable import BertTokenizer

/// The native matcher against Swift Regex (which the pipeline used before, and still uses outside
/// the subset): the same matches on every supported construct, over texts that exercise them.
final class NativeRegexTests: XCTestCase {
    static let supported = [
        " {2,}", "\\s+", "\\s", "[\\p{P}]", "\\p{L}+", "\\p{N}+|\\p{L}+", "[^\\s\\p{L}\\p{N}]+", "a|ab|abc",
        "(?:ab|a)c", "(a|b)+c", "x{2}", "x{1,3}", "x{1,3}?y", "a+?b", "[a-z]+", "[^a-z ]+", "\\d+", "\\D+",
        "\\S+", "\\P{L}+", "[-a]+", "[a-]+", "\\.", "\\?+", "\u{2581}+", "[\u{4E00}-\u{9FFF}]", "\\t|\\n|\\r",
        "''|``", " ?\\p{L}+", "\\s+\\n", "(?:\\p{L}|\\d)+", "[\\s\\p{P}]+", "a*b", "[ab]*?b", "é+",
    ]
    static let refused = [
        "a*", "(a*)+", ".", "^a", "a$", "\\w+", "\\bthe", "(?=a)", "(?i)a", "a++", "a{2}{3}", "[[a]]", "[]",
        "\\p{Lu}", "\\uFFFF", "a||b", "(?<n>a)", "[a&&b]", "x?", "{2}",
    ]

    func testSupportedPatternsCompileAndRefusedOnesDoNot() throws {
        for p in Self.supported { XCTAssertNotNil(NativeRegex(p), p) }
        for p in Self.refused { XCTAssertNil(NativeRegex(p), p) }
    }

    func testNativeMatchesEqualSwiftRegex() throws {
        let alphabet: [UInt32] = [0x61, 0x62, 0x63, 0x78, 0x79, 0x20, 0x20, 0x0A, 0x09, 0x2E, 0x2D, 0x3F, 0x27, 0x60,
                                  0x31, 0x39, 0xE9, 0x301, 0x4E2D, 0x2581, 0x3000, 0x0661, 0x1F600, 0x41, 0x5A, 0x24, 0x2B]
        var rng = SeededRandom(seed: 14)
        var texts: [[UInt32]] = ["hello  world  ", "  a   b\t\tc\n\n", "abcabc xxxy aab", "¿Qué? ¡Sí! 中文 ▁▁x"]
            .map { $0.unicodeScalars.map(\.value) }
        for _ in 0..<400 {
            texts.append((0..<Int(rng.next() % 24)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
        }
        for p in Self.supported {
            let r = try CompiledRegex(p)
            let native = try XCTUnwrap(r.native, p)
            for t in texts {
                XCTAssertEqual(native.matches(t), r.swiftMatches(t), "\(p) on \(String(unicodeScalars: t).debugDescription)")
            }
        }
    }

    func testReplaceUsesTheMatchesOfThePattern() throws {
        var t = NormalizedText("a   b  c d")
        t.replace(.regex(try CompiledRegex(" {2,}")), with: [0x2581])
        XCTAssertEqual(t.string, "a\u{2581}b\u{2581}c d")
        XCTAssertEqual(t.originalRange(1..<2), 3..<4)
    }
}

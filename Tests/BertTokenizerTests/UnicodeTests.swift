@testable import BertTokenizer
import XCTest

/// The tables are Python 3.11's (Unicode 14.0.0), not Swift's: spot checks of the facts
/// BertTokenizer depends on, each against what CPython answers.
final class UnicodeTests: XCTestCase {
    let u = UnicodeProperties.shared

    func testCategories() {
        XCTAssertEqual(UnicodeTables.version, "14.0.0")
        // _clean_text drops C* (also private use, and code points unassigned in Unicode 14 such as
        // U+2EBF0 and U+1FAE8, assigned in 15.x) but keeps \t \n \r.
        for cp: UInt32 in [0x0, 0x7, 0x7F, 0x85, 0xAD, 0x200B, 0xFEFF, 0xE000, 0xFFFF, 0xFFFD, 0x2EBF0, 0x1FAE8] {
            XCTAssert(u.flags(cp).contains(.drop), String(cp, radix: 16))
        }
        // ... which Swift's newer tables know: the reason bertkit carries Python's.
        XCTAssertNotEqual(Unicode.Scalar(0x1FAE8)!.properties.generalCategory, .unassigned)
        for cp: UInt32 in [0x9, 0xA, 0xD, 0x41, 0x4E2D, 0x2B820] { XCTAssertFalse(u.flags(cp).contains(.drop), String(cp, radix: 16)) }
        // U+2028 is no Zs (so _clean_text keeps it) but str.split() splits on it.
        XCTAssert(u.flags(0x2028).contains(.pythonSpace))
        XCTAssertFalse(u.flags(0x2028).contains(.whitespace))
        XCTAssert(u.flags(0x3000).contains(.whitespace))
        XCTAssert(u.flags(0x24).contains(.punctuation))  // '$' is Sc, punctuation by the ASCII rule
        XCTAssertFalse(u.flags(0x20AC).contains(.punctuation))  // '€' is not
        XCTAssert(u.flags(0x2B820).contains(.cjk))  // Python's range, not the Rust one
        XCTAssert(u.flags(0x301).contains(.nonspacingMark))
    }

    func testLowercaseAndFinalSigma() {
        XCTAssertEqual(u.lowercased(0x130), [0x69, 0x307])  // 'İ'.lower() == 'i̇'
        func lower(_ s: String) -> String {
            var b = CharBuffer(), out = CharBuffer()
            for c in s.unicodeScalars { b.append(c.value, 0, 1) }
            u.lowercase(b, into: &out)
            return out.string()
        }
        XCTAssertEqual(lower("ΟΔΟΣ"), "οδος")
        XCTAssertEqual(lower("Σ"), "σ")
        // The apostrophe is case-ignorable: skipped when looking for what follows / precedes.
        XCTAssertEqual(lower("ΑΣ'Α"), "ασ'α")
        XCTAssertEqual(lower("ΑΣ'"), "ας'")
        XCTAssertEqual(lower("'Σ"), "'σ")
    }

    func testNormalization() {
        func nfc(_ s: String) -> String {
            var b = CharBuffer(), scratch = CharBuffer(), out = CharBuffer()
            for c in s.unicodeScalars { b.append(c.value, 0, 1) }
            u.composeNFC(b, scratch: &scratch, into: &out)
            return String(out.string().unicodeScalars.map { String(format: "%04X", $0.value) }.joined(separator: " "))
        }
        XCTAssertEqual(nfc("e\u{301}"), "00E9")
        XCTAssertEqual(nfc("\u{1112}\u{1161}\u{11AB}"), "D55C")  // conjoining jamo → 한
        XCTAssertEqual(nfc("\u{212B}"), "00C5")  // ANGSTROM SIGN → Å
        XCTAssertEqual(nfc("\u{F900}"), "8C48")  // CJK compatibility ideograph
        XCTAssertEqual(nfc("a\u{323}\u{302}"), "1EAD")  // reordered, then composed: ậ
        XCTAssertEqual(nfc("\u{1E9B}\u{323}"), "1E9B 0323")  // ẛ̣ stays (composition exclusion path)
    }
}

/// The cluster runs the Precompiled and NFKD normalizers rely on: an ASCII code point stands
/// alone only where Swift's grapheme breaking would cut on both sides of it.
final class ClusterRunTests: XCTestCase {
    func testRunsEndOnTheClusterBreaksSwiftFinds() {
        let texts = ["a\r\nb", "e\u{301}x", "ab\u{600}1c", "\u{1F1E6}\u{1F1E8}x\u{1F600}\u{200D}\u{1F600}y", "xyz", "\r\n", "é"]
        for text in texts {
            let chars = text.unicodeScalars.map(\.value)
            var clusters: [[UInt32]] = []
            forEachClusterRun(chars) { clusters.append([chars[$0]]) } other: { r in
                for g in String(unicodeScalars: chars[r]) { clusters.append(g.unicodeScalars.map(\.value)) }
            }
            XCTAssertEqual(clusters, text.map { $0.unicodeScalars.map(\.value) }, text.debugDescription)
        }
    }
}

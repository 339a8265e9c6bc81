import BertFormats
import BertModel
import BertTokenizer
import Foundation
import TestSupport
import XCTest

/// bertkit's masker against transformers' collators (golden/generate_mlm_masking.py): the rules
/// exactly (which positions can be masked), the proportions within stated statistical tolerances.
final class MaskedLMMaskingTests: XCTestCase {
    struct Golden: Decodable {
        let rows: [[Int]]
        let draws: Int
        let chosen, mask, random, kept: [[Int]]
        // swiftlint:disable:next identifier_name
        let masked_per_row_mean: [Double]
        let special_ids: [Int]
        let tokens: Int
        let whole_words_split: Int?
    }

    /// The same tally as the golden's, over `draws` streams (seed 1, draw, row).
    struct Tally {
        var chosen, mask, random, kept: [[Int]]
        var maskedPerRow: [Int]
        var splitWords = 0
    }

    func golden(_ name: String) throws -> Golden {
        try JSONDecoder().decode(Golden.self, from: Data(contentsOf: URL(fileURLWithPath: Repo.expected("mlmmc/" + name))))
    }

    func tokenizer() throws -> ModelTokenizer { ModelTokenizer(try BertTokenizer(folder: Repo.fixture("heads/masked-lm/safetensors"))) }

    func tally(_ g: Golden, _ masker: MaskedLMMasker, tokenizer tok: ModelTokenizer) -> Tally {
        let width = g.rows.map(\.count).max()!
        let zero = g.rows.map { _ in [Int](repeating: 0, count: width) }
        var t = Tally(chosen: zero, mask: zero, random: zero, kept: zero, maskedPerRow: [Int](repeating: 0, count: g.rows.count))
        for d in 0..<g.draws {
            for (r, ids) in g.rows.enumerated() {
                let m = masker.mask(ids, seed: 1, d, r)
                XCTAssertEqual(m.labels.count, ids.count)
                var labelled = [Bool](repeating: false, count: ids.count)
                for p in ids.indices {
                    guard m.labels[p] != -100 else {
                        if m.inputIds[p] != ids[p] { XCTFail("row \(r) position \(p): changed without a label") }
                        continue
                    }
                    labelled[p] = true
                    if m.labels[p] != ids[p] { XCTFail("row \(r) position \(p): the label is not the original id") }
                    t.chosen[r][p] += 1
                    t.maskedPerRow[r] += 1
                    if m.inputIds[p] == masker.maskTokenId { t.mask[r][p] += 1 } else if m.inputIds[p] == ids[p] { t.kept[r][p] += 1 } else { t.random[r][p] += 1 }
                }
                if masker.options.wholeWord, splitsAWord(ids, labelled, tok) { t.splitWords += 1 }
            }
        }
        return t
    }

    /// A word (a token and its ## continuations, no special id) partly labelled.
    func splitsAWord(_ ids: [Int], _ labelled: [Bool], _ tok: ModelTokenizer) -> Bool {
        var words: [[Int]] = []
        for (i, id) in ids.enumerated() {
            if tok.token(of: id).hasPrefix("##"), !words.isEmpty { words[words.count - 1].append(i) } else { words.append([i]) }
        }
        return words.contains { w in
            let n = w.filter { labelled[$0] }.count
            return n > 0 && n < w.count
        }
    }

    func everChosen(_ counts: [[Int]]) -> [[Int]] { counts.map { row in row.indices.filter { row[$0] > 0 } } }

    func sum(_ a: [[Int]]) -> Double { Double(a.joined().reduce(0, +)) }

    /// |a − b| for two proportions from independent samples of sizes n and m (m infinite: b is the
    /// probability itself), within 4.5 standard errors of their difference (a false alarm about once
    /// in 150,000 seeds; the masks are seeded, so a run that passes passes every time).
    func assertSameProportion(_ a: Double, _ n: Double, _ b: Double, _ m: Double, _ label: String,
                              file: StaticString = #filePath, line: UInt = #line) {
        let p = m.isInfinite ? b : (a * n + b * m) / (n + m)
        let se = (p * (1 - p) * (1 / n + (m.isInfinite ? 0 : 1 / m))).squareRoot()
        XCTAssertLessThanOrEqual(abs(a - b), 4.5 * se, "\(label): bertkit \(a) vs transformers \(b) (4.5 σ = \(4.5 * se))", file: file, line: line)
    }

    func testTokenizationAndSpecialIdsAreTheCollators() throws {
        let tok = try tokenizer()
        let g = try golden("masking.json")
        let texts = ["the quick brown fox jumped over the lazy dog", "stock market prices fell today",
                     "hello world [MASK] tokenizers split ☃ into unknown", "cat",
                     "the team won the game and the people of the city were happy"]
        XCTAssertEqual(try texts.map { try tok.encode($0).inputIds }, g.rows, "the golden's rows are bertkit's tokenization")
        let m = try MaskedLMMasker(tokenizer: tok)
        XCTAssertEqual(m.specialIds.sorted(), g.special_ids, "all_special_ids: never masked")
        XCTAssertEqual(m.tokenCount, g.tokens, "len(tokenizer): the random replacement's range")
    }

    func testStandardMaskingRulesAndProportionsMatchTheCollator() throws {
        let tok = try tokenizer()
        let g = try golden("masking.json")
        let masker = try MaskedLMMasker(tokenizer: tok)
        let t = tally(g, masker, tokenizer: tok)
        // Exact: the positions that can be masked are the collator's. Over 4000 draws each eligible
        // position is chosen with probability 1 − 0.85⁴⁰⁰⁰ ≈ 1, specials and padding never.
        XCTAssertEqual(everChosen(t.chosen), everChosen(g.chosen), "positions ever masked")
        for (r, ids) in g.rows.enumerated() {
            for p in everChosen(t.chosen)[r] { XCTAssertFalse(masker.specialIds.contains(ids[p]), "row \(r) position \(p) is special") }
        }
        // Proportions: chosen among the eligible positions (0.15), then [MASK] / random / kept among the chosen (0.8 / 0.1 / 0.1).
        let eligible = Double(everChosen(g.chosen).joined().count * g.draws)
        let (bc, gc) = (sum(t.chosen), sum(g.chosen))
        assertSameProportion(bc / eligible, eligible, gc / eligible, eligible, "chosen")
        assertSameProportion(bc / eligible, eligible, 0.15, .infinity, "chosen vs mlm_probability")
        for (name, b, gg, p) in [("[MASK]", t.mask, g.mask, 0.8), ("random", t.random, g.random, 0.1 * 216 / 217), ("kept", t.kept, g.kept, 0.1 + 0.1 / 217)] {
            assertSameProportion(sum(b) / bc, bc, sum(gg) / gc, gc, name)
            // A random draw hits the original id once in 217 and is counted as kept.
            assertSameProportion(sum(b) / bc, bc, p, .infinity, "\(name) vs its probability")
        }
        for r in g.rows.indices {
            assertSameProportion(Double(t.maskedPerRow[r]) / Double(g.draws * everChosen(g.chosen)[r].count), Double(g.draws * everChosen(g.chosen)[r].count),
                                 g.masked_per_row_mean[r] / Double(everChosen(g.chosen)[r].count), Double(g.draws * everChosen(g.chosen)[r].count),
                                 "row \(r) chosen")
        }
    }

    func testMLMProbabilityOptionScalesTheChoice() throws {
        let tok = try tokenizer()
        let g = try golden("masking.json")
        var o = MaskingOptions(probability: 0.4)
        o.maskReplace = 1
        o.randomReplace = 0
        let t = tally(g, try MaskedLMMasker(tokenizer: tok, options: o), tokenizer: tok)
        let eligible = Double(everChosen(g.chosen).joined().count * g.draws)
        assertSameProportion(sum(t.chosen) / eligible, eligible, 0.4, .infinity, "chosen at --mlm-probability 0.4")
        XCTAssertEqual(sum(t.mask), sum(t.chosen), "mask_replace_prob 1: every chosen token is [MASK]")
        XCTAssertThrowsError(try MaskedLMMasker(tokenizer: tok, options: MaskingOptions(probability: 1.5))) {
            XCTAssertEqual($0 as? MaskingError, .probability(name: "mlm probability", value: 1.5))
        }
    }

    func testWholeWordMaskingMatchesDataCollatorForWholeWordMask() throws {
        let tok = try tokenizer()
        let g = try golden("masking-wwm.json")
        let masker = try MaskedLMMasker(tokenizer: tok, options: MaskingOptions(wholeWord: true))
        let t = tally(g, masker, tokenizer: tok)
        XCTAssertEqual(g.whole_words_split, 0)
        XCTAssertEqual(t.splitWords, 0, "a ## continuation is masked with its word")
        XCTAssertEqual(everChosen(t.chosen), everChosen(g.chosen), "positions ever masked")
        for r in g.rows.indices {
            // A row's count is at most max(1, round(0.15 · len)) ≤ 4 here, so its standard deviation
            // is at most 2 and the mean of 4000 draws has a standard error ≤ 0.032 per side: 0.2 is
            // over 4 σ of the difference. Rows whose words always fit the budget match exactly.
            XCTAssertEqual(Double(t.maskedPerRow[r]) / Double(g.draws), g.masked_per_row_mean[r], accuracy: 0.2, "row \(r) mean masked")
        }
        for r in [0, 1, 3, 4] {
            XCTAssertEqual(Double(t.maskedPerRow[r]) / Double(g.draws), g.masked_per_row_mean[r], "row \(r): the budget is always filled")
        }
        let (bc, gc) = (sum(t.chosen), sum(g.chosen))
        for (name, b, gg) in [("[MASK]", t.mask, g.mask), ("random", t.random, g.random), ("kept", t.kept, g.kept)] {
            assertSameProportion(sum(b) / bc, bc, sum(gg) / gc, gc, "whole-word \(name)")
        }
    }

    /// A row's masks follow from (seed, a, b) alone: the same key gives the same masks whatever ran
    /// before, another seed or step gives others.
    func testMasksAreKeyedBySeedAndStream() throws {
        let masker = try MaskedLMMasker(tokenizer: tokenizer())
        let ids = try golden("masking.json").rows[4]
        let first = masker.mask(ids, seed: 5, 7, 1)
        for k in 0..<50 { _ = masker.mask(ids, seed: 5, k, 0) }
        XCTAssertEqual(masker.mask(ids, seed: 5, 7, 1), first)
        let others = (0..<20).map { masker.mask(ids, seed: 5, 8 + $0, 1) } + (0..<20).map { masker.mask(ids, seed: 6 + UInt64($0), 7, 1) }
        XCTAssertTrue(others.contains { $0 != first }, "other keys draw other masks")
    }
}

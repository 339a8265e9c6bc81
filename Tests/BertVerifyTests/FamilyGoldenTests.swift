import BertFormats
import BertModel
import BertTensors
import BertVerify
import TestSupport
import XCTest

/// Every RoBERTa and XLM-RoBERTa head's forward against transformers
/// (golden/expected/families/*.acts.safetensors: golden/record.py on golden/fixtures/families/*).
final class FamilyGoldenTests: XCTestCase {
    private func golden(_ name: String, layers: Int) throws -> GoldenFile {
        try GoldenFile.read(path: Repo.expected("families/\(name).acts.safetensors"), layers: layers)
    }

    /// f32 against f32 on 1–2-layer models: the two differ in summation order and the last bits of
    /// erf/tanh/exp only, so 1e-5 (the BERT heads' bound) holds with room.
    func testEveryFamilyHeadVerifiesAgainstTransformers() throws {
        for (name, head, _) in FamilyFixtures.all {
            let c = try FamilyFixtures.checkpoint(name)
            XCTAssertEqual(c.head, head, name)
            let m = try BertModel(checkpoint: c)
            let g = try golden(name, layers: m.config.appliedLayers)
            XCTAssertEqual(g.head, head, name)
            XCTAssertEqual(g.metadataDictionary["architecture"], c.architecture.className, name)
            let r = try Verifier.verify(model: m, golden: g)
            XCTAssertTrue(r.passed, "\(name): " + r.taps.filter { !$0.passed }.map { "\($0.goldenName) \($0.maxAbsError)" }.joined(separator: ", "))
            XCTAssertEqual(r.taps.map(\.goldenName), g.entries.map(\.name), "\(name): every golden tensor compared")
            let headTaps = Set(Tap.headTaps(head).map(\.description))
            XCTAssertEqual(Set(r.taps.map(\.tap)).intersection(headTaps), headTaps, "\(name): every head tap compared")
            for t in r.taps { XCTAssertLessThan(t.maxAbsError, 1e-5, "\(name) \(t.goldenName)") }
        }
    }

    /// The goldens' inputs are what RoBERTa feeds: padding with id 1 on the right, whose positions
    /// (pad + k for real tokens) only a padding-mask position rule reproduces.
    func testTheGoldensHavePaddingSoThePositionRuleIsExercised() throws {
        let g = try golden("roberta-sequence-classification", layers: 2)
        let ids = g.inputIds, rows = ids.count / g.seq
        let lengths = (0..<rows).map { r in g.attentionMask[r * g.seq..<(r + 1) * g.seq].reduce(0, +) }
        XCTAssertTrue(lengths.contains { $0 < g.seq }, "a padded row")
        XCTAssertTrue(ids.enumerated().allSatisfy { i, id in g.attentionMask[i] == 1 || id == 1 }, "padding is <pad> = 1")
    }
}

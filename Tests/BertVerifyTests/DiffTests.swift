import BertFormats
import BertModel
import BertTensors
import BertVerify
import TestSupport
import Foundation
import XCTest

final class DiffTests: XCTestCase {
    func side(_ c: Checkpoint, _ name: String) throws -> DiffSide { .model(path: name, checkpoint: c, model: try BertModel(checkpoint: c)) }

    /// f16 tolerance: f16 keeps 11 significant bits (relative rounding 2^-11 ≈ 5e-4 per weight); on
    /// tiny-bert's activations of order 1–3 that grows to a few 1e-3 at most, so 5e-2 passes with a
    /// wide margin while f32's 1e-4 must fail.
    func testAgainstItsF16ConversionSmallNonzeroAndPassesAtF16Tolerance() throws {
        let c = try CheckpointLoader.load(path: Repo.fixture("tiny-bert"))
        let d = try ModelDiff.run(try side(c, "f32"), try side(c.converted(to: .f16), "f16"), texts: nil,
                                  tolerance: Tolerance(atol: 5e-2, rtol: 5e-2))
        XCTAssertTrue(d.passed, DiffText.render(d))
        XCTAssertNil(d.tokenizer)
        XCTAssertEqual(d.taps.first?.tap, "embeddings")
        XCTAssertEqual(d.taps.last?.tap, "pooler")
        for t in d.taps {
            XCTAssertGreaterThan(t.maxAbsError, 0, t.tap)
            XCTAssertLessThan(t.maxAbsError, 1e-2, t.tap)
            XCTAssertLessThan(t.nmseDB, -50, t.tap)
            XCTAssertGreaterThanOrEqual(t.p99AbsError, t.medianAbsError, t.tap)
            XCTAssertGreaterThanOrEqual(t.maxAbsError, t.p99AbsError, t.tap)
        }
        XCTAssertEqual(d.weights?.entries.count, c.parameters.count)
        // At f32 tolerances the same pair must fail: the rounding is real.
        let strict = try ModelDiff.run(try side(c, "f32"), try side(c.converted(to: .f16), "f16"), texts: nil, tolerance: .f32)
        XCTAssertFalse(strict.passed)
    }

    func testPerturbedLayerIsTheFirstDivergentTap() throws {
        let c = try CheckpointLoader.load(path: Repo.fixture("tiny-bert"))
        var p = c
        let name = "encoder.layer.1.intermediate.dense.weight"
        let i = try XCTUnwrap(p.parameters.firstIndex { $0.name == name })
        let t = p.parameters[i].tensor
        p.parameters[i].tensor = RawTensor(floats: t.floats().map { $0 * 1.5 }, shape: t.shape)
        let d = try ModelDiff.run(try side(c, "a"), try side(p, "b"), texts: nil, tolerance: .f32)
        XCTAssertFalse(d.passed)
        XCTAssertEqual(d.firstDivergent?.tap, "encoder.layer.1.intermediate", DiffText.render(d))
        // Everything before the perturbed layer is bit-identical.
        for row in d.taps.prefix(while: { $0.tap != "encoder.layer.1.intermediate" }) {
            XCTAssertEqual(row.maxAbsError, 0, row.tap)
            XCTAssertEqual(row.nmseDB, -.infinity, row.tap)
        }
        XCTAssertEqual(d.weights?.entries.first?.name, name)
        XCTAssertEqual(d.weights?.entries.first?.relativeChange ?? 0, 0.5, accuracy: 1e-6)
        XCTAssertEqual(d.weights?.entries.filter { !$0.identical }.count, 1)

        // The report marks the divergent tap on every curve and ranks the perturbed weight first.
        let page = try XMLNode.parse(DiffReport.html(d))
        let svgs = page.all("svg")
        let marked = svgs.filter { $0.all("text").contains { $0.text == "first divergent: encoder.layer.1.intermediate" } }
        XCTAssertEqual(marked.count, 7, "one marker per statistic's curve")
        let bars = try XCTUnwrap(svgs.last).all("text").map(\.text)
        XCTAssertTrue(bars.contains(name), "\(bars.prefix(5))")
    }

    func testModelAgainstItsOwnDumpMatchesExactly() throws {
        let c = try CheckpointLoader.load(path: Repo.fixture("tiny-cls"))
        let g = try GoldenFile.read(path: Repo.expected("tiny-cls.acts.safetensors"), layers: c.config.numHiddenLayers)
        // bertkit against transformers' dump: the f32 verify tolerance applies.
        let d = try ModelDiff.run(try side(c, "tiny-cls"), .dump(g), texts: nil, tolerance: .f32)
        XCTAssertTrue(d.passed, DiffText.render(d))
        XCTAssertEqual(d.taps.count, g.entries.count)
        XCTAssertNil(d.weights)
    }

    func testDifferentTokenizersAreNamedFirstWithTheToken() throws {
        let a = try CheckpointLoader.load(path: Repo.fixture("tiny-bert"))
        var b = a
        var tokens = try XCTUnwrap(a.vocabulary).tokens
        // Swap two ordinary word pieces so one text tokenizes to other ids.
        let x = try XCTUnwrap(tokens.firstIndex(of: "the")), y = try XCTUnwrap(tokens.lastIndex { !$0.hasPrefix("[") && $0 != "the" })
        tokens.swapAt(x, y)
        b.vocabulary = try Vocabulary(tokens: tokens, source: "swapped")
        let d = try ModelDiff.run(try side(a, "a"), try side(b, "b"), texts: [.init("the cat")], tolerance: .f32)
        XCTAssertFalse(d.passed)
        let m = try XCTUnwrap(d.tokenizer)
        XCTAssertEqual(m.position, 1)
        XCTAssertTrue(m.tokenA.hasPrefix("the (id \(x))"), m.tokenA)
        XCTAssertTrue(DiffText.render(d).split(separator: "\n")[3].hasPrefix("TOKENIZERS DIFFER"), DiffText.render(d))
    }
}

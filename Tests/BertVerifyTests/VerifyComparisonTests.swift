import BertModel
import BertVerify
import XCTest

/// The comparison rule and statistics verify reports, on hand-made numbers.
final class VerifyComparisonTests: XCTestCase {
    func compare(_ a: [Float], _ e: [Float], _ tol: Tolerance, shape: [Int]? = nil, include: @escaping (Int) -> Bool = { _ in true })
        -> TapComparison {
        a.withUnsafeBufferPointer {
            TapComparison(tap: "t", goldenName: "t", shape: shape ?? [a.count], actual: $0, expected: e, tolerance: tol, include: include)
        }
    }

    func testAnElementFailsOnlyWhenBothBoundsFail() {
        let a: [Float] = [1.001, 100.01], e: [Float] = [1, 100]
        XCTAssertTrue(compare(a, e, Tolerance(atol: 2e-2, rtol: 0)).passed, "both within atol")
        XCTAssertTrue(compare(a, e, Tolerance(atol: 0, rtol: 2e-3)).passed, "both within rtol")
        // 1.001: abs 1e-3 > 1e-4 and rel 1e-3 > 1e-4 → fails; 100.01: rel 1e-4 ≤ 2e-4 → passes.
        let c = compare(a, e, Tolerance(atol: 1e-4, rtol: 2e-4))
        XCTAssertFalse(c.passed)
        XCTAssertEqual(c.failing, 1)
        XCTAssertEqual(c.worstIndex, [1], "the largest absolute error is at 100.01")
        XCTAssertEqual(c.requiredAtol, 1e-3, accuracy: 1e-7)
        XCTAssertEqual(c.requiredRtol!, 1e-3, accuracy: 1e-7)
    }

    func testStatisticsDecideHowManyElementsMayFail() {
        var a = [Float](repeating: 1, count: 200), e = a
        a[7] = 2
        e[7] = 1
        let tol = Tolerance(atol: 1e-3, rtol: 1e-3, stat: .max)
        XCTAssertFalse(compare(a, e, tol).passed)
        XCTAssertTrue(compare(a, e, Tolerance(atol: 1e-3, rtol: 1e-3, stat: .p99)).passed, "1 of 200 is within the 1% p99 allows")
        XCTAssertTrue(compare(a, e, Tolerance(atol: 1e-3, rtol: 1e-3, stat: .median)).passed)
        let mean = compare(a, e, Tolerance(atol: 1e-3, rtol: 1e-3, stat: .mean))
        XCTAssertEqual(mean.requiredAtol, 1.0 / 200, accuracy: 1e-9, "the mean excess error")
        XCTAssertFalse(mean.passed)
        XCTAssertNil(mean.requiredRtol)
        a[8] = 2
        a[9] = 2
        XCTAssertFalse(compare(a, e, Tolerance(atol: 1e-3, rtol: 1e-3, stat: .p99)).passed, "3 of 200 is over 1%")
    }

    func testMaskedPositionsAreLeftOut() {
        let c = compare([1, 5, 1, 5], [1, 0, 1, 0], .f32, shape: [2, 2], include: { $0 % 2 == 0 })
        XCTAssertTrue(c.passed)
        XCTAssertEqual(c.compared, 2)
        XCTAssertEqual(c.maxAbsError, 0)
    }

    func testNonFiniteValuesAreCountedAndOnlyMatchThemselves() {
        let c = compare([.nan, .infinity, 1, .nan], [.nan, .infinity, .nan, 2], .f32, shape: [2, 2])
        XCTAssertEqual(c.nanActual, 2)
        XCTAssertEqual(c.nanExpected, 2)
        XCTAssertEqual(c.infActual, 1)
        XCTAssertEqual(c.infExpected, 1)
        XCTAssertEqual(c.failing, 2, "NaN vs NaN and inf vs inf match; 1 vs NaN and NaN vs 2 do not")
        XCTAssertEqual(c.maxAbsError, .infinity)
        XCTAssertEqual(c.worstIndex, [1, 0])
        XCTAssertFalse(c.passed)
    }

    func testCosineAndWorstIndexInShape() {
        let c = compare([1, 2, 3, 4, 5, 6.5], [1, 2, 3, 4, 5, 6], .f32, shape: [1, 2, 3])
        XCTAssertEqual(c.worstIndex, [0, 1, 2])
        let dot = 1.0 + 4 + 9 + 16 + 25 + 39, na = (1.0 + 4 + 9 + 16 + 25 + 42.25).squareRoot(), ne = (1.0 + 4 + 9 + 16 + 25 + 36).squareRoot()
        XCTAssertEqual(c.cosine, dot / (na * ne), accuracy: 1e-12)
        XCTAssertEqual(c.meanAbsError, 0.5 / 6, accuracy: 1e-12)
        XCTAssertEqual(c.maxRelError, 0.5 / 6, accuracy: 1e-7)
    }
}

/// Golden tensor names: module paths and transformers' output names.
final class GoldenNameTests: XCTestCase {
    func testModulePathsAndAliases() {
        let cases: [(String, Tap)] = [
            ("embeddings", .embeddings), ("bert.embeddings", .embeddings), ("hidden_states.0", .embeddings),
            ("hidden_states.3", .output(layer: 2)), ("last_hidden_state", .output(layer: 5)),
            ("attentions.4", .attentionProbs(layer: 4)), ("encoder.layer.4.attention.probs", .attentionProbs(layer: 4)),
            ("encoder.layer.10.attention.self", .attentionSelf(layer: 10)), ("bert.encoder.layer.0.attention", .attention(layer: 0)),
            ("encoder.layer.1.intermediate", .intermediate(layer: 1)), ("encoder.layer.1.output", .output(layer: 1)),
            ("pooler", .pooler), ("pooler_output", .pooler), ("bert.pooler", .pooler), ("classifier", .classifier),
            ("logits", .classifier), ("sentence_embedding", .sentenceEmbedding),
        ]
        for (name, tap) in cases { XCTAssertEqual(Tap(goldenName: name, layers: 6, head: .sequenceClassification), tap, name) }
        for bad in ["encoder.layer.01.output", "encoder.layer.-1.output", "encoder.layer.0.attention.output", "hidden_states.x",
                    "attentions", "bert.bert.pooler", "layer.0.output", "encoder.layer.0", ""] {
            XCTAssertNil(Tap(goldenName: bad, layers: 6, head: .sequenceClassification), bad)
        }
        XCTAssertEqual(Tap.output(layer: 3).description, "encoder.layer.3.output")
    }
}

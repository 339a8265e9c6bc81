import BertModel
import Foundation
import TestSupport
import XCTest

/// seqeval's entity scores: hand-worked cases, then every case of golden/expected/ner/seqeval.json
/// (golden/generate_ner_metrics.py, seqeval 1.2.2).
final class EntityScoresTests: XCTestCase {
    func testHandWorkedDefaultAndStrict() throws {
        // seqeval's README: MISC is predicted one token early (wrong), PER right: P = R = F1 = 1/2.
        let truth = [["O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]
        let predicted = [["O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]
        let s = try EntityScores(truth: truth, predicted: predicted, strict: false)
        XCTAssertEqual(s.micro, EntityPRF(precision: 0.5, recall: 0.5, f1: 0.5))
        XCTAssertEqual(s.perType.map(\.type), ["MISC", "PER"])
        XCTAssertEqual(s.tokenAccuracy, 0.8, "8 of 10 tags equal")
        // An I- after O starts an entity by default (conlleval) and is no entity in strict IOB2.
        let orphan = [["O", "I-PER", "I-PER", "O"]], fixed = [["O", "B-PER", "I-PER", "O"]]
        XCTAssertEqual(try EntityScores(truth: orphan, predicted: fixed, strict: false).micro.f1, 1)
        let strict = try EntityScores(truth: orphan, predicted: fixed, strict: true)
        XCTAssertEqual(strict.micro, EntityPRF(precision: 0, recall: 0, f1: 0), "no true entity; the predicted one is wrong")
        XCTAssertEqual(strict.perType.first?.predicted, 1)
        // A sentence boundary ends an entity: B-PER I-PER | I-PER is two entities.
        XCTAssertEqual(EntityChunking.conlleval([["B-PER", "I-PER"], ["I-PER"]]).count, 2)
        XCTAssertEqual(EntityChunking.conlleval([["B-PER", "I-LOC"]]).map(\.type), ["PER", "LOC"], "B-X I-Y is two")
        XCTAssertThrowsError(try EntityScores(truth: [["E-PER"]], predicted: [["O"]], strict: true)) {
            XCTAssertEqual($0 as? EntitySchemeError, EntitySchemeError(tag: "E-PER"))
        }
        let none = try EntityScores(truth: [["O"]], predicted: [["O"]], strict: false)
        XCTAssertNil(none.macro, "no entity type: numpy's mean of nothing")
        XCTAssertEqual(none.micro.f1, 0, "zero denominators give 0")
    }

    struct Report: Decodable {
        struct PRF: Decodable { let precision, recall, f1: Double; let support: Int }
        let types: [String: PRF]?
        let micro, weighted: PRF?
        let macro: PRF?
        let accuracy: Double?
        let error: String?
    }
    struct Case: Decodable {
        let name: String
        let truth, predicted: [[String]]
        let `default`, strict: Report
    }

    func testEverySeqevalGolden() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Repo.golden("expected/ner/seqeval.json")))
        let cases = try JSONDecoder().decode([Case].self, from: data)
        XCTAssertEqual(cases.count, 135)
        var strictErrors = 0
        for c in cases {
            for (mode, want) in [(false, c.default), (true, c.strict)] {
                let label = "\(c.name) (\(mode ? "strict" : "default"))"
                if want.error != nil {
                    XCTAssertThrowsError(try EntityScores(truth: c.truth, predicted: c.predicted, strict: mode), label)
                    strictErrors += 1
                    continue
                }
                let got = try EntityScores(truth: c.truth, predicted: c.predicted, strict: mode)
                // Both sides divide the same integer counts in float64; the averages may sum in
                // another order (numpy's pairwise sum), hence 1e-12 rather than equality.
                func close(_ a: Double, _ b: Double, _ what: String) { XCTAssertEqual(a, b, accuracy: 1e-12, "\(label): \(what)") }
                func check(_ g: EntityPRF?, _ w: Report.PRF?, _ what: String) {
                    guard let w else { return XCTAssertNil(g, "\(label): \(what)") }
                    guard let g else { return XCTFail("\(label): no \(what)") }
                    close(g.precision, w.precision, what + " precision"); close(g.recall, w.recall, what + " recall"); close(g.f1, w.f1, what + " f1")
                }
                XCTAssertEqual(got.perType.map(\.type), (want.types ?? [:]).keys.sorted(), label)
                for t in got.perType {
                    guard let w = want.types?[t.type] else { continue }
                    check(EntityPRF(precision: t.precision, recall: t.recall, f1: t.f1), w, t.type)
                    XCTAssertEqual(t.support, w.support, "\(label): \(t.type) support")
                }
                check(got.micro, want.micro, "micro")
                check(got.macro, want.macro, "macro")
                check(got.weighted, want.weighted, "weighted")
                if let a = want.accuracy { close(got.tokenAccuracy, a, "accuracy") }
            }
        }
        XCTAssertEqual(strictErrors, 3, "the hand-made tags seqeval's strict mode refuses")
    }
}

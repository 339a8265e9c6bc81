import BertFormats
import BertModel
import BertVerify
import TestSupport
import XCTest

/// Validator's Quality check follows config.json's problem_type; tiny-cls (5 labels, untrained)
/// relabelled as each problem type, on golden/data/problems/tiny-cls-*.csv.
final class ValidateProblemTypeQualityTests: XCTestCase {
    func tinyCls(as problem: ProblemType) throws -> (path: String, model: BertModel) {
        var c = try CheckpointLoader.load(path: Repo.fixture("tiny-cls"))
        c.config.problemType = problem
        let path = Repo.temporaryDirectory(problem.rawValue) + "/model.bkm"
        try BKMWriter.write(c, to: path)
        return (path, try BertModel(checkpoint: c))
    }

    func quality(_ r: ValidationReport) throws -> ValidationCheck { try XCTUnwrap(r.checks.first { $0.family == "Quality" }) }

    func testRegressionIsScoredAsEvaluateScoresIt() throws {
        let (path, model) = try tinyCls(as: .regression)
        let csv = Repo.golden("data/problems/tiny-cls-regression.csv")
        var o = Validator.Options()
        o.data = csv
        o.maxMSE = 1e6
        let r = Validator.run(path: path, options: o)
        let q = try quality(r)
        XCTAssertEqual(q.name, "regression error")
        XCTAssertEqual(q.status, .pass, q.reason)
        let ds = try LabelledDataset(contentsOf: csv, labels: model.config.id2label, problem: .regression)
        let want = RegressionMetrics(labels: model.config.id2label, truth: ds.examples.flatMap(\.values),
                                     predicted: try model.classifierLogits(ds))
        // The same logits and the same code: equal to the bit.
        XCTAssertEqual(q.figures["mse"], want.mse)
        XCTAssertEqual(q.figures["mae"], want.mae)
        XCTAssertEqual(q.figures["pearson"], want.pearson)
        XCTAssertEqual(q.figures["examples"], 4)
        // Five targets: a header, a column line and one line per target.
        XCTAssertEqual(r.details.count, 2 + 5, r.details.joined(separator: "\n"))
    }

    func testMultiLabelIsScoredAsEvaluateScoresIt() throws {
        let (path, model) = try tinyCls(as: .multiLabel)
        let csv = Repo.golden("data/problems/tiny-cls-multilabel.csv")
        var o = Validator.Options()
        o.data = csv
        o.minAccuracy = 0
        o.minF1 = 0
        let q = try quality(Validator.run(path: path, options: o))
        XCTAssertEqual(q.name, "multi-label scores")
        XCTAssertEqual(q.status, .pass, q.reason)
        let ds = try LabelledDataset(contentsOf: csv, labels: model.config.id2label, problem: .multiLabel)
        let want = MultiLabelMetrics(labels: model.config.id2label, truth: ds.examples.flatMap(\.values),
                                     logits: try model.classifierLogits(ds), threshold: 0.5)
        XCTAssertEqual(q.figures["label_accuracy"], want.labelAccuracy)
        XCTAssertEqual(q.figures["micro_f1"], want.microF1)
        XCTAssertEqual(q.figures["subset_accuracy"], want.subsetAccuracy)
    }

    /// `run` reports unreadable data as a failed Quality check; `gate` (the CLI's) throws it.
    func testBadDataFailsTheCheckOrThrows() throws {
        let (path, _) = try tinyCls(as: .regression)
        let csv = Repo.temporaryDirectory() + "/bad.csv"
        try "text,label\nthe team won,1;2;3;4;5\nthe market fell,1;2;x;4;5\n".write(toFile: csv, atomically: true, encoding: .utf8)
        var o = Validator.Options()
        o.data = csv
        let q = try quality(Validator.run(path: path, options: o))
        XCTAssertEqual(q.status, .fail)
        XCTAssertTrue(q.reason.hasPrefix("\(csv):3: "), q.reason)
        XCTAssertThrowsError(try Validator.gate(path: path, options: o)) { XCTAssertEqual(($0 as? CSVError)?.line, 3, "\($0)") }
        o.data = Repo.golden("data/problems/tiny-cls-regression.csv")
        o.minF1 = 0.5
        XCTAssertThrowsError(try Validator.gate(path: path, options: o)) { XCTAssertEqual(($0 as? QualityBoundError)?.option, "--min-f1") }
    }
}

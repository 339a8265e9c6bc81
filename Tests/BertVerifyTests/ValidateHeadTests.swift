import BertFormats
import BertTensors
import BertVerify
import TestSupport
import XCTest

/// validate knows every head: structure by the head's table, numbers and behaviour on its outputs,
/// and its task run once through the pipeline.
final class ValidateHeadTests: XCTestCase {
    func testEveryHeadPassesAndRunsItsTaskOnce() throws {
        let cases: [(String, String?)] = [
            ("masked-lm", "fill-mask runs"), ("pretraining", "fill-mask runs"), ("next-sentence", "next-sentence runs"),
            ("multiple-choice", "multiple-choice runs"), ("token-classification", "token-classification runs"),
            ("question-answering", "question-answering runs"), ("bert-no-pooler", nil),
        ]
        for (name, task) in cases {
            let r = Validator.run(path: Repo.fixture("heads/\(name)/safetensors"), options: Validator.Options())
            XCTAssertTrue(r.passed, "\(name): " + r.failed.map { "\($0.name): \($0.reason)" }.joined(separator: "; "))
            for check in ["tensors present and shaped", "deterministic", "padded batch = single", "outputs finite on probe inputs"] {
                XCTAssertEqual(r.checks.first { $0.name == check }?.status, .pass, "\(name) \(check)")
            }
            if let task {
                let c = r.checks.first { $0.name == task }
                XCTAssertEqual(c?.status, .pass, "\(name): \(c?.reason ?? "no \(task) check")")
            } else {
                XCTAssertFalse(r.checks.contains { $0.name.hasSuffix(" runs") }, name)
            }
        }
    }

    /// A head tensor missing from the file is named by the structure check (read through inspect's
    /// binding, the folder fails to load, so the check names the tensor).
    func testAHeadWhoseTaskGivesNaNFails() throws {
        var c = try CheckpointLoader.load(path: Repo.fixture("heads/question-answering/safetensors"))
        let i = c.parameters.firstIndex { $0.name == "qa_outputs.bias" }!
        c.parameters[i].tensor = RawTensor(floats: [.nan, 0], shape: [2])
        let path = Repo.temporaryDirectory() + "/qa.bkm"
        try BKMWriter.write(c, to: path)
        let r = Validator.run(path: path, options: Validator.Options())
        XCTAssertEqual(r.checks.first { $0.name == "question-answering runs" }?.status, .fail,
                       r.checks.map { "\($0.name) \($0.status)" }.joined(separator: ", "))
        XCTAssertEqual(r.checks.first { $0.name == "weights finite" }?.status, .fail)
    }
}

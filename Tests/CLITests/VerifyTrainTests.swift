import Foundation
import TestSupport
import XCTest

/// `bertkit verify MODEL STEP --train` on the step goldens golden/record.py --train wrote
/// (golden/generate_train_verify.py): the table, --json, and exit codes 0 / 1 / 2.
final class VerifyTrainTests: XCTestCase {
    let model = Repo.fixture("train-verify/token-classification")
    let golden = Repo.expected("train-verify/token-classification.step.safetensors")

    func verify(_ model: String, _ golden: String, _ extra: [String] = []) throws -> ToolRun {
        try ToolRun.run(["verify", model, golden, "--train"] + extra)
    }

    func testRecordedStepPassesWithTheVerifyTable() throws {
        let r = try verify(model, golden)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertTrue(lines[0].hasPrefix("tensor") && lines[0].contains("max abs   mean abs  max rel   cosine"), String(lines[0]))
        let names = lines.dropFirst().prefix { !$0.isEmpty }.map { String($0.split(separator: " ")[0]) }
        XCTAssertEqual(Array(names.prefix(3)), ["loss", "logits.0", "grad.embeddings.word_embeddings.weight"])
        XCTAssertEqual(names.last, "param1.classifier.bias")
        // 39 trained parameters, 4 rows each, but the 2 key biases' moments and values skipped.
        XCTAssertEqual(names.count, 2 + 39 * 4 - 2 * 3, r.stdout)
        XCTAssertTrue(r.stdout.contains("skipped param1.encoder.layer.0.attention.self.key.bias"), r.stdout)
        XCTAssertTrue(r.stdout.contains("PASS: all \(names.count) tensors of the step"), r.stdout)
    }

    func testJSONNamesKindsAndRules() throws {
        let r = try verify(Repo.fixture("train-verify/question-answering"), Repo.expected("train-verify/question-answering.step.safetensors"),
                           ["--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = CLI.json(r.stdout)
        XCTAssertEqual(o["passed"] as? Bool, true)
        XCTAssertNil(o["first_divergent_gradient"])
        let taps = o["taps"] as! [[String: Any]]
        XCTAssertEqual(taps.first?["kind"] as? String, "loss")
        let g = taps.first { $0["goldenName"] as? String == "grad.qa_outputs.weight" }!
        XCTAssertEqual(g["kind"] as? String, "gradient")
        XCTAssertEqual(g["parameter"] as? String, "qa_outputs.weight")
        XCTAssertEqual((g["tolerance"] as? [String: Any])?["rtol"] as? Double, 1e-5)
        XCTAssertNotNil(g["maxAbsError"])
        let skipped = (o["skipped"] as! [[String: Any]]).map { $0["name"] as! String }
        XCTAssertTrue(skipped.contains("param1.qa_outputs.bias"), "\(skipped)")
    }

    /// One gradient element off by 1e-3 of its tensor's largest: exit 1, that parameter named.
    func testPerturbedGradientExitsOneNamingTheParameter() throws {
        var g = try GoldenBytes(path: golden)
        let name = "encoder.layer.0.intermediate.dense.weight"
        let v = g.floats("grad." + name)
        g.setFloat("grad." + name, at: 7, v[7] + 1e-3 * (v.map(abs).max() ?? 0))
        let path = Repo.temporaryDirectory() + "/perturbed.safetensors"
        try g.write(path)
        let r = try verify(model, path)
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("first divergent gradient: \(name) (in forward order)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("backward goes wrong at: \(name) "), r.stdout)
        XCTAssertTrue(r.stdout.contains("first failing tensor: grad.\(name): 1 of 384 elements fail"), r.stdout)
        XCTAssertTrue(r.stdout.contains("FAIL: 1 of"), r.stdout)
        let j = CLI.json(try verify(model, path, ["--json"]).stdout)
        XCTAssertEqual(j["first_divergent_gradient"] as? String, name)
        XCTAssertEqual(j["first_failure_name"] as? String, "grad." + name)
        XCTAssertEqual(j["divergence_origin"] as? String, name)
    }

    func testGoldensThatDoNotFitExitTwoNamingTheTensor() throws {
        var g = try GoldenBytes(path: golden)
        var h = g.header["grad.classifier.weight"] as! [String: Any]
        h["shape"] = [16, 3]
        g.header["grad.classifier.weight"] = h
        let path = Repo.temporaryDirectory() + "/reshaped.safetensors"
        try g.write(path)
        CLI.assertBadInput(try verify(model, path), names: ["grad.classifier.weight", "[16, 3]", "[3, 16]"])
        g.rename("grad.classifier.weight", to: "grad.classifier.weights")
        try g.write(path)
        CLI.assertBadInput(try verify(model, path), names: ["grad.classifier.weights"])
        CLI.assertBadInput(try verify(Repo.fixture("train-verify/question-answering"), golden),
                           names: ["BertForTokenClassification", "BertForQuestionAnswering"])
        CLI.assertBadInput(try verify(model, Repo.expected("tiny-cls.acts.safetensors")), names: ["not a step golden", "bertkit-golden"])
        let r = try verify(model, golden, ["--atol", "1e-3"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--train judges each tensor by its own rule"), r.stderr)
    }
}

import Foundation
import TestSupport
import XCTest

/// `run --task fill-mask` against golden/expected/pipelines/fill-mask.json (transformers' fill-mask
/// pipeline, golden/generate_fill_mask.py) on MiniLM under the committed random masked-LM head.
final class RunFillMaskTests: XCTestCase {
    struct Candidate: Decodable, Equatable {
        var score: Double
        var token: Int
        var token_str: String
        var sequence: String
    }

    /// One text's value: a list of candidates, or one list per mask.
    enum Prediction: Decodable {
        case one([Candidate])
        case several([[Candidate]])

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let l = try? c.decode([[Candidate]].self) { self = .several(l) } else { self = .one(try c.decode([Candidate].self)) }
        }

        var masks: [[Candidate]] {
            switch self {
            case .one(let l): [l]
            case .several(let l): l
            }
        }

        var isSeveral: Bool { if case .several = self { true } else { false } }
    }

    struct Golden: Decodable {
        struct Options: Decodable {
            var top_k: Int?
            var targets: [String]?
        }
        struct Case: Decodable {
            var name: String
            var options: Options
            var inputs: [String]
            var outputs: [Prediction]
        }
        struct PreTraining: Decodable { var `case`: Case }
        var cases: [Case]
        var pre_training: PreTraining
    }

    static func golden() throws -> Golden {
        try JSONDecoder().decode(Golden.self, from: Data(contentsOf: URL(fileURLWithPath: Repo.expected("pipelines/fill-mask.json"))))
    }

    static func args(_ c: Golden.Case) -> [String] {
        (c.options.top_k.map { ["--top-k", String($0)] } ?? []) + (c.options.targets ?? []).flatMap { ["--targets", $0] }
    }

    /// Same shape, tokens and strings; scores within 1e-5 (the bar: see FillMaskTests).
    func assertSame(_ stdout: String, _ want: [Prediction], _ label: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let got = try JSONDecoder().decode([Prediction].self, from: Data(stdout.utf8))
        XCTAssertEqual(got.count, want.count, label, file: file, line: line)
        for (t, (g, w)) in zip(got, want).enumerated() {
            XCTAssertEqual(g.isSeveral, w.isSeveral, "\(label) text \(t + 1): a list per mask for several masks only", file: file, line: line)
            XCTAssertEqual(g.masks.count, w.masks.count, file: file, line: line)
            for (gl, wl) in zip(g.masks, w.masks) {
                XCTAssertEqual(gl.map(\.token), wl.map(\.token), "\(label) text \(t + 1)", file: file, line: line)
                assertSameScalars(gl.map(\.token_str), wl.map(\.token_str), "\(label) text \(t + 1)", file: file, line: line)
                assertSameScalars(gl.map(\.sequence), wl.map(\.sequence), "\(label) text \(t + 1)", file: file, line: line)
                assertClose(gl.map { Float($0.score) }, wl.map { Float($0.score) }, atol: 1e-5, label: "\(label) text \(t + 1) scores",
                            file: file, line: line)
            }
        }
    }

    func testJSONIsThePipelinesValuePerText() throws {
        let model = try MiniLMWithHead.bkm("fill-mask")
        for c in try Self.golden().cases {
            let r = try ToolRun.run(["run", model] + c.inputs + Self.args(c) + ["--json", "--threads", "2"])
            XCTAssertEqual(r.status, 0, r.stderr)
            try assertSame(r.stdout, c.outputs, c.name)
            if c.name == "targets" {
                // transformers warns about each target it replaces or drops.
                for w in ["target \"Paris\" is not in the vocabulary; using its first token \"paris\" (id 3000)",
                          "target \"xylophonist\" is not in the vocabulary; using its first token \"x\" (id 1060)",
                          "target \"\u{200B}\" tokenizes to nothing; ignored"] {
                    XCTAssertTrue(r.stderr.contains("warning: " + w), r.stderr)
                }
                XCTAssertFalse(r.stderr.contains("\"capital\""), r.stderr)
            }
        }
    }

    func testPreTrainingModelFillsMasksByDefault() throws {
        let c = try Self.golden().pre_training.case
        let r = try ToolRun.run(["run", try MiniLMWithHead.bkm("pre-training")] + c.inputs + ["--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        try assertSame(r.stdout, c.outputs, c.name)
    }

    func testSummaryShowsEachCandidateAndSequence() throws {
        let c = try Self.golden().cases[0]
        let r = try ToolRun.run(["run", try MiniLMWithHead.bkm("fill-mask"), c.inputs[0], c.inputs[3]])
        XCTAssertEqual(r.status, 0, r.stderr)
        let first = c.outputs[0].masks[0][0]
        XCTAssertTrue(r.stdout.contains("text 1: \"\(c.inputs[0])\""), r.stdout)
        XCTAssertTrue(r.stdout.contains(String(format: "%.4f", first.score) + "  " + first.token_str), r.stdout)
        XCTAssertTrue(r.stdout.contains(first.sequence), r.stdout)
        XCTAssertTrue(r.stdout.contains("mask 2 of 2:"), r.stdout)
    }

    func testTextWithoutMaskIsBadInputAndPrintsNothing() throws {
        let model = try MiniLMWithHead.bkm("fill-mask")
        let r = try ToolRun.run(["run", model, "The [MASK] sat.", "No mask in this one.", "--json"])
        CLI.assertBadInput(r, names: ["input 2", "[MASK]"])
        XCTAssertEqual(r.stdout, "")
        CLI.assertBadInput(try ToolRun.run(["run", model, "[MASK]", "--targets", "\u{200B}"]), names: ["targets", "\u{200B}"])
        XCTAssertEqual(try ToolRun.run(["run", model, "[MASK]", "--top-k", "0"]).status, 64)  // usage
    }

    func testTaskTheHeadCannotDoExitsTwoNamingTheHead() throws {
        CLI.assertBadInput(try ToolRun.run(["run", try MiniLMWithHead.bkm("fill-mask"), "A [MASK].", "--task", "multiple-choice",
                                            "--choice", "a", "--choice", "b"]),
                           names: ["BertForMaskedLM", "multiple-choice", "BertForMultipleChoice"])
        CLI.assertBadInput(try ToolRun.run(["run", try MiniLMWithHead.bkm("multiple-choice"), "A [MASK].", "--task", "fill-mask"]),
                           names: ["BertForMultipleChoice", "fill-mask", "BertForMaskedLM or BertForPreTraining"])
        // Options of another task are refused, not ignored.
        CLI.assertBadInput(try ToolRun.run(["run", try MiniLMWithHead.bkm("fill-mask"), "A [MASK].", "--choice", "a"]),
                           names: ["--choice", "multiple-choice"])
        CLI.assertBadInput(try ToolRun.run(["run", try MiniLMWithHead.bkm("next-sentence"), "A.", "--pair", "B.", "--top-k", "3"]),
                           names: ["--top-k", "fill-mask", "next-sentence"])
    }
}

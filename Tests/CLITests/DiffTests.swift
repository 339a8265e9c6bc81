import Foundation
import TestSupport
import XCTest

final class DiffCLITests: XCTestCase {
    func testF16ConversionPassesAtF16ToleranceAndReportParses() throws {
        let dir = Repo.temporaryDirectory()
        let f16 = dir + "/tiny-f16.bkm", html = dir + "/diff.html"
        XCTAssertEqual(try ToolRun.run(["convert", Repo.fixture("tiny-bert"), f16, "--dtype", "f16"]).status, 0)
        // f16 rounding (2^-11 relative per weight) reaches ~2e-3 on tiny-bert: 5e-2 passes, 1e-4 does not.
        let ok = try ToolRun.run(["diff", Repo.fixture("tiny-bert"), f16, "--atol", "5e-2", "--rtol", "5e-2", "--report", html])
        XCTAssertEqual(ok.status, 0, ok.stdout + ok.stderr)
        XCTAssertTrue(ok.stdout.contains("PASS: all 12 taps"), ok.stdout)
        let strict = try ToolRun.run(["diff", Repo.fixture("tiny-bert"), f16, "--json"])
        XCTAssertEqual(strict.status, 1)
        let o = CLI.json(strict.stdout)
        XCTAssertEqual(o["passed"] as? Bool, false)
        XCTAssertEqual(o["first_divergent"] as? String, "embeddings")

        let page = try String(contentsOfFile: html, encoding: .utf8)
        XCTAssertFalse(page.contains("http://") && page.contains("<script src"), "no network assets")
        XCTAssertFalse(page.contains("<link"), "no external stylesheets")
        let doc = try XMLNode.parse(page)
        XCTAssertGreaterThanOrEqual(doc.all("svg").count, 7, "one curve per statistic, plus the weight bars")
        let rows = doc.all("table").first { $0.attributes["id"] == "taps" }?.all("tr") ?? []
        XCTAssertEqual(rows.count, 1 + 12, "header + one row per tap")
        XCTAssertEqual(rows.dropFirst().first?.all("td").first?.text, "embeddings")
    }

    func testOneSidedAndDumpInputs() throws {
        // A model against transformers' own dump of it: passes at the f32 verify tolerance.
        let r = try ToolRun.run(["diff", Repo.expected("tiny-cls.acts.safetensors"), Repo.fixture("tiny-cls")])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("inputs: the "), r.stdout)
        // Different architectures: what differs is said, equal shapes are still compared.
        let x = try ToolRun.run(["diff", Repo.fixture("tiny-bert"), Repo.fixture("tiny-cls")])
        XCTAssertEqual(x.status, 1)
        XCTAssertTrue(x.stdout.contains("taps only in B: classifier") || x.stdout.contains("config differs"), x.stdout)
    }
}

final class DiffInputsCLITests: XCTestCase {
    func testJSONLAndGoldenInputs() throws {
        let dir = Repo.temporaryDirectory()
        let jsonl = dir + "/in.jsonl", f16 = dir + "/tiny-f16.bkm"
        try #"{"text": "hello world"}\#n{"text": "a", "pair": "b"}\#n"#.write(toFile: jsonl, atomically: true, encoding: .utf8)
        XCTAssertEqual(try ToolRun.run(["convert", Repo.fixture("tiny-bert"), f16, "--dtype", "f16"]).status, 0)
        let r = try ToolRun.run(["diff", Repo.fixture("tiny-bert"), f16, "--inputs", jsonl, "--atol", "5e-2", "--rtol", "5e-2"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        // The pair row, [CLS] a [SEP] b [SEP], is the longest: 2 texts, 5 tokens (the pair was read).
        XCTAssertTrue(r.stdout.contains("inputs: 2×5 tokens"), r.stdout)
        let g = try ToolRun.run(["diff", Repo.fixture("tiny-bert"), f16, "--inputs", Repo.expected("tiny-bert.acts.safetensors"),
                                 "--atol", "5e-2", "--rtol", "5e-2"])
        XCTAssertEqual(g.status, 0, g.stdout + g.stderr)
        XCTAssertTrue(g.stdout.contains("tokens recorded in"), g.stdout)
    }
}

final class DiffMiniLMCLITests: XCTestCase {
    /// MiniLM against its f16 .bkm: f16 weight rounding reaches 8.6e-3 max abs (encoder.layer.2.intermediate)
    /// with NMSE at most −60 dB on every tap; 5e-2 is the f16 tolerance verify documents.
    func testMiniLMAgainstF16() throws {
        let m = try Repo.requireMiniLM()
        let f16 = Repo.temporaryDirectory() + "/minilm-f16.bkm"
        XCTAssertEqual(try ToolRun.run(["convert", m, f16, "--dtype", "f16"]).status, 0)
        let r = try ToolRun.run(["diff", m, f16, "--atol", "5e-2", "--rtol", "5e-2", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let d = try XCTUnwrap(CLI.json(r.stdout)["diff"] as? [String: Any])
        let taps = try XCTUnwrap(d["taps"] as? [[String: Any]])
        XCTAssertEqual(taps.count, 1 + 6 * 5 + 2, "every MiniLM tap + pooler + sentence_embedding")
        for t in taps {
            let maxAbs = t["maxAbsError"] as? Double ?? -1, nmse = t["nmseDB"] as? Double ?? 0
            XCTAssertGreaterThan(maxAbs, 0, "\(t["tap"]!)")
            XCTAssertLessThan(maxAbs, 2e-2, "\(t["tap"]!)")
            XCTAssertLessThan(nmse, -55, "\(t["tap"]!)")
        }
    }
}

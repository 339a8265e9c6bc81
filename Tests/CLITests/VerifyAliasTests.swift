import Foundation
import TestSupport
import XCTest

/// Goldens recorded the usual way (golden/record.py: forward hooks + output_hidden_states), which
/// name most taps twice: `bert.embeddings` and `hidden_states.0`, `classifier` and `logits`, ...
final class VerifyAliasTests: XCTestCase {
    static let hooks = Repo.expected("tiny-cls.hooks.safetensors")

    /// Every tensor of tiny-cls.hooks.safetensors in the order verify shows them: forward order, the
    /// names of one tap sorted.
    static let rows: [String] = {
        var r = ["bert.embeddings", "hidden_states.0"]
        for l in 0..<3 {
            let p = "bert.encoder.layer.\(l)"
            r += ["attentions.\(l)", "\(p).attention.self", "\(p).attention", "\(p).intermediate", "\(p).output", "hidden_states.\(l + 1)"]
        }
        return r + ["last_hidden_state", "bert.pooler", "pooler_output", "classifier", "logits"]
    }()

    func verify(_ golden: String, _ extra: [String] = []) throws -> ToolRun {
        try ToolRun.run(["verify", Repo.fixture("tiny-cls"), golden] + extra)
    }

    /// The first column of the table, up to the blank line after it.
    func tableNames(_ stdout: String) -> [String] {
        stdout.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().prefix { !$0.isEmpty }
            .map { String($0.split(separator: " ")[0]) }
    }

    /// The golden with one element of each named tensor moved by `delta` (flat index `at`).
    static func broken(_ changes: [(String, Float)], at i: Int = 0) throws -> String {
        var g = try GoldenBytes(path: Self.hooks)
        for (name, delta) in changes { g.setFloat(name, at: i, g.floats(name)[i] + delta) }
        let path = Repo.temporaryDirectory() + "/broken-hooks.safetensors"
        try g.write(path)
        return path
    }

    func testHooksGoldenPassesWithEveryRowUnderItsOwnName() throws {
        let r = try verify(Self.hooks)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertEqual(tableNames(r.stdout), Self.rows, r.stdout)
        // One run of transformers: hook and output are the same tensor, so every pair is identical.
        XCTAssertTrue(r.stdout.contains("aliases: 6 taps recorded under more than one name, 8 pairs; every pair agrees "
                                        + "(largest max abs difference 0.00e+00)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("PASS: all 25 tensors (18 taps) within"), r.stdout)

        let bare = try ToolRun.run(["verify", Repo.fixture("tiny-bert"), Repo.expected("tiny-bert.hooks.safetensors")])
        XCTAssertEqual(bare.status, 0, bare.stdout + bare.stderr)
        let names = tableNames(bare.stdout)
        XCTAssertEqual(Array(names.prefix(2)), ["embeddings", "hidden_states.0"])
        XCTAssertEqual(Array(names.suffix(5)), ["encoder.layer.1.output", "hidden_states.2", "last_hidden_state", "pooler", "pooler_output"])
    }

    func testHooksGoldenJSONNamesEveryRowAndPair() throws {
        let r = try verify(Self.hooks, ["--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = CLI.json(r.stdout)
        XCTAssertEqual(o["passed"] as? Bool, true)
        let taps = try XCTUnwrap(o["taps"] as? [[String: Any]])
        XCTAssertEqual(taps.map { $0["goldenName"] as? String ?? "" }, Self.rows)
        XCTAssertEqual(taps[1]["tap"] as? String, "embeddings")
        let aliases = try XCTUnwrap(o["aliases"] as? [[String: Any]])
        XCTAssertEqual(aliases.map { $0["names"] as? [String] ?? [] }, [
            ["bert.embeddings", "hidden_states.0"], ["bert.encoder.layer.0.output", "hidden_states.1"],
            ["bert.encoder.layer.1.output", "hidden_states.2"], ["bert.encoder.layer.2.output", "hidden_states.3"],
            ["bert.encoder.layer.2.output", "last_hidden_state"], ["hidden_states.3", "last_hidden_state"],
            ["bert.pooler", "pooler_output"], ["classifier", "logits"],
        ])
        for a in aliases {
            XCTAssertEqual(a["agree"] as? Bool, true)
            XCTAssertEqual(a["maxAbsDifference"] as? Double, 0)
        }
    }

    /// One tensor of a pair moved: its row fails, its twin passes, and the pair is named with its
    /// difference.
    func testBrokenAliasIsNamedWithItsDifferenceAndFails() throws {
        let path = try Self.broken([("hidden_states.2", 0.5)])
        let r = try verify(path)
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("golden disagrees with itself: bert.encoder.layer.1.output and hidden_states.2 both record "
                                        + "encoder.layer.1.output; max abs difference 5.00e-01 at [0, 0, 0]"), r.stdout)
        XCTAssertTrue(r.stdout.contains("first failing tap: encoder.layer.1.output (golden name hidden_states.2)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("FAIL: 1 of 25 tensors fail"), r.stdout)
        XCTAssertTrue(r.stdout.contains("and the golden disagrees with itself on 1 pair"), r.stdout)

        let o = CLI.json(try verify(path, ["--json"]).stdout)
        XCTAssertEqual(o["first_failure"] as? String, "encoder.layer.1.output")
        XCTAssertEqual(o["first_failure_name"] as? String, "hidden_states.2")
        let bad = (o["aliases"] as? [[String: Any]] ?? []).filter { $0["agree"] as? Bool == false }
        XCTAssertEqual(bad.count, 1)
        XCTAssertEqual(bad.first?["names"] as? [String], ["bert.encoder.layer.1.output", "hidden_states.2"])
        XCTAssertEqual(bad.first?["maxAbsDifference"] as? Double ?? 0, 0.5, accuracy: 1e-6)
        XCTAssertEqual(bad.first?["failing"] as? Int, 1)
    }

    /// Both tensors moved apart by 0.25 each way: bertkit is within atol 0.3 of each, but they are
    /// 0.5 from each other. Only the pair check can see that the golden is broken.
    func testAliasesThatDisagreeFailEvenWhenEveryRowPasses() throws {
        let path = try Self.broken([("hidden_states.2", 0.25), ("bert.encoder.layer.1.output", -0.25)])
        let r = try verify(path, ["--atol", "0.3", "--rtol", "0"])
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        XCTAssertFalse(r.stdout.contains("first failing tap"), r.stdout)
        XCTAssertTrue(r.stdout.contains("bert.encoder.layer.1.output and hidden_states.2 both record encoder.layer.1.output; "
                                        + "max abs difference 5.00e-01"), r.stdout)
        XCTAssertTrue(r.stdout.contains("FAIL: all 25 tensors (18 taps) within atol 3.00e-01, rtol 0.00e+00, stat max, "
                                        + "but the golden disagrees with itself on 1 pair"), r.stdout)
        XCTAssertEqual(CLI.json(try verify(path, ["--atol", "0.3", "--rtol", "0", "--json"]).stdout)["passed"] as? Bool, false)
        // Pairs do not involve the model: --fail-fast still checks all of them.
        XCTAssertEqual(try verify(path, ["--atol", "0.3", "--rtol", "0", "--fail-fast"]).status, 1)
    }

    /// Padding holds values no reference agrees on: pairs, like rows, compare real positions only.
    func testAliasesDifferingOnlyOnPaddingAgree() throws {
        let mask = try GoldenBytes(path: Self.hooks).ints("attention_mask")
        let padded = try XCTUnwrap(mask.firstIndex(of: 0))
        let path = try Self.broken([("hidden_states.2", 0.5)], at: padded * 32)
        let r = try verify(path)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("every pair agrees"), r.stdout)
    }

    func testAliasesWithDifferentShapesAreBadInputNamingBoth() throws {
        var g = try GoldenBytes(path: Self.hooks)
        g.rename("bert.encoder.layer.0.intermediate", to: "encoder.layer.0.output")
        let path = Repo.temporaryDirectory() + "/shapes.safetensors"
        try g.write(path)
        CLI.assertBadInput(try verify(path), names: ["bert.encoder.layer.0.output and encoder.layer.0.output",
                                                     "[4, 12, 32]", "[4, 12, 48]"])
    }
}

/// `bertkit diff` with a hooks golden on either side: the same rows and the same pair check.
final class DiffAliasTests: XCTestCase {
    func testModelAgainstHooksGoldenShowsTheDumpsNames() throws {
        let r = try ToolRun.run(["diff", Repo.fixture("tiny-cls"), VerifyAliasTests.hooks, "--json"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let d = try XCTUnwrap(CLI.json(r.stdout)["diff"] as? [String: Any])
        let taps = try XCTUnwrap(d["taps"] as? [[String: Any]])
        XCTAssertEqual(taps.map { $0["goldenName"] as? String ?? "" }, VerifyAliasTests.rows)
        XCTAssertEqual((d["aliasesB"] as? [Any])?.count, 8)
        XCTAssertEqual((d["aliasesA"] as? [Any])?.count, 0)

        let text = try ToolRun.run(["diff", Repo.fixture("tiny-cls"), VerifyAliasTests.hooks])
        XCTAssertTrue(text.stdout.contains("\nhidden_states.0 "), text.stdout)
        XCTAssertTrue(text.stdout.contains("aliases in B: 6 taps recorded under more than one name, 8 pairs; every pair agrees"), text.stdout)
        XCTAssertTrue(text.stdout.contains("PASS: all 25 tensors (18 taps) within"), text.stdout)
    }

    /// transformers' module-path dump against its hooks dump of the same run: every tensor of B is
    /// compared, under both files' names, and all are identical.
    func testTwoDumpsNamingTapsDifferently() throws {
        let r = try ToolRun.run(["diff", Repo.expected("tiny-cls.acts.safetensors"), VerifyAliasTests.hooks, "--json"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let taps = try XCTUnwrap((CLI.json(r.stdout)["diff"] as? [String: Any])?["taps"] as? [[String: Any]])
        let names = taps.map { $0["goldenName"] as? String ?? "" }
        XCTAssertEqual(names.count, 25)
        XCTAssertEqual(Array(names.prefix(2)), ["embeddings / bert.embeddings", "embeddings / hidden_states.0"])
        XCTAssertEqual(Array(names.suffix(2)), ["classifier", "classifier / logits"])
        for t in taps { XCTAssertEqual(t["maxAbsError"] as? Double, 0, "\(t["goldenName"]!)") }
        // The same dump on both sides pairs names with themselves.
        let same = try ToolRun.run(["diff", VerifyAliasTests.hooks, VerifyAliasTests.hooks, "--json"])
        let sameNames = ((CLI.json(same.stdout)["diff"] as? [String: Any])?["taps"] as? [[String: Any]] ?? []).map { $0["goldenName"] as? String ?? "" }
        XCTAssertEqual(sameNames, VerifyAliasTests.rows)
    }

    func testBrokenAliasInADumpFailsTheDiff() throws {
        let path = try VerifyAliasTests.broken([("hidden_states.2", 0.25), ("bert.encoder.layer.1.output", -0.25)])
        let r = try ToolRun.run(["diff", Repo.fixture("tiny-cls"), path, "--atol", "0.3", "--rtol", "0"])
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("B disagrees with itself: bert.encoder.layer.1.output and hidden_states.2 both record "
                                        + "encoder.layer.1.output; max abs difference 5.00e-01 at [0, 0, 0]"), r.stdout)
        XCTAssertTrue(r.stdout.contains("FAIL: all 25 tensors (18 taps) within atol 3.00e-01, rtol 0.00e+00, stat max, "
                                        + "but B disagrees with itself on 1 pair"), r.stdout)
    }
}

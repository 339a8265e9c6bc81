import Foundation
import TestSupport
import XCTest

final class ValidateCLITests: XCTestCase {
    func testGoodClassifierPassesAndManifestHashesInputs() throws {
        let dir = Repo.temporaryDirectory()
        let bkm = dir + "/tiny-cls.bkm", manifest = dir + "/manifest.json"
        XCTAssertEqual(try ToolRun.run(["convert", Repo.fixture("tiny-cls"), bkm]).status, 0)
        let golden = Repo.expected("tiny-cls.acts.safetensors")
        let r = try ToolRun.run(["validate", bkm, "--golden", golden, "--manifest", manifest])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("PASS  Fidelity  golden taps"), r.stdout)
        XCTAssertFalse(r.stdout.contains("FAIL"), r.stdout)
        let m = CLI.json(try String(contentsOfFile: manifest, encoding: .utf8))
        let hashes = try XCTUnwrap(m["sha256"] as? [String: String])
        XCTAssertEqual(hashes[bkm]?.count, 64)
        XCTAssertEqual(hashes[golden]?.count, 64)
        XCTAssertEqual(m["passed"] as? Bool, true)
    }

    func testFlippedByteFailsWithTheTensorNamed() throws {
        let dir = Repo.temporaryDirectory()
        let bkm = dir + "/tiny-cls.bkm"
        XCTAssertEqual(try ToolRun.run(["convert", Repo.fixture("tiny-cls"), bkm]).status, 0)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: bkm))
        bytes[bytes.count - 3] ^= 0x01  // the last tensor's data
        try bytes.write(to: URL(fileURLWithPath: bkm))
        let r = try ToolRun.run(["validate", bkm, "--json"])
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        let checks = try XCTUnwrap(CLI.json(r.stdout)["checks"] as? [[String: Any]])
        let failed = checks.filter { $0["status"] as? String == "FAIL" }
        XCTAssertEqual(failed.map { $0["name"] as? String }, ["bkm checksums"])
        XCTAssertTrue((failed.first?["reason"] as? String ?? "").contains("1 tensor(s): "), "\(failed)")
    }
}

final class ValidateQualityCLITests: XCTestCase {
    /// tiny-cls is untrained: it labels almost everything World, 31 of 120 right (0.2583).
    func testAccuracyFloorAndConfusionMatrix() throws {
        let data = Repo.golden("data/agnews-mini/test.csv")
        let low = try ToolRun.run(["validate", Repo.fixture("tiny-cls"), "--data", data, "--min-accuracy", "0.25"])
        XCTAssertEqual(low.status, 0, low.stdout + low.stderr)
        XCTAssertTrue(low.stdout.contains("PASS  Quality   accuracy: accuracy 0.2583 ≥ 0.2500"), low.stdout)
        XCTAssertTrue(low.stdout.contains("World     29        0         1         0         0"), low.stdout)
        let high = try ToolRun.run(["validate", Repo.fixture("tiny-cls"), "--data", data, "--min-accuracy", "0.9", "--json"])
        XCTAssertEqual(high.status, 1)
        let checks = try XCTUnwrap(CLI.json(high.stdout)["checks"] as? [[String: Any]])
        let q = try XCTUnwrap(checks.first { $0["family"] as? String == "Quality" })
        XCTAssertEqual(q["status"] as? String, "FAIL")
        XCTAssertEqual((q["figures"] as? [String: Any])?["accuracy"] as? Double ?? 0, 31.0 / 120, accuracy: 1e-12)
    }
}

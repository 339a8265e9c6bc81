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

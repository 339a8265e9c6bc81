import BertFuzz
import Foundation
import TestSupport
import XCTest

/// The fuzz targets' invariants (Fuzz/README.md), replayed on every seed and on every input a
/// fuzzer once found breaking bertkit (Fuzz/regressions/<target>/): each must be read or refused
/// with a typed error naming the file, never crash.
final class FuzzRegressionTests: XCTestCase {
    static let regressions = Repo.root + "/Fuzz/regressions"

    func testEveryRegressionInputIsRefusedCleanly() throws {
        var replayed = 0
        for target in FuzzTarget.allCases {
            let dir = Self.regressions + "/" + target.rawValue
            for name in ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted() where !name.hasPrefix(".") {
                let bytes = [UInt8](FileManager.default.contents(atPath: dir + "/" + name)!)
                XCTAssertNoThrow(try target.check(bytes), "\(target.rawValue)/\(name)")
                replayed += 1
            }
        }
        XCTAssertGreaterThan(replayed, 0, "no regression inputs found under \(Self.regressions)")
    }

    func testEverySeedKeepsTheInvariants() throws {
        for target in FuzzTarget.allCases {
            let seeds = try target.seeds()
            XCTAssertFalse(seeds.isEmpty, "\(target.rawValue) has no seeds")
            var accepted = 0
            for (name, bytes) in seeds {
                XCTAssertNoThrow(try target.check(bytes), "\(target.rawValue) seed \(name)")
                if (try? target.check(bytes)) == .accepted { accepted += 1 }
            }
            // The seeds must reach past the first checks, or the fuzzer starts from nothing.
            XCTAssertGreaterThan(accepted, 0, "no \(target.rawValue) seed is accepted")
        }
    }

    func testEveryTargetHasADictionaryAndAnExecutable() throws {
        for target in FuzzTarget.allCases {
            XCTAssertTrue(FileManager.default.fileExists(atPath: Repo.root + "/Fuzz/dictionaries/\(target.rawValue).dict"), target.rawValue)
            XCTAssertTrue(FileManager.default.fileExists(atPath: Repo.root + "/Fuzz/Targets/fuzz-\(target.rawValue)/main.swift"), target.rawValue)
        }
    }
}

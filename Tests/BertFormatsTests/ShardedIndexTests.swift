import BertFormats
import BertTensors
import Foundation
import TestSupport
import XCTest

/// The sharded-checkpoint rules of formats/safetensors.md (I1–I7), on hand-made folders.
final class ShardedIndexTests: XCTestCase {
    /// A folder with shards a.safetensors {x} and b.safetensors {y}, and an index written from `weightMap`.
    private func folder(_ weightMap: String, function: String = #function) -> String {
        let dir = Repo.temporaryDirectory(function)
        let x = safetensorsBytes(header: #"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: littleEndianFloats([1]))
        let y = safetensorsBytes(header: #"{"y":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: littleEndianFloats([2]))
        FileManager.default.createFile(atPath: dir + "/a.safetensors", contents: Data(x))
        FileManager.default.createFile(atPath: dir + "/b.safetensors", contents: Data(y))
        FileManager.default.createFile(atPath: dir + "/model.safetensors.index.json", contents: Data(weightMap.utf8))
        return dir + "/model.safetensors.index.json"
    }

    func testI1ReadsEveryTensorOfEveryShard() throws {
        let s = try ShardedSafeTensors.read(indexPath: folder(#"{"metadata":{},"weight_map":{"x":"a.safetensors","y":"b.safetensors"}}"#))
        XCTAssertEqual(s.tensors.entries.map(\.name), ["x", "y"])
        XCTAssertEqual(s.tensors.entries.map { $0.tensor.floats() }, [[1], [2]])
        XCTAssertEqual(s.shardPaths.map { ($0 as NSString).lastPathComponent }, ["a.safetensors", "b.safetensors"])
    }

    func testI1ShardedFixtureEqualsTheSingleFile() throws {
        let sharded = try CheckpointLoader.load(path: Repo.fixture("tiny-bert-sharded"))
        let single = try CheckpointLoader.load(path: Repo.fixture("tiny-bert"))
        XCTAssertEqual(sharded.parameters.count, single.parameters.count)
        for (a, b) in zip(sharded.parameters, single.parameters) { XCTAssertTrue(a.tensor.bitIdentical(to: b.tensor), a.name) }
        XCTAssertEqual(sharded.provenance.sourceFormat, "safetensors-sharded")
        XCTAssertEqual(sharded.provenance.sources.filter { $0.file.hasPrefix("model-0000") }.count, 3)
    }

    func testI2WeightMapMustBeAnObjectOfFileNames() throws {
        let p1 = folder(#"{"metadata":{}}"#)
        assertThrows(ShardIndexError.badField(file: p1, field: "weight_map", problem: "missing"), mentions: [p1]) {
            _ = try ShardedSafeTensors.read(indexPath: p1)
        }
        let p2 = folder(#"{"weight_map":{"x":3}}"#)
        XCTAssertTrue(thrownMessage { _ = try ShardedSafeTensors.read(indexPath: p2) }.contains("weight_map.x: expected a file name"))
        let p3 = folder(#"{"weight_map":{"x":"a.safetensors","x":"b.safetensors"}}"#)
        XCTAssertTrue(thrownMessage { _ = try ShardedSafeTensors.read(indexPath: p3) }.contains("duplicate key \"x\""))
    }

    func testI3ShardPathsMustStayInTheFolder() throws {
        for bad in ["../a.safetensors", "/etc/passwd", "sub/../../a.safetensors", "", "./a.safetensors", "..\\\\a.safetensors"] {
            let p = folder(#"{"weight_map":{"x":"\#(bad)"}}"#)
            let m = thrownMessage { _ = try ShardedSafeTensors.read(indexPath: p) }
            XCTAssertTrue(m.contains(p) && m.contains("outside the model folder"), "\(bad): \(m)")
        }
        // Through the loader too: the folder is refused before any shard is opened.
        let p = folder(#"{"weight_map":{"x":"../../../../../../etc/hostname"}}"#)
        let dir = (p as NSString).deletingLastPathComponent
        try? FileManager.default.removeItem(atPath: dir + "/a.safetensors")
        XCTAssertTrue(thrownMessage { _ = try CheckpointLoader.readRaw(path: dir) }.contains("outside the model folder"))
    }

    /// Issue 12: `lnk/passwd` with `lnk` → /etc passed the text check and was opened. A shard's real
    /// path must be inside the folder; here the outside file is a valid shard, which the old check
    /// read as if it were the folder's.
    func testI3ShardLinkedOutOfTheFolderIsRefused() throws {
        let p = folder(#"{"weight_map":{"x":"lnk/a.safetensors","y":"b.safetensors"}}"#)
        let dir = (p as NSString).deletingLastPathComponent
        let outside = Repo.temporaryDirectory()
        try FileManager.default.moveItem(atPath: dir + "/a.safetensors", toPath: outside + "/a.safetensors")
        try FileManager.default.createSymbolicLink(atPath: dir + "/lnk", withDestinationPath: outside)
        let real = URL(fileURLWithPath: outside + "/a.safetensors").resolvingSymlinksInPath().path
        assertThrows(ShardIndexError.shardLinksOutside(file: p, tensor: "x", shard: "lnk/a.safetensors", resolved: real),
                     mentions: [p, "lnk/a.safetensors", real, "not opened"]) {
            _ = try ShardedSafeTensors.read(indexPath: p)
        }
        // A link to the shard file itself is refused the same way; a link inside the folder is fine.
        let q = folder(#"{"weight_map":{"x":"c.safetensors"}}"#, function: "linkToTheFile")
        try FileManager.default.createSymbolicLink(atPath: (q as NSString).deletingLastPathComponent + "/c.safetensors",
                                                   withDestinationPath: outside + "/a.safetensors")
        XCTAssertTrue(thrownMessage { _ = try ShardedSafeTensors.read(indexPath: q) }.contains("symbolic link"))
        let r = folder(#"{"weight_map":{"x":"d.safetensors","y":"b.safetensors"}}"#, function: "linkInside")
        try FileManager.default.createSymbolicLink(atPath: (r as NSString).deletingLastPathComponent + "/d.safetensors", withDestinationPath: "a.safetensors")
        XCTAssertEqual(try ShardedSafeTensors.read(indexPath: r).tensors.entries.map(\.name), ["x", "y"])
    }

    /// The Hugging Face hub cache: `snapshots/<rev>/` holds links to `../../blobs/<hash>`.
    func testI3HubCacheSnapshotLinksIntoItsBlobs() throws {
        let repo = Repo.temporaryDirectory() + "/models--tiny"
        let snapshot = repo + "/snapshots/0123abc"
        try FileManager.default.createDirectory(atPath: snapshot, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: repo + "/blobs", withIntermediateDirectories: true)
        let source = Repo.fixture("tiny-bert-sharded")
        for name in listing(source) {
            let blob = repo + "/blobs/" + String(name.hashValue.magnitude, radix: 16)
            try FileManager.default.copyItem(atPath: source + "/" + name, toPath: blob)
            try FileManager.default.createSymbolicLink(atPath: snapshot + "/" + name, withDestinationPath: "../../blobs/" + (blob as NSString).lastPathComponent)
        }
        XCTAssertEqual(try CheckpointLoader.load(path: snapshot).parameters.count, try CheckpointLoader.load(path: source).parameters.count)
        // A blob outside this repo's own blobs folder is not one.
        let other = Repo.temporaryDirectory() + "/x.safetensors"
        try FileManager.default.copyItem(atPath: source + "/model-00003-of-00003.safetensors", toPath: other)
        try FileManager.default.removeItem(atPath: snapshot + "/model-00003-of-00003.safetensors")
        try FileManager.default.createSymbolicLink(atPath: snapshot + "/model-00003-of-00003.safetensors", withDestinationPath: other)
        XCTAssertTrue(thrownMessage { _ = try CheckpointLoader.load(path: snapshot) }.contains("leads through a symbolic link"))
    }

    private func listing(_ dir: String) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted() }

    func testI4MissingShard() throws {
        let p = folder(#"{"weight_map":{"x":"c.safetensors"}}"#)
        assertThrows(ShardIndexError.shardMissing(file: p, shard: "c.safetensors"), mentions: [p, "c.safetensors"]) {
            _ = try ShardedSafeTensors.read(indexPath: p)
        }
    }

    func testI5TensorInTwoShards() throws {
        let p = folder(#"{"weight_map":{"x":"a.safetensors","y":"b.safetensors"}}"#)
        let dir = (p as NSString).deletingLastPathComponent
        let xy = safetensorsBytes(header: #"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"y":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
                                  data: littleEndianFloats([1, 2]))
        FileManager.default.createFile(atPath: dir + "/b.safetensors", contents: Data(xy))
        assertThrows(ShardIndexError.tensorInTwoShards(file: p, tensor: "x", shards: ["a.safetensors", "b.safetensors"]), mentions: [p, "\"x\""]) {
            _ = try ShardedSafeTensors.read(indexPath: p)
        }
    }

    func testI6IndexNamesATensorItsShardLacks() throws {
        let p = folder(#"{"weight_map":{"x":"a.safetensors","y":"b.safetensors","z":"b.safetensors"}}"#)
        assertThrows(ShardIndexError.tensorNotInShard(file: p, tensor: "z", shard: "b.safetensors"), mentions: [p, "weight_map.z"]) {
            _ = try ShardedSafeTensors.read(indexPath: p)
        }
    }

    func testI7ShardHoldsATensorTheIndexDoesNotList() throws {
        let p = folder(#"{"weight_map":{"x":"a.safetensors"}}"#)
        let dir = (p as NSString).deletingLastPathComponent
        let xz = safetensorsBytes(header: #"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"z":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
                                  data: littleEndianFloats([1, 2]))
        FileManager.default.createFile(atPath: dir + "/a.safetensors", contents: Data(xz))
        assertThrows(ShardIndexError.unlistedTensor(file: p, tensor: "z", shard: "a.safetensors"), mentions: [p, "\"z\""]) {
            _ = try ShardedSafeTensors.read(indexPath: p)
        }
    }

    func testShardErrorsNameTheShardFile() throws {
        let p = folder(#"{"weight_map":{"x":"a.safetensors"}}"#)
        let dir = (p as NSString).deletingLastPathComponent
        FileManager.default.createFile(atPath: dir + "/a.safetensors", contents: Data([1, 2, 3]))
        XCTAssertTrue(thrownMessage { _ = try ShardedSafeTensors.read(indexPath: p) }.contains(dir + "/a.safetensors: truncated"))
    }
}

import BertTensors
import Foundation

/// A checkpoint split into `model-0000k-of-0000n.safetensors` shards listed by
/// `model.safetensors.index.json` (transformers' `modeling_utils.load_sharded_checkpoint` format):
/// `{"metadata": {...}, "weight_map": {"tensor name": "shard file name", ...}}`.
public struct ShardedSafeTensors: Sendable {
    public let indexPath: String
    /// Shard paths in first-use order.
    public let shardPaths: [String]
    /// Every tensor of every shard, in weight_map order.
    public let tensors: NamedTensors

    public static func read(indexPath: String) throws -> ShardedSafeTensors {
        let dir = (indexPath as NSString).deletingLastPathComponent
        let folder = dir.isEmpty ? "." : dir
        guard case .object(let root) = try JSONParser.parse(contentsOf: indexPath) else {
            throw ShardIndexError.badField(file: indexPath, field: "(top level)", problem: "expected an object")
        }
        guard let wm = root["weight_map"] else {
            throw ShardIndexError.badField(file: indexPath, field: "weight_map", problem: "missing")
        }
        guard let map = wm.objectValue else {
            throw ShardIndexError.badField(file: indexPath, field: "weight_map", problem: "expected an object, found \(wm.kind)")
        }
        var shardOrder: [String] = []
        var wanted: [(tensor: String, shard: String)] = []
        var firstTensor: [String: String] = [:]
        for (tensor, v) in map {
            guard let shard = v.stringValue else {
                throw ShardIndexError.badField(file: indexPath, field: "weight_map.\(tensor)", problem: "expected a file name, found \(v.kind)")
            }
            guard isInsideFolder(shard) else { throw ShardIndexError.shardOutsideFolder(file: indexPath, tensor: tensor, shard: shard) }
            if !shardOrder.contains(shard) { shardOrder.append(shard); firstTensor[shard] = tensor }
            wanted.append((tensor, shard))
        }
        // Every shard's real path is checked before any shard is opened.
        for shard in shardOrder {
            try requireInside(shard: shard, folder: folder, index: indexPath, tensor: firstTensor[shard]!)
        }
        var shards: [String: SafeTensorsFile] = [:]
        var holder: [String: String] = [:]
        for shard in shardOrder {
            let p = folder + "/" + shard
            guard FileManager.default.fileExists(atPath: p) else { throw ShardIndexError.shardMissing(file: indexPath, shard: shard) }
            let f = try SafeTensorsFile.read(path: p)
            for (name, _) in f.tensors {
                if let other = holder[name] {
                    throw ShardIndexError.tensorInTwoShards(file: indexPath, tensor: name, shards: [other, shard])
                }
                holder[name] = shard
            }
            shards[shard] = f
        }
        var entries: [(name: String, tensor: RawTensor)] = []
        for (tensor, shard) in wanted {
            guard let t = shards[shard]?[tensor] else { throw ShardIndexError.tensorNotInShard(file: indexPath, tensor: tensor, shard: shard) }
            entries.append((tensor, t))
        }
        let listed = Set(wanted.map(\.tensor))
        for shard in shardOrder {
            for (name, _) in shards[shard]!.tensors where !listed.contains(name) {
                throw ShardIndexError.unlistedTensor(file: indexPath, tensor: name, shard: shard)
            }
        }
        return ShardedSafeTensors(indexPath: indexPath, shardPaths: shardOrder.map { folder + "/" + $0 },
                                  tensors: NamedTensors(file: indexPath, naming: .huggingFace, entries: entries))
    }

    /// A shard's real path (every symbolic link resolved, nothing opened) must lie inside the model
    /// folder's, with one exception: a Hugging Face hub cache snapshot (`<repo>/snapshots/<rev>/`)
    /// links its files to `<repo>/blobs/`, so a shard there may resolve into that `blobs` folder.
    static func requireInside(shard: String, folder: String, index: String, tensor: String) throws {
        guard let real = realPath(folder + "/" + shard) else {
            // A dangling link is refused as missing, as is a missing file.
            throw ShardIndexError.shardMissing(file: index, shard: shard)
        }
        guard let root = realPath(folder) else { throw ShardIndexError.shardMissing(file: index, shard: shard) }
        if real.hasPrefix(root == "/" ? "/" : root + "/") { return }
        let snapshots = (root as NSString).deletingLastPathComponent
        if (snapshots as NSString).lastPathComponent == "snapshots",
           real.hasPrefix((snapshots as NSString).deletingLastPathComponent + "/blobs/") { return }
        throw ShardIndexError.shardLinksOutside(file: index, tensor: tensor, shard: shard, resolved: real)
    }

    static func realPath(_ p: String) -> String? {
        guard let r = realpath(p, nil) else { return nil }
        defer { free(r) }
        return String(cString: r)
    }

    /// A shard path must stay in the model folder: relative, no `..`, no empty or `.` parts
    /// (then `requireInside` resolves links).
    static func isInsideFolder(_ p: String) -> Bool {
        guard !p.isEmpty, !p.hasPrefix("/"), !p.contains("\\"), !p.contains("\0") else { return false }
        return p.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }
}

import BertTensors
import CHDF5
import Foundation

/// HDF5 weights through libhdf5, in the layouts formats/hdf5.md describes:
/// - PyTorch state dicts exported with h5py: one dataset per key, either flat at the root
///   (`bert.encoder.layer.0.attention.self.query.weight`) or split at the dots into groups;
/// - HuggingFace Keras `tf_model.h5` (`save_weights`): the root's `layer_names` attribute lists
///   layer groups, and each group's `weight_names` attribute lists its datasets, named like
///   `tf_bert_model/bert/encoder/layer_._0/attention/self/query/kernel:0`.
/// Only hard-linked datasets stored in the file are read; every size is bounded before allocating.
public enum HDF5Reader {
    /// More objects than this is not a weights file (BERT-large has under 400 tensors, and a Keras
    /// file a group per layer beside them).
    public static let maxObjects = 1 << 16
    public static let maxDepth = 64
    /// A compressed dataset may decode to at most this many times its stored bytes.
    public static let maxExpansion = 1024
    /// No single dataset is allowed to decode to more than this (64 GiB).
    public static let maxDatasetBytes = 1 << 36

    /// Every weight dataset in the file, with `naming` telling how to map its names. libhdf5 runs in
    /// a child process (`HDF5Isolation`), so a file that crashes it is an error, not a crash.
    public static func read(path: String) throws -> NamedTensors {
        try HDF5Isolation.read(path: path) {
            let file = try HDF5File(path: path)
            if let (group, where_) = try file.kerasWeightsGroup() {
                return NamedTensors(file: path, naming: .keras, entries: try file.readKeras(group, at: where_))
            }
            return NamedTensors(file: path, naming: .huggingFace, entries: try file.readStateDict())
        }
    }
}

/// One open file; used only inside `HDF5Library.locked`.
final class HDF5File {
    let path: String
    let fileSize: Int
    let handle: H5Handle

    init(path: String) throws {
        self.path = path
        var st = stat()
        guard stat(path, &st) == 0 else { throw IOError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw IOError.notARegularFile(path: path) }
        fileSize = Int(st.st_size)
        guard H5Fis_hdf5(path) > 0 else {
            _ = HDF5Library.lastError()
            throw HDF5Error.notHDF5(path: path)
        }
        guard let fapl = H5Handle.plist(H5Pcreate(bk_h5p_file_access())) else { throw Self.fail(path, "create a file access list", "") }
        // Locking fails on some network filesystems and is pointless for a read-only open.
        H5Pset_file_locking(fapl.id, false, true)
        H5Pset_fclose_degree(fapl.id, H5F_CLOSE_STRONG)
        guard let f = H5Handle.file(H5Fopen(path, bk_h5f_acc_rdonly(), fapl.id)) else { throw Self.fail(path, "open", "the file") }
        handle = f
    }

    static func fail(_ path: String, _ operation: String, _ object: String) -> HDF5Error {
        .library(path: path, operation: operation, object: object, message: HDF5Library.lastError())
    }

    // MARK: - PyTorch state dicts

    /// Every dataset under the root, named by its path with `/` read as `.`.
    func readStateDict() throws -> [(name: String, tensor: RawTensor)] {
        var out: [(name: String, tensor: RawTensor)] = []
        var sources: [String: String] = [:]
        var objects = 0
        func walk(_ group: hid_t, _ trail: [String], _ ancestors: Set<UInt64>) throws {
            for name in try linkNames(group, at: trail) {
                let here = trail + [name], shown = "/" + here.joined(separator: "/")
                objects += 1
                guard objects <= HDF5Reader.maxObjects else { throw HDF5Error.tooManyObjects(path: path, limit: HDF5Reader.maxObjects) }
                try requireHardLink(group, name, shown: shown)
                var identity: UInt64 = 0
                switch bk_h5_object_kind(group, name, &identity) {
                case 0:
                    guard !ancestors.contains(identity) else { throw HDF5Error.linkCycle(path: path, link: shown) }
                    guard here.count < HDF5Reader.maxDepth else { throw HDF5Error.tooDeep(path: path, link: shown, limit: HDF5Reader.maxDepth) }
                    guard let g = H5Handle.object(H5Gopen2(group, name, 0)) else { throw Self.fail(path, "open group", shown) }
                    try walk(g.id, here, ancestors.union([identity]))
                case 1:
                    let key = here.joined(separator: ".")
                    if let prior = sources[key] { throw HDF5Error.duplicateName(path: path, name: key, datasets: [prior, shown]) }
                    sources[key] = shown
                    out.append((key, try tensor(group, name, shown: shown)))
                case 2, 3: continue  // named datatypes and other non-data objects
                default: throw Self.fail(path, "inspect", shown)
                }
            }
        }
        var identity: UInt64 = 0
        guard bk_h5_object_kind(handle.id, "/", &identity) == 0, let root = H5Handle.object(H5Gopen2(handle.id, "/", 0)) else {
            throw Self.fail(path, "open the root group", "")
        }
        try walk(root.id, [], [identity])
        guard !out.isEmpty else { throw HDF5Error.noDatasets(path: path) }
        return out
    }

    // MARK: - Keras tf_model.h5

    /// The group holding `layer_names`: the root for `save_weights` files, `/model_weights` for
    /// whole-model `.h5` files (whose `model_config` attribute is never read).
    func kerasWeightsGroup() throws -> (H5Handle, String)? {
        guard let root = H5Handle.object(H5Gopen2(handle.id, "/", 0)) else { throw Self.fail(path, "open the root group", "") }
        if hasAttribute(root.id, "layer_names") { return (root, "/") }
        if H5Lexists(root.id, "model_weights", 0) > 0, bk_h5_link_kind(root.id, "model_weights") == 0,
           let g = H5Handle.object(H5Gopen2(root.id, "model_weights", 0)), hasAttribute(g.id, "layer_names") {
            return (g, "/model_weights/")
        }
        return nil
    }

    /// The datasets each layer's `weight_names` lists, under those names. A weight that two layers
    /// list (the MLM head lists the word embeddings it shares) is read once; its copies must agree.
    func readKeras(_ base: H5Handle, at basePath: String) throws -> [(name: String, tensor: RawTensor)] {
        guard let layers = try strings(base.id, "layer_names", object: basePath) else {
            throw HDF5Error.missingAttribute(path: path, object: basePath, attribute: "layer_names")
        }
        var out: [(name: String, tensor: RawTensor)] = []
        var firstLayer: [String: (layer: String, index: Int)] = [:]
        for layer in layers {
            let layerPath = basePath + layer
            let (parent, leaf) = try resolve(base, layer, shown: layerPath, expectGroup: true, layer: layer)
            guard let g = H5Handle.object(H5Gopen2(parent.id, leaf, 0)) else { throw Self.fail(path, "open group", layerPath) }
            guard let weights = try strings(g.id, "weight_names", object: "layer group " + layerPath) else {
                throw HDF5Error.missingAttribute(path: path, object: "layer group " + layerPath, attribute: "weight_names")
            }
            for w in weights {
                let shown = layerPath + "/" + w
                let (p, l) = try resolve(g, w, shown: shown, expectGroup: false, layer: layer)
                let t = try tensor(p.id, l, shown: shown)
                if let first = firstLayer[w] {
                    guard out[first.index].tensor.bitIdentical(to: t) else {
                        throw HDF5Error.conflictingCopies(path: path, weight: w, layers: [first.layer, layer])
                    }
                    continue
                }
                firstLayer[w] = (layer, out.count)
                out.append((w, t))
            }
        }
        guard !out.isEmpty else { throw HDF5Error.noDatasets(path: path) }
        return out
    }

    /// Walks `relative` one link at a time (hard links only) to the group holding its last part.
    private func resolve(_ start: H5Handle, _ relative: String, shown: String, expectGroup: Bool, layer: String) throws -> (H5Handle, String) {
        let parts = relative.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !parts.contains(where: { $0.isEmpty || $0 == "." }) else {
            throw HDF5Error.missingWeight(path: path, layer: layer, weight: relative)
        }
        var current = start
        for (i, part) in parts.enumerated() {
            guard H5Lexists(current.id, part, 0) > 0 else {
                _ = HDF5Library.lastError()
                if expectGroup { throw HDF5Error.missingLayer(path: path, layer: relative) }
                throw HDF5Error.missingWeight(path: path, layer: layer, weight: relative)
            }
            try requireHardLink(current.id, part, shown: shown)
            var identity: UInt64 = 0
            let kind = bk_h5_object_kind(current.id, part, &identity)
            if i == parts.count - 1 {
                guard kind == (expectGroup ? 0 : 1) else {
                    if expectGroup { throw HDF5Error.missingLayer(path: path, layer: relative) }
                    throw HDF5Error.notADataset(path: path, object: shown)
                }
                return (current, part)
            }
            guard kind == 0, let g = H5Handle.object(H5Gopen2(current.id, part, 0)) else {
                throw HDF5Error.missingWeight(path: path, layer: layer, weight: relative)
            }
            current = g
        }
        throw HDF5Error.missingWeight(path: path, layer: layer, weight: relative)
    }

    // MARK: - Datasets

    /// Reads one dataset after refusing virtual layouts, external storage and unavailable filters,
    /// and bounding its size by what the file stores.
    func tensor(_ loc: hid_t, _ name: String, shown: String) throws -> RawTensor {
        guard let d = H5Handle.object(H5Dopen2(loc, name, 0)) else { throw Self.fail(path, "open dataset", shown) }
        guard let dcpl = H5Handle.plist(H5Dget_create_plist(d.id)) else { throw Self.fail(path, "read the creation properties of", shown) }
        if H5Pget_layout(dcpl.id) == H5D_VIRTUAL { throw HDF5Error.virtualDataset(path: path, dataset: shown) }
        let external = H5Pget_external_count(dcpl.id)
        if external != 0 { throw HDF5Error.externalStorage(path: path, dataset: shown, files: Int(external)) }
        let filters = max(0, Int(H5Pget_nfilters(dcpl.id)))
        for i in 0..<filters {
            var flags: UInt32 = 0, values = 8, config: UInt32 = 0
            var cd = [UInt32](repeating: 0, count: 8), filterName = [CChar](repeating: 0, count: 256)
            let id = H5Pget_filter2(dcpl.id, UInt32(i), &flags, &values, &cd, filterName.count, &filterName, &config)
            if id < 0 || H5Zfilter_avail(id) <= 0 {
                _ = HDF5Library.lastError()
                let n = HDF5Library.string(filterName)
                throw HDF5Error.unavailableFilter(path: path, dataset: shown, filter: n.isEmpty ? "unnamed" : n, id: Int(id))
            }
        }

        guard let fileType = H5Handle.type(H5Dget_type(d.id)) else { throw Self.fail(path, "read the type of", shown) }
        let dtype: DType
        switch HDF5Types.dtype(of: fileType.id) {
        case .success(let t): dtype = t
        case .failure(let u): throw HDF5Error.unsupportedType(path: path, dataset: shown, type: u.description)
        }

        let dims = try extent(d, shown: shown)
        guard dims.allSatisfy({ $0 <= UInt64(Int.max) }), let count = checkedElementCount(dims.map { Int($0) }) else {
            throw HDF5Error.absurdShape(path: path, dataset: shown, shape: dims, why: "its element count overflows")
        }
        let shape = dims.map { Int($0) }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else { throw HDF5Error.absurdShape(path: path, dataset: shown, shape: dims, why: "its byte size overflows") }
        let stored = Int(clamping: H5Dget_storage_size(d.id))
        if filters == 0 {
            guard bytes <= fileSize, bytes <= stored else {
                throw HDF5Error.absurdShape(path: path, dataset: shown, shape: dims,
                    why: "it needs \(bytes) bytes but the file stores \(stored) bytes for it (and is \(fileSize) bytes long)")
            }
        } else {
            let (limit, o) = stored.multipliedReportingOverflow(by: HDF5Reader.maxExpansion)
            guard bytes <= HDF5Reader.maxDatasetBytes, bytes == 0 || stored > 0, o || bytes <= limit else {
                throw HDF5Error.absurdShape(path: path, dataset: shown, shape: dims,
                    why: "it would decompress to \(bytes) bytes from \(stored) stored bytes (at most \(HDF5Reader.maxExpansion)× and \(HDF5Reader.maxDatasetBytes) bytes allowed)")
            }
        }

        let (storage, p) = ByteStorage.allocate(count: bytes, origin: "\(path):\(shown)")
        if bytes > 0 {
            guard let memType = H5Handle.type(HDF5Types.memoryType(for: fileType.id)) else { throw Self.fail(path, "make a memory type for", shown) }
            guard H5Dread(d.id, memType.id, 0, 0, 0, p) >= 0 else { throw Self.fail(path, "read dataset", shown) }
        }
        return try RawTensor(dtype: dtype, shape: shape, storage: storage, offset: 0, byteCount: bytes)
    }

    /// The dataset's dimensions ([] for a scalar); an empty (null) dataspace is refused.
    private func extent(_ d: H5Handle, shown: String) throws -> [UInt64] {
        guard let space = H5Handle.space(H5Dget_space(d.id)) else { throw Self.fail(path, "read the shape of", shown) }
        switch H5Sget_simple_extent_type(space.id) {
        case H5S_SCALAR: return []
        case H5S_SIMPLE:
            let rank = Int(H5Sget_simple_extent_ndims(space.id))
            guard rank >= 0, rank <= 32 else { throw Self.fail(path, "read the rank of", shown) }
            var dims = [hsize_t](repeating: 0, count: rank)
            guard H5Sget_simple_extent_dims(space.id, &dims, nil) == rank else { throw Self.fail(path, "read the shape of", shown) }
            return dims.map { UInt64($0) }
        default:
            throw HDF5Error.noData(path: path, dataset: shown, why: "has an empty (null) dataspace: it holds no values")
        }
    }

    // MARK: - Links and attributes

    private func requireHardLink(_ loc: hid_t, _ name: String, shown: String) throws {
        switch bk_h5_link_kind(loc, name) {
        case 0: return
        case 1: throw HDF5Error.softLink(path: path, link: shown, kind: "soft")
        case 2:
            var target = [CChar](repeating: 0, count: 1024)
            _ = bk_h5_external_target(loc, name, &target, target.count)
            _ = HDF5Library.lastError()
            throw HDF5Error.externalLink(path: path, link: shown, target: HDF5Library.string(target))
        case 3: throw HDF5Error.softLink(path: path, link: shown, kind: "user-defined")
        default: throw Self.fail(path, "read the link", shown)
        }
    }

    /// The names of a group's links, in name order.
    private func linkNames(_ group: hid_t, at trail: [String]) throws -> [String] {
        let shown = "/" + trail.joined(separator: "/")
        let need = bk_h5_link_names(group, nil, 0)
        guard need >= 0 else { throw Self.fail(path, "list group", shown) }
        guard need <= 64 << 20 else { throw HDF5Error.tooManyObjects(path: path, limit: HDF5Reader.maxObjects) }
        var buffer = [CChar](repeating: 0, count: Int(need))
        guard bk_h5_link_names(group, &buffer, buffer.count) == need else { throw Self.fail(path, "list group", shown) }
        return buffer.split(separator: 0, omittingEmptySubsequences: false).dropLast().map {
            String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    private func hasAttribute(_ obj: hid_t, _ name: String) -> Bool {
        let r = H5Aexists(obj, name)
        if r < 0 { _ = HDF5Library.lastError() }
        return r > 0 || name.last != "0" && hasAttribute(obj, name + "0")
    }

    /// A string-array attribute, also when Keras split it into `name0`, `name1`, … because it
    /// exceeded HDF5's 64 KiB attribute limit. Nil when absent.
    func strings(_ obj: hid_t, _ name: String, object: String) throws -> [String]? {
        if H5Aexists(obj, name) > 0 { return try readStrings(obj, name, object: object) }
        var out: [String] = []
        var chunk = 0
        while H5Aexists(obj, "\(name)\(chunk)") > 0 {
            out += try readStrings(obj, "\(name)\(chunk)", object: object)
            chunk += 1
            guard chunk < 100_000 else { break }
        }
        _ = HDF5Library.lastError()
        return chunk == 0 ? nil : out
    }

    private func readStrings(_ obj: hid_t, _ name: String, object: String) throws -> [String] {
        let bad = { (why: String) in HDF5Error.badAttribute(path: self.path, object: object, attribute: name, why: why) }
        guard let a = H5Handle.attribute(H5Aopen(obj, name, 0)), let type = H5Handle.type(H5Aget_type(a.id)),
              let space = H5Handle.space(H5Aget_space(a.id))
        else { throw Self.fail(path, "read attribute \(name) of", object) }
        let n = Int(H5Sget_simple_extent_npoints(space.id))
        guard n >= 0, n <= HDF5Reader.maxObjects else { throw bad("holds \(n) values") }
        if n == 0 { return [] }  // Keras writes an empty list as an empty float array
        guard H5Tget_class(type.id) == H5T_STRING else { throw bad("is not a list of strings") }
        if H5Tis_variable_str(type.id) > 0 {
            guard let mem = H5Handle.type(H5Tcopy(bk_h5t_c_s1())) else { throw Self.fail(path, "make a string type for", object) }
            H5Tset_size(mem.id, -1)  // H5T_VARIABLE
            H5Tset_cset(mem.id, H5Tget_cset(type.id))
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: n)
            guard H5Aread(a.id, mem.id, &pointers) >= 0 else { throw Self.fail(path, "read attribute \(name) of", object) }
            defer { _ = bk_h5_reclaim(mem.id, space.id, &pointers) }
            return pointers.map { p in
                guard let p else { return "" }
                return String(decoding: UnsafeRawBufferPointer(start: p, count: strnlen(p, 65536)), as: UTF8.self)
            }
        }
        let size = H5Tget_size(type.id)
        guard size > 0, size <= 65536, n * size <= 64 << 20 else { throw bad("has \(n) strings of \(size) bytes") }
        guard let mem = H5Handle.type(H5Tcopy(type.id)) else { throw Self.fail(path, "make a string type for", object) }
        var buffer = [UInt8](repeating: 0, count: n * size)
        guard H5Aread(a.id, mem.id, &buffer) >= 0 else { throw Self.fail(path, "read attribute \(name) of", object) }
        return (0..<n).map { i in
            let s = buffer[i * size..<(i + 1) * size]
            return String(decoding: s.prefix { $0 != 0 }, as: UTF8.self).trimmingCharacters(in: .init(charactersIn: " "))
        }
    }
}

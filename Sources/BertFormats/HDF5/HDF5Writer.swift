import BertTensors
import CHDF5
import Foundation

/// Writes tensors as a PyTorch-style HDF5 state dict: one dataset per name at the root, in the
/// order given (link creation order is tracked, so h5py lists them in that order), contiguous and
/// uncompressed, little-endian. See formats/hdf5.md for the types. libhdf5 builds the file in
/// memory (its core driver, no backing store) and bertkit writes the image through
/// `AtomicFileWriter`: libhdf5 never touches the disk, so a full disk is an ordinary write error.
/// (Writing through libhdf5's own driver, a failed flush left a file that libhdf5 crashed closing
/// at exit.) The cost is the image in memory while it is written: about twice the output's size.
public enum HDF5Writer {
    public static func write(_ tensors: [(name: String, tensor: RawTensor)], to path: String) throws {
        var seen = Set<String>()
        for (name, t) in tensors {
            guard !name.isEmpty, !name.contains("/"), name != "." else {
                throw HDF5Error.cannotWrite(path: path, tensor: name, why: "an HDF5 dataset name cannot be empty, \".\" or contain \"/\"")
            }
            guard seen.insert(name).inserted else { throw HDF5Error.cannotWrite(path: path, tensor: name, why: "the name appears twice") }
            guard t.dtype != .f8e4m3, t.dtype != .f8e5m2 else {
                throw HDF5Error.cannotWrite(path: path, tensor: name, why: "HDF5 has no \(t.dtype.rawValue) type; convert it to F16 or F32 first")
            }
        }
        let image = try fileImage(tensors, path: path)
        let out = try AtomicFileWriter(destination: path)
        try out.write(image.buffer)
        try out.commit()
    }

    /// The whole file, built by libhdf5 in memory.
    static func fileImage(_ tensors: [(name: String, tensor: RawTensor)], path: String) throws -> ByteStorage {
        try HDF5Library.locked {
            let fail = { (op: String, object: String) in
                HDF5Error.library(path: path, operation: op, object: object, message: HDF5Library.lastError())
            }
            // One allocation for the data and ~1 KiB of metadata per dataset, so the image rarely grows.
            let increment = tensors.reduce(1 << 20) { $0 + $1.tensor.byteCount + 1024 }
            guard let fcpl = H5Handle.plist(H5Pcreate(bk_h5p_file_create())),
                  H5Pset_link_creation_order(fcpl.id, UInt32(H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED)) >= 0,
                  let fapl = H5Handle.plist(H5Pcreate(bk_h5p_file_access())),
                  H5Pset_fapl_core(fapl.id, increment, false) >= 0
            else { throw fail("set up", "the file properties") }
            guard let file = H5Handle.file(H5Fcreate(path, bk_h5f_acc_trunc(), fcpl.id, fapl.id)) else { throw fail("create", path) }
            for (name, t) in tensors {
                guard let type = HDF5Types.fileType(for: t.dtype).flatMap(H5Handle.type) else { throw fail("make a type for", name) }
                var dims = t.shape.map { hsize_t($0) }
                let sid = t.shape.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(dims.count), &dims, nil)
                guard let space = H5Handle.space(sid) else { throw fail("make a dataspace for", name) }
                guard let d = H5Handle.object(H5Dcreate2(file.id, name, type.id, space.id, 0, 0, 0)) else { throw fail("create dataset", name) }
                if t.byteCount > 0, H5Dwrite(d.id, type.id, 0, 0, 0, t.bytes.baseAddress) < 0 { throw fail("write dataset", name) }
            }
            guard H5Fflush(file.id, H5F_SCOPE_GLOBAL) >= 0 else { throw fail("flush", path) }
            let size = H5Fget_file_image(file.id, nil, 0)
            guard size > 0 else { throw fail("get the image of", path) }
            let (image, p) = ByteStorage.allocate(count: size, origin: path)
            guard H5Fget_file_image(file.id, p, size) == size else { throw fail("get the image of", path) }
            return image
        }
    }
}

#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

// Helpers for bertkit's HDF5 reader and writer. hdf5.h spells its constants as macros over
// globals that H5open() initialises, and its link/object info structs change between 1.10 and
// 1.12+; Swift imports neither, so this header wraps them in static inline functions.

/// Quiet, plugin-free libhdf5: no error printing to stderr, no dynamically loaded filters.
static inline int bk_h5_init(void) {
    if (H5open() < 0) return -1;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    return H5PLset_loading_state(0) < 0 ? -1 : 0;
}

static inline unsigned bk_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned bk_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline hid_t bk_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t bk_h5p_file_create(void) { return H5P_FILE_CREATE; }
static inline hid_t bk_h5p_link_access(void) { return H5P_LINK_ACCESS; }

static inline hid_t bk_h5t_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t bk_h5t_ieee_f64le(void) { return H5T_IEEE_F64LE; }
static inline hid_t bk_h5t_native_int8(void) { return H5T_NATIVE_INT8; }
static inline hid_t bk_h5t_c_s1(void) { return H5T_C_S1; }
/// H5T_STD_{I,U}{8,16,32,64}LE.
static inline hid_t bk_h5t_std_int_le(int bytes, int is_signed) {
    switch (bytes) {
    case 1: return is_signed ? H5T_STD_I8LE : H5T_STD_U8LE;
    case 2: return is_signed ? H5T_STD_I16LE : H5T_STD_U16LE;
    case 4: return is_signed ? H5T_STD_I32LE : H5T_STD_U32LE;
    case 8: return is_signed ? H5T_STD_I64LE : H5T_STD_U64LE;
    default: return -1;
    }
}

/// The most specific message on the current thread's error stack (then cleared), e.g.
/// "unable to open file: name = 'x.h5', errno = 2". Empty when the stack is empty.
typedef struct { char text[512]; } bk_h5_error_text;
static herr_t bk_h5_error_walk(unsigned n, const H5E_error2_t *e, void *data) {
    bk_h5_error_text *t = (bk_h5_error_text *)data;
    if (n == 0 && e && e->desc) snprintf(t->text, sizeof t->text, "%s", e->desc);
    return 0;
}
static inline void bk_h5_last_error(char *out, size_t capacity) {
    bk_h5_error_text t;
    t.text[0] = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, bk_h5_error_walk, &t);
    H5Eclear2(H5E_DEFAULT);
    snprintf(out, capacity, "%s", t.text);
}

/// A link's kind: 0 hard, 1 soft, 2 external, 3 user-defined; -1 on error.
static inline int bk_h5_link_kind(hid_t loc, const char *name) {
    H5L_info_t info;
    if (H5Lget_info(loc, name, &info, H5P_DEFAULT) < 0) return -1;
    switch (info.type) {
    case H5L_TYPE_HARD: return 0;
    case H5L_TYPE_SOFT: return 1;
    case H5L_TYPE_EXTERNAL: return 2;
    default: return 3;
    }
}

/// The target of an external link ("file:/object"), for error messages.
static inline int bk_h5_external_target(hid_t loc, const char *name, char *out, size_t capacity) {
    H5L_info_t info;
    out[0] = 0;
    if (H5Lget_info(loc, name, &info, H5P_DEFAULT) < 0 || info.type != H5L_TYPE_EXTERNAL) return -1;
    size_t size = info.u.val_size;
    if (size == 0 || size > 65536) return -1;
    char buf[65536];
    if (H5Lget_val(loc, name, buf, size, H5P_DEFAULT) < 0) return -1;
    const char *file = NULL, *object = NULL;
    unsigned flags = 0;
    if (H5Lunpack_elink_val(buf, size, &flags, &file, &object) < 0) return -1;
    snprintf(out, capacity, "%s:%s", file ? file : "?", object ? object : "?");
    return 0;
}

/// The names of the links in a group, in creation order when the group tracks it (h5py's
/// track_order, bertkit's writer), else in name order, written NUL-separated into the caller's
/// buffer (which grows by asking again with the returned size). Returns the bytes needed, or -1.
typedef struct { char *buffer; size_t capacity; size_t used; } bk_h5_names;
static herr_t bk_h5_names_walk(hid_t group, const char *name, const H5L_info_t *info, void *data) {
    bk_h5_names *n = (bk_h5_names *)data;
    size_t len = strlen(name) + 1;
    if (n->used + len <= n->capacity) memcpy(n->buffer + n->used, name, len);
    n->used += len;
    return 0;
}
static inline long long bk_h5_link_names(hid_t group, char *buffer, size_t capacity) {
    bk_h5_names n = { buffer, capacity, 0 };
    hsize_t idx = 0;
    unsigned flags = 0;
    hid_t gcpl = H5Gget_create_plist(group);
    if (gcpl >= 0) {
        H5Pget_link_creation_order(gcpl, &flags);
        H5Pclose(gcpl);
    }
    H5_index_t index = (flags & H5P_CRT_ORDER_INDEXED) ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
    if (H5Literate(group, index, H5_ITER_INC, &idx, bk_h5_names_walk, &n) < 0) return -1;
    return (long long)n.used;
}

/// The kind of object a hard link names (0 group, 1 dataset, 2 named datatype, 3 other) and an
/// identity for finding cycles (its address in the file). Returns -1 on error.
static inline int bk_h5_object_kind(hid_t loc, const char *name, uint64_t *identity) {
#if H5_VERSION_GE(1, 12, 0)
    H5O_info2_t info;
    if (H5Oget_info_by_name3(loc, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return -1;
    uint64_t id = 0;
    memcpy(&id, &info.token, sizeof id < sizeof info.token ? sizeof id : sizeof info.token);
    *identity = id;
#else
    H5O_info_t info;
    if (H5Oget_info_by_name2(loc, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return -1;
    *identity = (uint64_t)info.addr;
#endif
    switch (info.type) {
    case H5O_TYPE_GROUP: return 0;
    case H5O_TYPE_DATASET: return 1;
    case H5O_TYPE_NAMED_DATATYPE: return 2;
    default: return 3;
    }
}

/// Frees the strings a variable-length string read allocated.
static inline herr_t bk_h5_reclaim(hid_t type, hid_t space, void *buffer) {
#if H5_VERSION_GE(1, 12, 0)
    return H5Treclaim(type, space, H5P_DEFAULT, buffer);
#else
    return H5Dvlen_reclaim(type, space, H5P_DEFAULT, buffer);
#endif
}

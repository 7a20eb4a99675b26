"""Finding and loading libgdlab, and the C functions the package calls.

The library is looked for, in this order:

1. the path in the environment variable GDLAB_LIBRARY (an error if it does
   not load: a path given on purpose is never silently replaced);
2. the build directory of the source tree this package sits in
   (python/gdlab -> ../../build/libgdlab.so), for an editable install;
3. the installed library, found by ctypes.util.find_library("gdlab")
   (cmake --install puts it in the linker's path).

Only functions of the public headers are declared, and only through
accessors (include/gdlab/api.h and result.h): no struct is mirrored here,
so a change of a struct's layout in C cannot silently break the binding.
"""

import ctypes
import ctypes.util
import os

_HERE = os.path.dirname(os.path.abspath(__file__))
_BUILD = os.path.normpath(os.path.join(_HERE, os.pardir, os.pardir, "build", "libgdlab.so"))


def _load():
    """Returns (the loaded library, its path or name)."""
    env = os.environ.get("GDLAB_LIBRARY")
    if env:
        try:
            return ctypes.CDLL(env), env
        except OSError as e:
            raise ImportError(f"gdlab: GDLAB_LIBRARY={env!r} does not load: {e}") from e
    tried = []
    if os.path.exists(_BUILD):
        try:
            return ctypes.CDLL(_BUILD), _BUILD
        except OSError as e:
            tried.append(f"{_BUILD}: {e}")
    else:
        tried.append(f"{_BUILD}: not built")
    found = ctypes.util.find_library("gdlab")
    if found:
        try:
            return ctypes.CDLL(found), found
        except OSError as e:
            tried.append(f"{found}: {e}")
    else:
        tried.append("find_library('gdlab'): not installed")
    raise ImportError("gdlab: libgdlab not found (set GDLAB_LIBRARY to its path, build it with "
                      "scripts/bootstrap or install it with cmake --install build); tried "
                      + "; ".join(tried))


lib, path = _load()

_P = ctypes.c_void_p
_S = ctypes.c_char_p
_Z = ctypes.c_size_t
_D = ctypes.c_double
_I = ctypes.c_int

# name: (restype, argtypes)
_PROTOTYPES = {
    "gd_status_name": (_S, [_I]),
    "gd_free": (None, [_P]),
    "gd_api_ctx_new": (_P, []),
    "gd_api_ctx_free": (None, [_P]),
    "gd_api_ctx_set_seed": (None, [_P, ctypes.c_uint64]),
    "gd_api_ctx_set_threads": (_I, [_P, _I]),
    "gd_api_ctx_error": (_S, [_P]),
    "gd_api_run": (_I, [_P, _S, _Z, ctypes.POINTER(_S), ctypes.POINTER(_S), ctypes.POINTER(_P)]),
    # Strings the caller frees come back as void pointers (c_char_p would
    # copy them and lose the pointer).
    "gd_api_registry_json": (_P, []),
    "gd_io_summary_json": (_P, [_P]),
    "gd_io_write_result": (_I, [_P, _P, _S]),
    "gd_result_free": (None, [_P]),
    "gd_result_series_count": (_Z, [_P]),
    "gd_result_series_at": (_P, [_P, _Z]),
    "gd_series_name": (_S, [_P]),
    "gd_series_ncols": (_Z, [_P]),
    "gd_series_col_name": (_S, [_P, _Z]),
    "gd_series_nrows": (_Z, [_P]),
    "gd_series_data": (ctypes.POINTER(_D), [_P]),
    "gd_result_scalar_count": (_Z, [_P]),
    "gd_result_scalar_name": (_S, [_P, _Z]),
    "gd_result_scalar_value": (_D, [_P, _Z]),
    "gd_result_scalar_se": (_D, [_P, _Z]),
}

for _name, (_res, _args) in _PROTOTYPES.items():
    _f = getattr(lib, _name)
    _f.restype = _res
    _f.argtypes = _args


def take_string(ptr):
    """The text of a gd_malloc'd C string, which is then freed."""
    if not ptr:
        raise MemoryError("gdlab: out of memory")
    try:
        return ctypes.string_at(ptr).decode("utf-8", errors="replace")
    finally:
        lib.gd_free(ptr)

// The system's libzstd and zlib for compressed recordings (.jsonl.zst, .jsonl.gz), with
// prefixed wrappers for what Swift cannot import: zlib's init functions are macros.
#ifndef CSTEER_COMPRESS_H
#define CSTEER_COMPRESS_H
#include <zstd.h>
#include <zlib.h>

/// deflateInit2 for a gzip stream (windowBits 15 + 16).
static inline int csteer_deflate_init_gzip(z_stream *s, int level) {
    return deflateInit2(s, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

/// inflateInit2 for a gzip stream (windowBits 15 + 16).
static inline int csteer_inflate_init_gzip(z_stream *s) {
    return inflateInit2(s, 15 + 16);
}
#endif
